//! Input nobody should send: control characters in searches, misspelt or unsettable fields,
//! account ids the NetSuite client would refuse, bodies and paths of the wrong shape. Each is
//! answered with a 4xx in the API's JSON error format, and changes nothing.

use nsync_store::Store;
use reqwest::StatusCode;

use crate::api_harness::api;
use crate::api_web::sign_in;
use crate::both_backends;

both_backends!(a_search_holding_a_nul_byte_is_refused_on_the_api_and_the_page_not_a_500,);

async fn a_search_holding_a_nul_byte_is_refused_on_the_api_and_the_page_not_a_500(store: Store) {
    let api = api(store).await;
    api.import_all().await;
    for q in ["a%00bc", "%00", "ab%1B", "abc%0A"] {
        let reply = api
            .get(
                &api.admin,
                &format!("/fields/{}/options/search?q={q}", api.field),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            reply.text
        );
        assert_eq!(reply.code(), "invalid_request");
        assert!(reply.text.contains("control characters"), "{}", reply.text);
    }
    let fine = api
        .get(
            &api.admin,
            &format!("/fields/{}/options/search?q=a", api.field),
        )
        .await;
    assert_eq!(fine.status, StatusCode::OK, "{}", fine.text);
    let session = sign_in(&api, "admin@a.test").await;
    let page = api
        .http
        .get(format!(
            "{}/field/search?field={}&q=a%00bc",
            api.url, api.field
        ))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("control characters"));
}
