//! Arbitrary bytes as the body of a request to one of the server's POST, PUT and PATCH routes (the
//! API's and the web forms'), sent through the whole router (authentication, CSRF, extractors,
//! handlers, the store) without a socket, on an in-memory SQLite store. Whatever the body, the
//! answer is never a 5xx (but the 502 of a route whose NetSuite read fails) and never a panic;
//! an API answer other than a success is the JSON error format (`{"error": {"code",
//! "message"}}`); a page answer other than a success or a redirect is an HTML page or that same
//! JSON error.
//!
//! The first byte of the input picks the route, the second the `Content-Type`, the rest is the
//! body. API routes are called with an admin's API token, pages with an admin's session and its
//! CSRF token, so bodies reach the handlers. NetSuite is an address that refuses connections, so
//! routes that read it fail fast, as they would with NetSuite down.
//!
//! Routes that end the harness's own session (signing out, "sign out everywhere",
//! `revokeSessions`) are left out: after them every page answers the sign-in redirect, and the
//! bodies would stop reaching handlers. They take no body.
#![no_main]

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use libfuzzer_sys::fuzz_target;
use nsync_core::{AccountId, Credentials, Email, IntegrationSettings, OptionName, Role, TimeZone};
use nsync_server::http::{AppState, HttpConfig, SessionKey};
use nsync_server::{ClientSettings, Engine};
use nsync_store::{Audit, MasterKey, NewIntegration, Store};
use secrecy::{ExposeSecret, SecretString};
use tower::ServiceExt;

/// The admin's password (the fuzzer would have to find it to change it).
const PASSWORD: &str = "fuzzing harness password 7f3a";

/// Who calls a route.
#[derive(Clone, Copy, PartialEq)]
enum Caller {
    /// The JSON API, with the admin's Bearer token.
    Api,
    /// A page, with the admin's session cookie and CSRF header.
    Page,
    /// The sign-in form, with no session.
    Anonymous,
}

/// A route under test; `{I}`, `{F}`, `{O}` and `{R}` are replaced by the harness's integration,
/// manual field, option and run ids.
struct Route {
    method: &'static str,
    path: &'static str,
    caller: Caller,
}

const fn api(method: &'static str, path: &'static str) -> Route {
    Route {
        method,
        path,
        caller: Caller::Api,
    }
}

const fn page(path: &'static str) -> Route {
    Route {
        method: "POST",
        path,
        caller: Caller::Page,
    }
}

const ROUTES: &[Route] = &[
    api("POST", "/api/v1/integrations"),
    api("PATCH", "/api/v1/integrations/{I}"),
    api("PUT", "/api/v1/integrations/{I}/credentials"),
    api("POST", "/api/v1/integrations/{I}/test"),
    api("POST", "/api/v1/integrations/{I}/candidates/refresh"),
    api("POST", "/api/v1/integrations/{I}/import"),
    api("POST", "/api/v1/integrations/{I}/update"),
    api("POST", "/api/v1/integrations/{I}/notification-secret"),
    api("POST", "/api/v1/runs/{R}/confirm"),
    api("POST", "/api/v1/fields/{F}/options"),
    api("POST", "/api/v1/options/{O}/remove"),
    api("POST", "/api/v1/options/{O}/restore"),
    api("POST", "/api/v1/options/{O}/rename"),
    api("POST", "/api/v1/options/{O}/deactivate"),
    api("POST", "/api/v1/tokens"),
    api("POST", "/api/v1/me/password"),
    page("/integration/test"),
    page("/integration/credentials"),
    page("/integration/create"),
    page("/integration/candidates/refresh"),
    page("/integration/import"),
    page("/integration/update/preview"),
    page("/integration/update"),
    page("/integration/schedule"),
    page("/integration/notification-secret"),
    page("/integration/scope"),
    page("/options/{O}/remove"),
    page("/options/{O}/restore"),
    page("/runs/{R}/confirm"),
    page("/account/password"),
    Route {
        method: "POST",
        path: "/signin",
        caller: Caller::Anonymous,
    },
];

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    None,
    Some("text/plain; charset=utf-8"),
];

/// The runtime and what every input is sent with.
struct Harness {
    runtime: tokio::runtime::Runtime,
    fixture: Fixture,
}

struct Fixture {
    router: Router,
    token: String,
    cookie: String,
    csrf: String,
    ids: [(&'static str, String); 4],
}

static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let fixture = runtime.block_on(fixture());
    Harness { runtime, fixture }
});

/// The store, its company, admin, integration, manual field with one option, and the router.
async fn fixture() -> Fixture {
    let store = Store::connect("sqlite::memory:").await.expect("store");
    let tz = TimeZone::parse("UTC").expect("zone");
    let company = store
        .create_company("Fuzz Co", &tz, 0)
        .await
        .expect("company");
    let email = Email::parse("admin@fuzz.test").expect("email");
    let secret = SecretString::from(PASSWORD.to_owned());
    let admin = store
        .create_user(company, &email, &secret, Role::Admin, 0)
        .await
        .expect("admin");
    let token = store
        .create_api_token(
            company,
            Some(admin),
            "fuzz",
            &Audit::new(company, None, "create_api_token", 0),
        )
        .await
        .expect("token");
    let (key, encoded) = MasterKey::generate();
    let integration = store
        .create_integration(
            &key,
            &NewIntegration {
                company,
                account: AccountId::parse("1234567_SB1").expect("account"),
                subsidiary: None,
                credentials: Credentials::Tba {
                    consumer_key: "ck".into(),
                    consumer_secret: "cs".to_owned().into(),
                    token_id: "ti".into(),
                    token_secret: "ts".to_owned().into(),
                },
                settings: IntegrationSettings::default(),
                field_name: "Customer / Project".into(),
            },
            &Audit::new(company, None, "create_integration", 0),
        )
        .await
        .expect("integration");
    let field = store
        .create_manual_field(company, "Cost centre")
        .await
        .expect("field");
    let name = OptionName::parse_manual("Engineering").expect("name");
    let option = store
        .add_manual_option(
            field,
            None,
            &name,
            &Audit::new(company, None, "create_option", 0),
        )
        .await
        .expect("option");
    let settings = ClientSettings {
        // Port 9 (discard) on the loopback: connections are refused at once.
        base_url_override: Some("http://127.0.0.1:9/".parse().expect("url")),
        retry: netsuite::RetryPolicy::fast(1),
        request_timeout: Duration::from_secs(2),
        ..ClientSettings::default()
    };
    let engine = Engine::new(
        store,
        MasterKey::from_base64(&encoded).expect("key"),
        Arc::new(settings),
    );
    let state = AppState::new(
        Arc::new(engine),
        HttpConfig {
            session_key: SessionKey::random(),
            secure_cookies: false,
        },
    );
    let router = nsync_server::http::router(state);
    let (cookie, csrf) = sign_in(&router).await;
    let run = "1".to_owned();
    Fixture {
        router,
        token: token.secret.expose_secret().to_owned(),
        cookie,
        csrf,
        ids: [
            ("{I}", integration.to_string()),
            ("{F}", field.to_string()),
            ("{O}", option.to_string()),
            ("{R}", run),
        ],
    }
}

/// Signs the admin in through the sign-in form; the session cookie and its CSRF token.
async fn sign_in(router: &Router) -> (String, String) {
    let form = call(router, Request::get("/signin").body(Body::empty()).unwrap()).await;
    let signin_cookie = first_cookie(&form.0);
    let csrf = between(&form.1, "name=\"csrf\" value=\"", "\"");
    let body = format!(
        "email=admin%40fuzz.test&password={}&csrf={csrf}",
        PASSWORD.replace(' ', "+")
    );
    let request = Request::post("/signin")
        .header(header::COOKIE, signin_cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let signed_in = call(router, request).await;
    assert_eq!(signed_in.0.status(), StatusCode::SEE_OTHER, "sign-in");
    let cookie = first_cookie(&signed_in.0);
    let request = Request::get("/field")
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let page = call(router, request).await;
    let csrf = between(&page.1, "x-csrf-token\": \"", "\"");
    (cookie, csrf)
}

fn first_cookie(response: &axum::http::Response<()>) -> String {
    let set = response.headers()[header::SET_COOKIE]
        .to_str()
        .expect("cookie");
    set.split(';').next().expect("pair").to_owned()
}

fn between(text: &str, start: &str, end: &str) -> String {
    let rest = text.split(start).nth(1).expect("marker");
    rest.split(end).next().expect("end").to_owned()
}

/// Sends a request; the answer's head and its body as text.
async fn call(router: &Router, request: Request<Body>) -> (axum::http::Response<()>, String) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (axum::http::Response::from_parts(parts, ()), text)
}

/// An answer in the API's error format.
fn is_json_error(text: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let error = &value["error"];
    error["code"].as_str().is_some_and(|c| !c.is_empty())
        && error["message"].as_str().is_some_and(|m| !m.is_empty())
}

fuzz_target!(|data: &[u8]| {
    let [route, content_type, body @ ..] = data else {
        return;
    };
    let Harness { runtime, fixture } = &*HARNESS;
    let route = &ROUTES[usize::from(*route) % ROUTES.len()];
    let content_type = CONTENT_TYPES[usize::from(*content_type) % CONTENT_TYPES.len()];
    let mut path = route.path.to_owned();
    for (placeholder, id) in &fixture.ids {
        path = path.replace(placeholder, id);
    }
    let mut request = Request::builder().method(route.method).uri(&path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    match route.caller {
        Caller::Api => {
            request = request.header(header::AUTHORIZATION, format!("Bearer {}", fixture.token));
        }
        Caller::Page => {
            request = request
                .header(header::COOKIE, &fixture.cookie)
                .header("x-csrf-token", &fixture.csrf);
        }
        Caller::Anonymous => {}
    }
    let request = request.body(Body::from(body.to_vec())).expect("request");
    let (head, text) = runtime.block_on(call(&fixture.router, request));
    let status = head.status();
    // 502 is the truthful answer of a route that reads NetSuite, which refuses connections here:
    // a failure of the dependency, said in the error format (checked below), not of the server.
    assert!(
        !status.is_server_error() || status == StatusCode::BAD_GATEWAY,
        "{} {path} answered {status}: {text}",
        route.method
    );
    if status.is_success() || status.is_redirection() {
        return;
    }
    let html = head
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    match route.caller {
        Caller::Api => assert!(
            is_json_error(&text),
            "{} {path} answered {status} outside the error format: {text}",
            route.method
        ),
        Caller::Page | Caller::Anonymous => assert!(
            html || is_json_error(&text),
            "{} {path} answered {status} with neither a page nor the error format: {text}",
            route.method
        ),
    }
});
