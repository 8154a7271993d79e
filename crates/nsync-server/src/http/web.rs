//! The web pages: server-rendered with askama (which escapes every value by default; nothing
//! from NetSuite is ever marked safe), htmx for partial updates, no front-end build step.
//!
//! Page handlers share the API's authentication, ownership checks and [`ApiError`]; a failure
//! renders as a small HTML page (or a redirect to sign-in) with the status the API would give.

mod account;
mod audit;
mod field;
mod imports;
mod integration;
mod runs;
mod scope;
mod webhooks;
mod words;

use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use nsync_core::{Email, Role};
use nsync_store::Integration;
use secrecy::SecretString;

use super::auth::{clear_session_cookie, cookie, signin_cookie, Principal, SIGNIN_COOKIE};
use super::extract::PageForm;
use super::{ApiError, AppState};
use crate::ops;

/// The page routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/signin", get(signin_page).post(signin))
        .route("/signout", post(signout))
        .route("/signout/everywhere", post(signout_everywhere))
        .merge(integration::router())
        .merge(imports::router())
        .merge(scope::router())
        .merge(field::router())
        .merge(runs::router())
        .merge(audit::router())
        .merge(account::router())
        .merge(webhooks::router())
}

/// What the page frame needs: who is signed in, the CSRF token, the current page.
pub(crate) struct Chrome {
    pub csrf: String,
    pub admin: bool,
    pub email: String,
    pub page: &'static str,
}

impl Chrome {
    fn new(who: &Principal, page: &'static str) -> Self {
        Self {
            csrf: who.csrf.clone().unwrap_or_default(),
            admin: who.role == Role::Admin,
            email: who.email.clone().unwrap_or_default(),
            page,
        }
    }
}

/// The signed-in caller of a page: like [`Principal`], but a missing session redirects to the
/// sign-in page instead of answering JSON.
pub(crate) struct Viewer(pub Principal);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Principal::from_request_parts(parts, state)
            .await
            .map(Viewer)
            .map_err(PageError)
    }
}

/// A page handler's failure: the API's error, shown as HTML.
pub(crate) struct PageError(ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(err: E) -> Self {
        Self(err.into())
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageTpl {
    ok: bool,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, ApiError::Unauthenticated) {
            // htmx follows HX-Redirect; a plain navigation follows the 303.
            let mut response = Redirect::to("/signin").into_response();
            response
                .headers_mut()
                .insert("hx-redirect", HeaderValue::from_static("/signin"));
            return response;
        }
        let (status, _) = self.0.status_and_code();
        if let ApiError::Internal(detail) = &self.0 {
            tracing::error!(error = %detail, "page failed");
        }
        let body = MessageTpl {
            ok: false,
            message: self.0.public_message(),
        };
        (status, render(&body)).into_response()
    }
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundTpl;

/// The page a browser gets for a path nsync does not serve.
pub(crate) fn not_found_page() -> Response {
    render(&NotFoundTpl)
}

/// Renders a template; a template error is a bug, answered as an opaque 500.
pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// The company's integration (the first, when it has several).
pub(super) async fn company_integration(
    state: &AppState,
    who: &Principal,
) -> Result<Option<Integration>, ApiError> {
    Ok(state
        .store()
        .integrations_of(who.company)
        .await?
        .into_iter()
        .next())
}

async fn home(who: Result<Principal, ApiError>) -> Response {
    match who {
        Ok(who) if who.role == Role::Admin => Redirect::to("/integration").into_response(),
        Ok(_) => Redirect::to("/field").into_response(),
        Err(_) => Redirect::to("/signin").into_response(),
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninTpl {
    error: Option<String>,
    email: String,
    csrf: String,
}

/// The sign-in page with a fresh form token: a random value in a cookie scoped to `/signin`, and
/// its signature in the form. A page on another site can neither read the cookie nor forge the
/// signature, so it cannot sign a browser in to an account of its choosing (login CSRF).
fn signin_form(
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    email: String,
) -> Response {
    let (value, set) = signin_cookie(state.config().secure_cookies);
    let page = SigninTpl {
        error,
        email,
        csrf: state
            .config()
            .session_key
            .csrf_token(&format!("signin:{value}")),
    };
    let mut response = (status, render(&page)).into_response();
    set_cookie(response.headers_mut(), &set);
    response
}

async fn signin_page(State(state): State<AppState>) -> Response {
    signin_form(&state, StatusCode::OK, None, String::new())
}

/// The sign-in form.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SigninForm {
    email: String,
    password: String,
    csrf: Option<String>,
}

async fn signin(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    PageForm(form): PageForm<SigninForm>,
) -> Result<Response, PageError> {
    let email_text = form.email;
    let password = form.password.as_str();
    let form_ok = match (cookie(&headers, SIGNIN_COOKIE), form.csrf.as_deref()) {
        (Some(value), Some(token)) => state
            .config()
            .session_key
            .csrf_ok(&format!("signin:{value}"), token),
        _ => false,
    };
    if !form_ok {
        let error =
            "The sign-in form expired or did not come from this site; please sign in again.";
        return Ok(signin_form(
            &state,
            StatusCode::FORBIDDEN,
            Some(error.to_owned()),
            email_text,
        ));
    }
    let refused = |email: String| {
        signin_form(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(ApiError::BadCredentials.public_message()),
            email,
        )
    };
    if let Err(wait) = state.signins().check(&email_text, address) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let error = format!(
            "Too many failed sign-ins for this account or from this address; try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        );
        tracing::info!("sign-in refused: over the failed sign-in limit");
        return Ok(signin_form(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            Some(error),
            email_text,
        ));
    }
    let (Ok(email), false) = (
        Email::parse(&email_text),
        password.is_empty() || password.len() > 1024,
    ) else {
        state.signins().failed(&email_text, address);
        return Ok(refused(email_text));
    };
    let secret = SecretString::from(password.to_owned());
    let Some(user) = state.store().verify_password(&email, &secret).await? else {
        tracing::info!("sign-in refused");
        state.signins().failed(&email_text, address);
        return Ok(refused(email_text));
    };
    state.signins().succeeded(&email_text);
    let session = state.config().session_key.session_cookie(
        user.id,
        user.session_generation,
        state.now_secs(),
        state.config().secure_cookies,
    );
    let mut response = Redirect::to("/").into_response();
    set_cookie(response.headers_mut(), &session);
    Ok(response)
}

/// The client's address, when the server was started with connection info (it is in
/// production; a router used without it, as in some tests, has none).
struct ClientAddr(Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let info = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Self(info.map(|c| c.0.ip())))
    }
}

/// Ends the session for good: the cookie is cleared, and the user's session generation moves,
/// so a copy of the cookie no longer works anywhere (nor do the user's other sessions).
async fn signout(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, PageError> {
    if let Some(user) = who.user {
        state.store().end_sessions(user).await?;
    }
    Ok(signed_out())
}

/// "Sign out everywhere" (admins): ends every session of every user of the company, this one
/// included.
async fn signout_everywhere(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, PageError> {
    ops::account::end_company_sessions(state.engine(), &who.actor()).await?;
    Ok(signed_out())
}

/// The answer to a sign-out: the cookie cleared, and htmx sent to the sign-in page.
fn signed_out() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(response.headers_mut(), &clear_session_cookie());
    response
        .headers_mut()
        .insert("hx-redirect", HeaderValue::from_static("/signin"));
    response
}

fn set_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(header::SET_COOKIE, value);
    }
}
