//! Reads never change state: reading NetSuite into the Import Customers list is a POST, with
//! the session's CSRF token on the pages, and a GET asking for it is refused without a call to
//! NetSuite.

use nsync_store::Store;
use reqwest::{Method, StatusCode};

use crate::api_harness::api;
use crate::api_web::{refresh_candidates, sign_in};
use crate::both_backends;

both_backends!(reading_netsuite_for_the_import_list_takes_a_post_with_the_csrf_token,);

async fn reading_netsuite_for_the_import_list_takes_a_post_with_the_csrf_token(store: Store) {
    let api = api(store).await;
    let control = api.emulator.control();
    let admin = sign_in(&api, "admin@a.test").await;
    control.clear_requests();
    let get = api
        .http
        .get(format!(
            "{}/integration/candidates?refresh=true&parent=top&view=form",
            api.url
        ))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let path = format!("/integrations/{}/candidates?refresh=true", api.integration);
    let reply = api.get(&api.admin, &path).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert!(reply.text.contains("/candidates/refresh"), "{}", reply.text);
    assert!(control.requests().is_empty(), "a GET reached NetSuite");
    let forged = api
        .http
        .post(format!("{}/integration/candidates/refresh", api.url))
        .header("cookie", &admin.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert!(
        control.requests().is_empty(),
        "a forged POST reached NetSuite"
    );
    let form = refresh_candidates(&api, &admin).await;
    assert!(form.contains("name=\"records\""), "{form}");
    assert!(!control.requests().is_empty(), "the POST read NetSuite");
    let refresh = format!("/integrations/{}/candidates/refresh", api.integration);
    let api_post = api
        .call(Some(&api.admin), Method::POST, &refresh, None)
        .await;
    assert_eq!(api_post.status, StatusCode::NO_CONTENT, "{}", api_post.text);
    let member = api
        .call(Some(&api.member), Method::POST, &refresh, None)
        .await;
    assert_eq!(member.status, StatusCode::FORBIDDEN, "{}", member.text);
}
