//! Input nobody should send: control characters in searches, misspelt or unsettable fields,
//! account ids the NetSuite client would refuse, bodies and paths of the wrong shape. Each is
//! answered with a 4xx in the API's JSON error format, and changes nothing.

use nsync_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::api_harness::{api, Api, Reply};
use crate::api_web::sign_in;
use crate::both_backends;

both_backends!(
    a_search_holding_a_nul_byte_is_refused_on_the_api_and_the_page_not_a_500,
    a_settings_patch_changes_only_what_it_names_and_refuses_unknown_fields_by_name,
    account_ids_the_netsuite_client_refuses_are_refused_at_creation_with_the_reason,
);

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

async fn patch_settings(api: &Api, body: Value) -> Reply {
    let path = format!("/integrations/{}", api.integration);
    api.call(Some(&api.admin), Method::PATCH, &path, Some(body))
        .await
}

async fn a_settings_patch_changes_only_what_it_names_and_refuses_unknown_fields_by_name(
    store: Store,
) {
    let api = api(store).await;
    let path = format!("/integrations/{}", api.integration);
    let first = patch_settings(
        &api,
        json!({"settings": {"show_project_number": true, "deepest_level": 2,
            "auto_update": {"at": "07:30"}, "deactivation_guard": {"percent": 5}}}),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let second = patch_settings(
        &api,
        json!({"settings": {"auto_update": {"enabled": true}}}),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let settings = &second.body["settings"];
    assert_eq!(settings["show_project_number"], true, "{settings}");
    assert_eq!(settings["deepest_level"], 2, "{settings}");
    assert_eq!(settings["auto_update"]["enabled"], true, "{settings}");
    assert_eq!(settings["auto_update"]["at"], "07:30", "{settings}");
    assert_eq!(settings["deactivation_guard"]["percent"], 5, "{settings}");
    assert_eq!(
        settings["deactivation_guard"]["min_count"], 25,
        "{settings}"
    );
    let before = api.get(&api.admin, &path).await.body;
    let refused = [
        (
            json!({"settings": {"show_project_numbr": false}}),
            "show_project_numbr",
        ),
        (
            json!({"settings": {"auto_update": {"enabeld": false}}}),
            "enabeld",
        ),
        (
            json!({"settings": {"base_url": "http://127.0.0.1:1"}}),
            "base_url",
        ),
        (
            json!({"settings": {}, "base_url": "http://127.0.0.1:1"}),
            "base_url",
        ),
        (
            json!({"settings": {}, "account_id": "7654321"}),
            "account_id",
        ),
    ];
    for (body, named) in refused {
        let reply = patch_settings(&api, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            reply.text
        );
        assert!(reply.text.contains(named), "{body}: {}", reply.text);
    }
    assert_eq!(
        api.get(&api.admin, &path).await.body,
        before,
        "a refused patch changes nothing"
    );
    let create = api
        .post(
            &api.admin,
            "/integrations",
            json!({"account_id": "1234567", "credentials": {"kind": "tba", "consumer_key": "ck",
                "consumer_secret": "cs", "token_id": "ti", "token_secret": "ts"},
                "settings": {"show_project_numbr": true}}),
        )
        .await;
    assert_eq!(
        create.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        create.text
    );
    assert!(
        create.text.contains("show_project_numbr"),
        "{}",
        create.text
    );
}

async fn account_ids_the_netsuite_client_refuses_are_refused_at_creation_with_the_reason(
    store: Store,
) {
    let api = api(store).await;
    let tba = json!({"kind": "tba", "consumer_key": "ck", "consumer_secret": "cs",
        "token_id": "ti", "token_secret": "ts"});
    let before = api.store.integrations_of(api.company).await.unwrap().len();
    for account in [
        "localhost",
        "1234567_",
        "1234567__SB1",
        "0x7f000001",
        "1234567 ",
        "1234567\t",
        " 1234567",
        "1234567.evil.test",
    ] {
        let reply = api
            .post(
                &api.admin,
                "/integrations",
                json!({"account_id": account, "credentials": tba}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{account:?}: {}",
            reply.text
        );
        assert!(
            reply.text.contains("is not a NetSuite account id ("),
            "{account:?}: the reason is given: {}",
            reply.text
        );
    }
    assert_eq!(
        api.store.integrations_of(api.company).await.unwrap().len(),
        before,
        "nothing was stored"
    );
    let session = sign_in(&api, "admin@a.test").await;
    let form = api
        .http
        .post(format!("{}/integration/create", api.url))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .form(&[
            ("account_id", "localhost"),
            ("consumer_key", "ck"),
            ("consumer_secret", "cs"),
            ("token_id", "ti"),
            ("token_secret", "ts"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form
        .text()
        .await
        .unwrap()
        .contains("is not a NetSuite account id"));
    let fine = api
        .post(
            &api.admin,
            "/integrations",
            json!({"account_id": "1234567-sb1", "credentials": tba}),
        )
        .await;
    assert_eq!(fine.status, StatusCode::CREATED, "{}", fine.text);
    assert_eq!(fine.body["account_id"], "1234567_SB1");
}
