//! The caller's own account page: changing their password (any signed-in user).

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use secrecy::SecretString;

use super::integration::message;
use super::{render, set_cookie, Chrome, PageError, Viewer};
use crate::http::api::me::change_password;
use crate::http::extract::PageForm;
use crate::http::{ApiError, AppState};
use crate::ops::account::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/account/password", get(page).post(save))
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordTpl {
    chrome: Chrome,
    min: usize,
    max: usize,
}

async fn page(Viewer(who): Viewer) -> Response {
    render(&PasswordTpl {
        chrome: Chrome::new(&who, "password"),
        min: MIN_PASSWORD_CHARS,
        max: MAX_PASSWORD_CHARS,
    })
}

/// The password form. `Debug` is not derived: it holds passwords.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// The form's POST (htmx, with the CSRF header): the current password, the new one twice. On
/// success this browser gets a new session cookie; the page's CSRF token belonged to the ended
/// session, so the answer replaces the form (a reload shows a fresh one).
async fn save(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PageForm(form): PageForm<PasswordForm>,
) -> Result<Response, PageError> {
    if form.confirm_password != form.new_password {
        return Err(ApiError::Invalid("the two new passwords differ".into()).into());
    }
    let cookie = change_password(
        &state,
        &who,
        &SecretString::from(form.current_password),
        &SecretString::from(form.new_password),
    )
    .await?;
    let mut response = message(
        true,
        "Password changed. Your other sessions, in every browser, are signed out.",
    )
    .into_response();
    if let Some(cookie) = cookie {
        set_cookie(response.headers_mut(), &cookie);
    }
    Ok(response)
}
