//! Who may call what: every documented operation is served and asks for credentials; another
//! company's ids answer 404 on every route; members read options and nothing else.

use nsync_server::http::openapi::Access;
use nsync_server::http::OPERATIONS;
use nsync_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::api_harness::{api, Api};
use crate::both_backends;

both_backends!(
    every_documented_operation_is_served_and_asks_for_credentials,
    another_companys_ids_answer_not_found_on_every_route,
    members_read_and_search_options_but_every_other_operation_is_refused,
    a_revoked_token_stops_working_at_once,
);

/// The operationIds the issue promises to clients.
const PROMISED: &[&str] = &[
    "getCustomField",
    "listFieldChanges",
    "createWebhook",
    "listWebhooks",
    "listWebhookDeliveries",
    "resendWebhookDelivery",
    "createIntegration",
    "getIntegration",
    "updateIntegration",
    "setIntegrationCredentials",
    "testIntegrationConnection",
    "listSubsidiaries",
    "listImportCandidates",
    "importRecords",
    "startUpdate",
    "confirmRun",
    "listRuns",
    "getRun",
    "listRunChanges",
    "listCustomFields",
    "listOptions",
    "searchOptions",
    "getOption",
    "removeOption",
    "restoreOption",
    "createOption",
    "renameOption",
    "deactivateOption",
    "listAuditEvents",
    "createApiToken",
    "revokeApiToken",
];

fn method(name: &str) -> Method {
    Method::from_bytes(name.to_uppercase().as_bytes()).unwrap()
}

/// A body that passes validation for each operation, so the check under test is reached.
fn body_for(id: &str) -> Option<Value> {
    Some(match id {
        "createIntegration" => json!({"account_id": "1234567", "credentials": tba()}),
        "updateIntegration" => json!({"settings": {}}),
        "setIntegrationCredentials" => tba(),
        "importRecords" => json!({"all": true, "preview": true}),
        "startUpdate" => json!({"preview": true}),
        "createOption" | "renameOption" => json!({"name": "Manual"}),
        "createApiToken" => json!({"name": "ci"}),
        "createWebhook" => {
            json!({"url": "https://hooks.example.com/nsync", "events": ["field.changed"]})
        }
        "resendWebhookDelivery" => json!({"delivery_id": 1}),
        "changeMyPassword" => json!({
            "current_password": crate::api_harness::PASSWORD,
            "new_password": "a much longer new password",
        }),
        _ => return None,
    })
}

fn tba() -> Value {
    json!({"kind": "tba", "consumer_key": "ck", "consumer_secret": "cs", "token_id": "ti", "token_secret": "ts"})
}

/// Company A's id for each kind of path parameter.
struct Ids {
    integration: i64,
    run: i64,
    field: i64,
    option: i64,
    token: i64,
    webhook: i64,
}

async fn ids_of_a(api: &Api) -> Ids {
    let run = api.import_all().await;
    let option = api.first_option().await["id"].as_i64().unwrap();
    let token = api
        .post(&api.admin, "/tokens", json!({"name": "victim"}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let webhook = api
        .post(
            &api.admin,
            "/webhooks",
            json!({"url": "https://hooks.example.com/a", "events": ["run.failed"]}),
        )
        .await
        .body["webhook"]["id"]
        .as_i64()
        .unwrap();
    Ids {
        integration: api.integration.get(),
        run,
        field: api.field.get(),
        option,
        token,
        webhook,
    }
}

fn path_with(path: &str, ids: &Ids) -> String {
    let id = if path.starts_with("/integrations/") {
        ids.integration
    } else if path.starts_with("/runs/") {
        ids.run
    } else if path.starts_with("/fields/") {
        ids.field
    } else if path.starts_with("/options/") {
        ids.option
    } else if path.starts_with("/webhooks/") {
        ids.webhook
    } else {
        ids.token
    };
    path.replace("{id}", &id.to_string())
}

async fn every_documented_operation_is_served_and_asks_for_credentials(store: Store) {
    let api = api(store).await;
    let doc = api.call(None, Method::GET, "/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let documented: Vec<&str> = doc.body["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| p.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    for id in PROMISED {
        assert!(documented.contains(id), "{id} is missing from openapi.json");
    }
    assert_eq!(documented.len(), OPERATIONS.len());
    for op in OPERATIONS {
        let path = op.path.replace("{id}", "1");
        let reply = api
            .call(None, method(op.method), &path, body_for(op.id))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{} {}: {}",
            op.method,
            path,
            reply.text
        );
        assert_eq!(reply.code(), "unauthenticated", "{}", op.id);
        let bogus = api
            .call(
                Some("nsync_not-a-token"),
                method(op.method),
                &path,
                body_for(op.id),
            )
            .await;
        assert_eq!(bogus.status, StatusCode::UNAUTHORIZED, "{}", op.id);
    }
}

async fn another_companys_ids_answer_not_found_on_every_route(store: Store) {
    let api = api(store).await;
    let ids = ids_of_a(&api).await;
    let mut checked = 0;
    for op in OPERATIONS.iter().filter(|op| op.path.contains("{id}")) {
        let path = path_with(op.path, &ids);
        let reply = api
            .call(
                Some(&api.other_admin),
                method(op.method),
                &path,
                body_for(op.id),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{} {}: {}",
            op.id,
            path,
            reply.text
        );
        assert_eq!(reply.code(), "not_found", "{}", op.id);
        // The same call on an id that exists nowhere answers exactly the same.
        let nowhere = path.replacen(
            &format!("/{}", path.split('/').nth(2).unwrap()),
            "/999999",
            1,
        );
        let missing = api
            .call(
                Some(&api.other_admin),
                method(op.method),
                &nowhere,
                body_for(op.id),
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{} {nowhere}", op.id);
        assert_eq!(
            missing.body, reply.body,
            "{}: nothing tells the two apart",
            op.id
        );
        checked += 1;
    }
    assert!(
        checked >= 20,
        "every route with an id was checked ({checked})"
    );
    // Routes without an id are scoped by the token: B sees only its own field and log.
    let fields = api.get(&api.other_admin, "/fields").await;
    let listed: Vec<i64> = fields.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, vec![api.other_field.get()]);
    let audit = api.get(&api.other_admin, "/audit").await;
    assert_eq!(audit.status, StatusCode::OK);
    // B's log holds B's own set-up (its token, its integration) and nothing of A's.
    let targets: Vec<&str> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    let own = format!("integration {}", api.other_integration);
    assert!(
        targets.len() == 2
            && targets.contains(&own.as_str())
            && targets.iter().all(|t| *t == own || t.starts_with("token ")),
        "{}",
        audit.text
    );
    let reverse = api
        .get(
            &api.admin,
            &format!("/integrations/{}", api.other_integration),
        )
        .await;
    assert_eq!(reverse.status, StatusCode::NOT_FOUND);
    // A's token still works after all of that: B revoked nothing.
    let still = api
        .get(&api.admin, &format!("/integrations/{}", ids.integration))
        .await;
    assert_eq!(still.status, StatusCode::OK);
}

async fn members_read_and_search_options_but_every_other_operation_is_refused(store: Store) {
    let api = api(store).await;
    let ids = ids_of_a(&api).await;
    for op in OPERATIONS {
        let path = path_with(op.path, &ids);
        let reply = api
            .call(Some(&api.member), method(op.method), &path, body_for(op.id))
            .await;
        match op.access {
            Access::Admin => {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{}: {}",
                    op.id,
                    reply.text
                );
                assert_eq!(reply.code(), "admin_only");
            }
            Access::Member => assert_eq!(
                reply.status.as_u16(),
                op.success,
                "{}: {}",
                op.id,
                reply.text
            ),
        }
    }
    let search = api
        .get(
            &api.member,
            &format!("/fields/{}/options/search?q=a", ids.field),
        )
        .await;
    assert!(
        !search.body["hits"].as_array().unwrap().is_empty(),
        "{}",
        search.text
    );
}

async fn a_revoked_token_stops_working_at_once(store: Store) {
    let api = api(store).await;
    let created = api
        .post(&api.admin, "/tokens", json!({"name": "automation"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let secret = created.body["token"].as_str().unwrap().to_owned();
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(api.get(&secret, "/fields").await.status, StatusCode::OK);
    let revoked = api
        .call(
            Some(&api.admin),
            Method::DELETE,
            &format!("/tokens/{id}"),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = api.get(&secret, "/fields").await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.code(), "unauthenticated");
    let audit = api.get(&api.admin, "/audit").await;
    let actions: Vec<&str> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"create_api_token") && actions.contains(&"revoke_api_token"),
        "{actions:?}"
    );
}
