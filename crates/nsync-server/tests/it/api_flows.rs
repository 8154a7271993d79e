//! The API's operations end to end, and each refusal with its code and message.

use netsuite_emulator::RecordKind;
use nsync_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_harness::api;
use crate::both_backends;
use crate::harness::ACCOUNT;

both_backends!(
    import_customers_lists_a_tree_level_searches_and_pages,
    import_returns_a_run_id_at_once_and_get_run_reports_the_outcome,
    import_preview_writes_nothing,
    update_preview_shows_a_rename_and_update_applies_it,
    confirming_a_run_that_holds_no_plan_is_refused,
    integrated_options_refuse_manual_edits_and_say_where_to_change_them,
    manual_field_options_are_created_renamed_and_deactivated,
    removing_and_restoring_an_option_here,
    credentials_are_write_only_and_test_connection_says_what_is_wrong,
    settings_are_validated_and_saved,
    malformed_requests_answer_json_errors_with_stable_codes,
    subsidiaries_and_audit_events_are_listed,
    integrations_are_created_for_the_callers_company,
);

async fn import_customers_lists_a_tree_level_searches_and_pages(store: Store) {
    let api = api(store).await;
    let base = format!("/integrations/{}/candidates", api.integration);
    let refreshed = api
        .call(
            Some(&api.admin),
            reqwest::Method::POST,
            &format!("{base}/refresh"),
            None,
        )
        .await;
    assert_eq!(
        refreshed.status,
        StatusCode::NO_CONTENT,
        "{}",
        refreshed.text
    );
    let top = api
        .get(&api.admin, &format!("{base}?parent=top&limit=5"))
        .await;
    assert_eq!(top.status, StatusCode::OK, "{}", top.text);
    let rows = top.body["candidates"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows
        .iter()
        .all(|c| c["parent"].is_null() && c["status"] == "new"));
    let next = top.body["next"].as_str().unwrap();
    let second = api
        .get(
            &api.admin,
            &format!("{base}?parent=top&limit=5&after={next}"),
        )
        .await;
    assert_ne!(second.body["candidates"][0]["key"], rows[0]["key"]);
    // Below a customer: only its direct children.
    let all = api.get(&api.admin, &format!("{base}?limit=1000")).await;
    let items = all.body["candidates"].as_array().unwrap();
    let child = items
        .iter()
        .find(|c| c["parent"].is_string())
        .expect("a project");
    let parent = child["parent"].as_str().unwrap();
    let below = api
        .get(&api.admin, &format!("{base}?parent={parent}"))
        .await;
    assert!(below.body["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["parent"] == parent));
    let name = child["name"].as_str().unwrap();
    let word: String = name.chars().take(5).collect();
    let found = api
        .get(&api.admin, &format!("{base}?search={}", urlencode(&word)))
        .await;
    assert!(
        found.body["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["key"] == child["key"]),
        "{}",
        found.text
    );
    let imported = api
        .get(&api.admin, &format!("{base}?status=imported"))
        .await;
    assert!(imported.body["candidates"].as_array().unwrap().is_empty());
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn import_returns_a_run_id_at_once_and_get_run_reports_the_outcome(store: Store) {
    let api = api(store).await;
    let run = api.import_all().await;
    let body = api.wait_for_run(run).await;
    assert_eq!(body["status"], "succeeded", "{body}");
    assert_eq!(body["kind"], "import");
    assert!(body["counts"]["added"].as_u64().unwrap() > 0);
    let changes = api
        .get(&api.admin, &format!("/runs/{run}/changes?limit=3"))
        .await;
    assert_eq!(changes.body["changes"].as_array().unwrap().len(), 3);
    assert_eq!(changes.body["next_from"], 3);
    let runs = api
        .get(
            &api.admin,
            &format!("/integrations/{}/runs", api.integration),
        )
        .await;
    assert!(runs.body["runs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == run));
    let candidates = format!("/integrations/{}/candidates", api.integration);
    let marked = api
        .get(&api.admin, &format!("{candidates}?parent=top&limit=20"))
        .await;
    assert!(
        marked.body["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "imported"),
        "{}",
        marked.text
    );
    let imported = api
        .get(&api.admin, &format!("{candidates}?status=imported&limit=5"))
        .await;
    assert_eq!(imported.body["candidates"].as_array().unwrap().len(), 5);
    // Records below the deepest level stay new; none of them is a customer.
    let new = api
        .get(&api.admin, &format!("{candidates}?status=new&parent=top"))
        .await;
    assert!(
        new.body["candidates"].as_array().unwrap().is_empty(),
        "{}",
        new.text
    );
    let option = api.first_option().await;
    assert_eq!(option["level"], 1);
    let children = api
        .get(
            &api.member,
            &format!("/fields/{}/options?parent={}", api.field, option["id"]),
        )
        .await;
    assert_eq!(children.status, StatusCode::OK, "{}", children.text);
    let one = api
        .get(&api.member, &format!("/options/{}", option["id"]))
        .await;
    assert_eq!(one.body["label"], option["name"]);
    let hits = api
        .get(
            &api.member,
            &format!(
                "/fields/{}/options/search?q={}",
                api.field,
                urlencode(option["name"].as_str().unwrap())
            ),
        )
        .await;
    assert!(
        hits.body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == option["id"]),
        "{}",
        hits.text
    );
}

async fn import_preview_writes_nothing(store: Store) {
    let api = api(store).await;
    let preview = api
        .post(
            &api.admin,
            &format!("/integrations/{}/import", api.integration),
            json!({"all": true, "preview": true}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert!(preview.body["run_id"].is_null());
    assert!(preview.body["counts"]["added"].as_u64().unwrap() > 0);
    let options = api
        .get(&api.admin, &format!("/fields/{}/options", api.field))
        .await;
    assert!(options.body["options"].as_array().unwrap().is_empty());
}

async fn update_preview_shows_a_rename_and_update_applies_it(store: Store) {
    let api = api(store).await;
    api.import_all().await;
    let option = api.first_option().await;
    let (kind, id) = option["upstream"]
        .as_str()
        .unwrap()
        .split_once(':')
        .unwrap();
    assert_eq!(kind, "customer");
    let control = api.emulator.control();
    control.advance_clock(chrono::Duration::minutes(1));
    control
        .rename(
            ACCOUNT,
            RecordKind::Customer,
            id.parse().unwrap(),
            "Renamed In NetSuite",
        )
        .unwrap();
    control.advance_clock(chrono::Duration::minutes(1));
    let path = format!("/integrations/{}/update", api.integration);
    let preview = api.post(&api.admin, &path, json!({"preview": true})).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    assert_eq!(preview.body["counts"]["renamed"], 1, "{}", preview.text);
    let started = api.post(&api.admin, &path, json!({})).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let run = api
        .wait_for_run(started.body["run_id"].as_i64().unwrap())
        .await;
    assert_eq!(run["status"], "succeeded", "{run}");
    let after = api
        .get(&api.admin, &format!("/options/{}", option["id"]))
        .await;
    assert_eq!(after.body["name"], "Renamed In NetSuite");
}

async fn confirming_a_run_that_holds_no_plan_is_refused(store: Store) {
    let api = api(store).await;
    let run = api.import_all().await;
    let reply = api
        .post(&api.admin, &format!("/runs/{run}/confirm"), json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
    assert_eq!(reply.code(), "not_confirmable");
    assert!(reply.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not waiting for a confirmation"));
}

async fn integrated_options_refuse_manual_edits_and_say_where_to_change_them(store: Store) {
    let api = api(store).await;
    api.import_all().await;
    let option = api.first_option().await["id"].as_i64().unwrap();
    for (path, body) in [
        (format!("/options/{option}/rename"), json!({"name": "Mine"})),
        (format!("/options/{option}/deactivate"), json!({})),
        (
            format!("/fields/{}/options", api.field),
            json!({"name": "Hand made"}),
        ),
    ] {
        let reply = api.post(&api.admin, &path, body).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{path}: {}", reply.text);
        assert_eq!(reply.code(), "integrated_field");
        assert!(reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("change it in NetSuite and click Update"));
    }
}

async fn manual_field_options_are_created_renamed_and_deactivated(store: Store) {
    let api = api(store).await;
    let field = api
        .store
        .create_manual_field(api.company, "Cost centre")
        .await
        .unwrap();
    let created = api
        .post(
            &api.admin,
            &format!("/fields/{field}/options"),
            json!({"name": "Paris"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_i64().unwrap();
    let child = api
        .post(
            &api.admin,
            &format!("/fields/{field}/options"),
            json!({"name": "Left bank", "parent_id": id}),
        )
        .await;
    assert_eq!(child.body["level"], 2, "{}", child.text);
    let renamed = api
        .post(
            &api.admin,
            &format!("/options/{id}/rename"),
            json!({"name": "Paris HQ"}),
        )
        .await;
    assert_eq!(renamed.body["name"], "Paris HQ", "{}", renamed.text);
    let off = api
        .post(&api.admin, &format!("/options/{id}/deactivate"), json!({}))
        .await;
    assert_eq!(off.body["active"], false);
    assert_eq!(off.body["inactive_reason"], "deactivated_here");
    let empty = api
        .post(
            &api.admin,
            &format!("/options/{id}/rename"),
            json!({"name": "  "}),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let member = api
        .post(
            &api.member,
            &format!("/fields/{field}/options"),
            json!({"name": "Lyon"}),
        )
        .await;
    assert_eq!(member.status, StatusCode::FORBIDDEN);
}

async fn removing_and_restoring_an_option_here(store: Store) {
    let api = api(store).await;
    api.import_all().await;
    let option = api.first_option().await["id"].as_i64().unwrap();
    let removed = api
        .post(&api.admin, &format!("/options/{option}/remove"), json!({}))
        .await;
    assert!(
        removed.body["marked"].as_u64().unwrap() >= 1,
        "{}",
        removed.text
    );
    let gone = api.get(&api.member, &format!("/options/{option}")).await;
    assert_eq!(
        gone.body["removed_here"], true,
        "an option removed here still resolves by id"
    );
    let active = api
        .get(&api.member, &format!("/fields/{}/options", api.field))
        .await;
    assert!(active.body["options"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o["id"] != option));
    let restored = api
        .post(&api.admin, &format!("/options/{option}/restore"), json!({}))
        .await;
    assert!(restored.body["marked"].as_u64().unwrap() >= 1);
    assert_eq!(
        api.get(&api.member, &format!("/options/{option}"))
            .await
            .body["removed_here"],
        false
    );
}

async fn credentials_are_write_only_and_test_connection_says_what_is_wrong(store: Store) {
    let api = api(store).await;
    let base = format!("/integrations/{}", api.integration);
    let ok = api
        .post(&api.admin, &format!("{base}/test"), json!({}))
        .await;
    assert_eq!(ok.body["ok"], true, "{}", ok.text);
    let secret = "very-secret-token-value";
    let put = api
        .call(Some(&api.admin), Method::PUT, &format!("{base}/credentials"), Some(json!({"kind": "tba", "consumer_key": "ck", "consumer_secret": secret, "token_id": "ti", "token_secret": secret})))
        .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{}", put.text);
    let read = api.get(&api.admin, &base).await;
    assert!(
        !read.text.contains(secret) && !read.text.contains("consumer_key"),
        "{}",
        read.text
    );
    let bad = api
        .post(&api.admin, &format!("{base}/test"), json!({}))
        .await;
    assert_eq!(bad.body["ok"], false, "{}", bad.text);
    assert!(
        bad.body["message"]
            .as_str()
            .unwrap()
            .contains("INVALID_LOGIN"),
        "{}",
        bad.text
    );
    let audit = api.get(&api.admin, "/audit").await;
    assert!(!audit.text.contains(secret));
}

async fn settings_are_validated_and_saved(store: Store) {
    let api = api(store).await;
    let path = format!("/integrations/{}", api.integration);
    let saved = api
        .call(
            Some(&api.admin),
            Method::PATCH,
            &path,
            Some(json!({"settings": {"show_project_number": true}})),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.text);
    assert_eq!(saved.body["settings"]["show_project_number"], true);
    let bad = api
        .call(
            Some(&api.admin),
            Method::PATCH,
            &path,
            Some(json!({"settings": {"deactivation_guard": {"min_count": 1, "percent": 150}}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.text);
    assert_eq!(bad.code(), "invalid_request");
}

async fn malformed_requests_answer_json_errors_with_stable_codes(store: Store) {
    let api = api(store).await;
    let base = format!("/integrations/{}", api.integration);
    let cases = [
        (format!("{base}/import"), json!({})),
        (
            format!("{base}/import"),
            json!({"all": true, "records": ["customer:1"]}),
        ),
        (format!("{base}/import"), json!({"records": ["vendor:1"]})),
        (format!("{base}/import"), json!({"all": "yes"})),
        (format!("{base}/update"), json!({"unknown": true})),
        ("/tokens".to_owned(), json!({"name": "x".repeat(101)})),
    ];
    for (path, body) in cases {
        let reply = api.post(&api.admin, &path, body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body}: {}",
            reply.text
        );
        assert_eq!(reply.code(), "invalid_request");
        assert!(!reply.body["error"]["message"].as_str().unwrap().is_empty());
    }
    let status = api
        .get(&api.admin, &format!("{base}/candidates?status=maybe"))
        .await;
    assert_eq!(status.code(), "invalid_request");
    let not_json = api
        .http
        .post(format!("{}/api/v1{base}/import", api.url))
        .bearer_auth(&api.admin)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNPROCESSABLE_ENTITY.as_u16());
    let id = api.get(&api.admin, "/integrations/abc").await;
    assert_eq!(id.status, StatusCode::NOT_FOUND);
}

async fn subsidiaries_and_audit_events_are_listed(store: Store) {
    let api = api(store).await;
    let subs = api
        .get(
            &api.admin,
            &format!("/integrations/{}/subsidiaries", api.integration),
        )
        .await;
    assert_eq!(subs.status, StatusCode::OK, "{}", subs.text);
    assert!(subs.body["subsidiaries"].as_array().unwrap().len() >= 2);
    api.import_all().await;
    let audit = api.get(&api.admin, "/audit?limit=5").await;
    assert_eq!(
        audit.body["events"][0]["action"], "start_import",
        "{}",
        audit.text
    );
}

async fn integrations_are_created_for_the_callers_company(store: Store) {
    let api = api(store).await;
    let created = api.post(&api.other_admin, "/integrations", json!({"account_id": "7654321", "subsidiary_id": 2, "credentials": {"kind": "tba", "consumer_key": "a", "consumer_secret": "b", "token_id": "c", "token_secret": "d"}})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        api.get(&api.other_admin, &format!("/integrations/{id}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        api.get(&api.admin, &format!("/integrations/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let bad = api.post(&api.other_admin, "/integrations", json!({"account_id": "not an account", "credentials": {"kind": "tba", "consumer_key": "a", "consumer_secret": "b", "token_id": "c", "token_secret": "d"}})).await;
    assert_eq!(bad.code(), "invalid_request", "{}", bad.text);
}
