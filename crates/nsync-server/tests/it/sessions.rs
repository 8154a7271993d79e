//! Sessions end when they are ended: signing out, a new password and an admin's "sign out
//! everywhere" make the cookie useless at once, even a copy of it kept elsewhere.

use nsync_core::UserId;
use nsync_store::Store;
use reqwest::{Method, StatusCode};

use crate::api_harness::{api, Api, PASSWORD};
use crate::api_web::{get_with_cookie, post_signin, sign_in, Session};
use crate::both_backends;

both_backends!(
    signing_out_ends_the_session_even_for_a_copy_of_its_cookie,
    sign_out_everywhere_and_a_new_password_end_sessions_at_once,
    an_admin_signs_the_whole_company_out_from_the_pages,
);

/// The status of an API read with a session cookie.
async fn with_cookie(api: &Api, session: &Session) -> StatusCode {
    get_with_cookie(api, &session.cookie, "/api/v1/fields")
        .await
        .status()
}

async fn signing_out_ends_the_session_even_for_a_copy_of_its_cookie(store: Store) {
    let api = api(store).await;
    let session = sign_in(&api, "admin@a.test").await;
    assert_eq!(with_cookie(&api, &session).await, StatusCode::OK);
    let out = api
        .http
        .post(format!("{}/signout", api.url))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        with_cookie(&api, &session).await,
        StatusCode::UNAUTHORIZED,
        "the cookie still works after signing out"
    );
    let page = get_with_cookie(&api, &session.cookie, "/integration").await;
    assert_eq!(
        page.status(),
        StatusCode::SEE_OTHER,
        "the pages send it to sign in"
    );
    let again = sign_in(&api, "admin@a.test").await;
    assert_eq!(
        with_cookie(&api, &again).await,
        StatusCode::OK,
        "a new sign-in works"
    );
}

async fn sign_out_everywhere_and_a_new_password_end_sessions_at_once(store: Store) {
    let api = api(store).await;
    let admin = sign_in(&api, "admin@a.test").await;
    let member = sign_in(&api, "member@a.test").await;
    let other = sign_in(&api, "admin@b.test").await;
    let reply = api
        .call(Some(&api.member), Method::POST, "/sessions/revoke", None)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "members cannot");
    assert_eq!(with_cookie(&api, &member).await, StatusCode::OK);
    let reply = api
        .call(Some(&api.admin), Method::POST, "/sessions/revoke", None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    assert_eq!(with_cookie(&api, &admin).await, StatusCode::UNAUTHORIZED);
    assert_eq!(with_cookie(&api, &member).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        with_cookie(&api, &other).await,
        StatusCode::OK,
        "another company's go on"
    );
    let token = api.get(&api.admin, "/fields").await;
    assert_eq!(token.status, StatusCode::OK, "API tokens are not sessions");
    let member = sign_in(&api, "member@a.test").await;
    let id = member_id(&api).await;
    api.store
        .set_password(
            id,
            &"a brand new password".to_owned().into(),
            &nsync_store::testing::audit(api.company),
        )
        .await
        .unwrap();
    assert_eq!(with_cookie(&api, &member).await, StatusCode::UNAUTHORIZED);
    let old = post_signin(&api, "member@a.test", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = post_signin(&api, "member@a.test", "a brand new password").await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
}

async fn member_id(api: &Api) -> UserId {
    let email = nsync_core::Email::parse("member@a.test").unwrap();
    let password = PASSWORD.to_owned().into();
    api.store
        .verify_password(&email, &password)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn sign_out_everywhere_from(api: &Api, session: &Session) -> StatusCode {
    api.http
        .post(format!("{}/signout/everywhere", api.url))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .send()
        .await
        .unwrap()
        .status()
}

async fn an_admin_signs_the_whole_company_out_from_the_pages(store: Store) {
    let api = api(store).await;
    let admin = sign_in(&api, "admin@a.test").await;
    let member = sign_in(&api, "member@a.test").await;
    assert!(crate::api_web::page(&api, &admin.cookie, "/field")
        .await
        .contains("Sign out everywhere"));
    assert_eq!(
        sign_out_everywhere_from(&api, &member).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(with_cookie(&api, &admin).await, StatusCode::OK);
    assert_eq!(
        sign_out_everywhere_from(&api, &admin).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(with_cookie(&api, &admin).await, StatusCode::UNAUTHORIZED);
    assert_eq!(with_cookie(&api, &member).await, StatusCode::UNAUTHORIZED);
}
