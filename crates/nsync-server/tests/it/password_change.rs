//! A user changes their own password (the API's changeMyPassword and the password page): the
//! current password must match, the new one must be 12 to 128 characters, and the change ends
//! the user's other sessions in every process, while the session that made it is reissued.

use nsync_store::Store;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::api_harness::{api, Api, PASSWORD};
use crate::api_web::{post_signin, sign_in, Session};
use crate::both_backends;

both_backends!(
    a_new_password_ends_the_other_sessions_and_reissues_the_one_that_changed_it,
    a_password_changed_on_one_server_ends_the_sessions_on_another_sharing_the_store,
    the_password_page_changes_it_behind_the_csrf_check,
    wrong_current_passwords_count_against_the_sign_in_limit,
);

const NEW: &str = "a much longer new password";

/// POST /api/v1/me/password with a session (and its CSRF token when `csrf`).
async fn change(api: &Api, url: &str, session: &Session, csrf: bool, body: Value) -> Response {
    let mut request = api
        .http
        .post(format!("{url}/api/v1/me/password"))
        .header("cookie", &session.cookie)
        .json(&body);
    if csrf {
        request = request.header("x-csrf-token", &session.csrf);
    }
    request.send().await.unwrap()
}

/// The status of an API read at `url` with a session cookie.
async fn read_with(api: &Api, url: &str, cookie: &str) -> StatusCode {
    api.http
        .get(format!("{url}/api/v1/fields"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
}

/// The session cookie a response sets.
fn new_cookie(reply: &Response) -> String {
    let set = reply.headers()["set-cookie"].to_str().unwrap();
    assert!(set.contains("HttpOnly"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

async fn error_of(reply: Response) -> (StatusCode, String) {
    let status = reply.status();
    let body: Value = reply.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap_or("").to_owned();
    (status, message)
}

async fn a_new_password_ends_the_other_sessions_and_reissues_the_one_that_changed_it(store: Store) {
    let api = api(store).await;
    let here = sign_in(&api, "member@a.test").await;
    let elsewhere = sign_in(&api, "member@a.test").await;
    let good = json!({"current_password": PASSWORD, "new_password": NEW});
    let reply = change(&api, &api.url, &here, false, good.clone()).await;
    assert_eq!(reply.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let refusals = [
        (
            json!({"current_password": "not it at all", "new_password": NEW}),
            "current password is wrong",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": "short"}),
            "at least 12",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": "x".repeat(129)}),
            "at most 128",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
            "is the current one",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": "tab\there in it"}),
            "control",
        ),
        (
            json!({"current_password": PASSWORD, "new_password": NEW, "confirm": NEW}),
            "unknown field",
        ),
        (json!({"new_password": NEW}), "current_password"),
    ];
    for (body, expected) in refusals {
        let (status, message) =
            error_of(change(&api, &api.url, &here, true, body.clone()).await).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {message}"
        );
        assert!(message.contains(expected), "{body}: {message}");
        assert!(
            !message.contains(PASSWORD) && !message.contains(NEW),
            "{message}"
        );
    }
    assert_eq!(
        read_with(&api, &api.url, &elsewhere.cookie).await,
        StatusCode::OK,
        "refusals change nothing"
    );
    let reply = change(&api, &api.url, &here, true, good).await;
    assert_eq!(reply.status(), StatusCode::NO_CONTENT);
    let reissued = new_cookie(&reply);
    assert_ne!(reissued, here.cookie);
    assert_eq!(
        read_with(&api, &api.url, &reissued).await,
        StatusCode::OK,
        "the reissued session works"
    );
    assert_eq!(
        read_with(&api, &api.url, &here.cookie).await,
        StatusCode::UNAUTHORIZED,
        "its old cookie does not"
    );
    assert_eq!(
        read_with(&api, &api.url, &elsewhere.cookie).await,
        StatusCode::UNAUTHORIZED,
        "nor the other session"
    );
    assert_eq!(
        post_signin(&api, "member@a.test", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_signin(&api, "member@a.test", NEW).await.status(),
        StatusCode::SEE_OTHER
    );
    let audit = api.get(&api.admin, "/audit").await;
    assert_eq!(
        audit.body["events"][0]["action"], "change_password",
        "{}",
        audit.text
    );
    assert!(!audit.text.contains(NEW));
}

async fn a_password_changed_on_one_server_ends_the_sessions_on_another_sharing_the_store(
    store: Store,
) {
    let api = api(store).await;
    let second = api.second_server().await;
    let first = sign_in(&api, "member@a.test").await;
    let other = sign_in(&api, "member@a.test").await;
    assert_eq!(
        read_with(&api, &second, &other.cookie).await,
        StatusCode::OK,
        "both servers accept it"
    );
    let reply = change(
        &api,
        &second,
        &first,
        true,
        json!({"current_password": PASSWORD, "new_password": NEW}),
    )
    .await;
    assert_eq!(reply.status(), StatusCode::NO_CONTENT);
    let reissued = new_cookie(&reply);
    for url in [&api.url, &second] {
        assert_eq!(
            read_with(&api, url, &other.cookie).await,
            StatusCode::UNAUTHORIZED,
            "{url}"
        );
        assert_eq!(
            read_with(&api, url, &first.cookie).await,
            StatusCode::UNAUTHORIZED,
            "{url}"
        );
        assert_eq!(
            read_with(&api, url, &reissued).await,
            StatusCode::OK,
            "{url}"
        );
    }
    // Signing out on one server ends the session on the other as well.
    let session = Session {
        cookie: reissued.clone(),
        csrf: String::new(),
    };
    let page = crate::api_web::page(&api, &session.cookie, "/field").await;
    let csrf = page
        .split("x-csrf-token\": \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let out = api
        .http
        .post(format!("{}/signout", api.url))
        .header("cookie", &reissued)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        read_with(&api, &second, &reissued).await,
        StatusCode::UNAUTHORIZED
    );
}

async fn post_page(api: &Api, session: &Session, csrf: bool, form: &[(&str, &str)]) -> Response {
    let mut request = api
        .http
        .post(format!("{}/account/password", api.url))
        .header("cookie", &session.cookie)
        .form(form);
    if csrf {
        request = request.header("x-csrf-token", &session.csrf);
    }
    request.send().await.unwrap()
}

async fn the_password_page_changes_it_behind_the_csrf_check(store: Store) {
    let api = api(store).await;
    let here = sign_in(&api, "member@a.test").await;
    let elsewhere = sign_in(&api, "member@a.test").await;
    let page = crate::api_web::page(&api, &here.cookie, "/account/password").await;
    assert!(
        page.contains("name=\"current_password\"")
            && page.contains("autocomplete=\"new-password\""),
        "{page}"
    );
    let form = [
        ("current_password", PASSWORD),
        ("new_password", NEW),
        ("confirm_password", NEW),
    ];
    let reply = post_page(&api, &here, false, &form).await;
    assert_eq!(reply.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let differ = [
        ("current_password", PASSWORD),
        ("new_password", NEW),
        ("confirm_password", "something else"),
    ];
    let reply = post_page(&api, &here, true, &differ).await;
    assert_eq!(reply.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.text().await.unwrap().contains("differ"));
    assert_eq!(
        read_with(&api, &api.url, &elsewhere.cookie).await,
        StatusCode::OK
    );
    let reply = post_page(&api, &here, true, &form).await;
    assert_eq!(reply.status(), StatusCode::OK);
    let reissued = new_cookie(&reply);
    assert!(reply.text().await.unwrap().contains("Password changed"));
    assert_eq!(
        read_with(&api, &api.url, &elsewhere.cookie).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        read_with(&api, &api.url, &here.cookie).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(read_with(&api, &api.url, &reissued).await, StatusCode::OK);
}

async fn wrong_current_passwords_count_against_the_sign_in_limit(store: Store) {
    let api = api(store).await;
    let wrong = json!({"current_password": "not it at all", "new_password": NEW});
    for _ in 0..5 {
        let reply = api.post(&api.admin, "/me/password", wrong.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
    }
    let right = json!({"current_password": PASSWORD, "new_password": NEW});
    let reply = api.post(&api.admin, "/me/password", right).await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text
    );
    assert_eq!(reply.code(), "too_many_attempts");
    let signin = post_signin(&api, "admin@a.test", PASSWORD).await;
    assert_eq!(
        signin.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the same limit as signing in"
    );
    let token = api.get(&api.admin, "/fields").await;
    assert_eq!(token.status, StatusCode::OK, "the token goes on working");
}
