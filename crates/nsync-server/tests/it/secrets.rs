//! Secrets and accountability: a canary secret stored as credentials appears in no log line,
//! API answer, page, error message or database byte after a full flow; every admin action
//! writes exactly one audit entry, readable through the API and on a page.

use std::io::Write;
use std::sync::{Arc, Mutex};

use netsuite_emulator::db::RecordKind;
use nsync_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::api_harness::{api, api_with, Api, PASSWORD};
use crate::api_web::get_with_cookie;
use crate::both_backends;
use crate::harness::{small_account, ACCOUNT};

both_backends!(every_admin_action_writes_exactly_one_audit_entry);

const CANARY_CONSUMER: &str = "CANARY-consumer-secret-7f3a9e";
const CANARY_TOKEN: &str = "CANARY-token-secret-41bd0c";
const CANARY_WRONG: &str = "CANARY-wrong-token-secret-55aa";

/// Everything written to the log, at every level.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn sign_in_cookie(api: &Api) -> String {
    let page = api
        .http
        .get(format!("{}/signin", api.url))
        .send()
        .await
        .unwrap();
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let text = page.text().await.unwrap();
    let csrf = text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let reply = api
        .http
        .post(format!("{}/signin", api.url))
        .header("cookie", cookie)
        .form(&[
            ("email", "admin@a.test"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    let set = reply.headers()["set-cookie"].to_str().unwrap().to_owned();
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_secret_appears_in_no_log_answer_page_or_database_byte() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let dir = std::env::temp_dir().join(format!("nsync-canary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("nsync.db");
    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let mut account = small_account(11);
    account.tba.consumer_secret = CANARY_CONSUMER.to_owned();
    account.tba.token_secret = CANARY_TOKEN.to_owned();
    let api = api_with(store, account).await;
    let tba = api.emulator.credentials(ACCOUNT).unwrap().tba;
    let integration = format!("/integrations/{}", api.integration);
    let mut seen: Vec<String> = Vec::new();
    let mut call = async |method: Method, path: String, body: Option<Value>| {
        let reply = api.call(Some(&api.admin), method, &path, body).await;
        seen.push(format!("{path}: {} {}", reply.status, reply.text));
        reply
    };

    // Credentials in (the canary), a test, an import, an update, previews, every read.
    let creds = |token_secret: &str| {
        json!({"kind": "tba", "consumer_key": tba.consumer_key, "consumer_secret": CANARY_CONSUMER,
               "token_id": tba.token_id, "token_secret": token_secret})
    };
    let put = call(
        Method::PUT,
        format!("{integration}/credentials"),
        Some(creds(CANARY_TOKEN)),
    )
    .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{}", put.text);
    let test = call(Method::POST, format!("{integration}/test"), Some(json!({}))).await;
    assert_eq!(test.status, StatusCode::OK, "{}", test.text);
    let import = call(
        Method::POST,
        format!("{integration}/import"),
        Some(json!({"all": true})),
    )
    .await;
    api.wait_for_run(import.body["run_id"].as_i64().unwrap())
        .await;
    call(
        Method::POST,
        format!("{integration}/update"),
        Some(json!({"preview": true})),
    )
    .await;
    let update = call(
        Method::POST,
        format!("{integration}/update"),
        Some(json!({})),
    )
    .await;
    let run = update.body["run_id"].as_i64().unwrap();
    api.wait_for_run(run).await;
    for path in [
        integration.clone(),
        format!("{integration}/runs"),
        format!("{integration}/subsidiaries"),
        format!("{integration}/candidates?parent=top"),
        format!("/runs/{run}"),
        format!("/runs/{run}/changes"),
        format!("/fields/{}/options", api.field),
        format!("/fields/{}/options/search?q=a", api.field),
        "/fields".to_owned(),
        "/audit".to_owned(),
        "/openapi.json".to_owned(),
    ] {
        call(Method::GET, path, None).await;
    }
    // Wrong credentials: the refusal and the failed run say what to do, not what was sent.
    call(
        Method::PUT,
        format!("{integration}/credentials"),
        Some(creds(CANARY_WRONG)),
    )
    .await;
    let refused = call(Method::POST, format!("{integration}/test"), Some(json!({}))).await;
    assert!(refused.text.contains("rejected"), "{}", refused.text);
    let failing = call(
        Method::POST,
        format!("{integration}/update"),
        Some(json!({"full": true})),
    )
    .await;
    let failed = api
        .wait_for_run(failing.body["run_id"].as_i64().unwrap())
        .await;
    assert_eq!(failed["status"], "failed", "{failed}");
    seen.push(failed.to_string());
    // The pages an admin sees, and the metrics.
    let cookie = sign_in_cookie(&api).await;
    for path in [
        "/integration",
        "/field",
        "/runs",
        &format!("/runs/{run}"),
        "/audit",
    ] {
        let reply = get_with_cookie(&api, &cookie, path).await;
        seen.push(format!("{:?}", reply.headers()));
        seen.push(reply.text().await.unwrap());
    }
    let metrics = api
        .http
        .get(format!("{}/metrics", api.url))
        .send()
        .await
        .unwrap();
    seen.push(metrics.text().await.unwrap());
    api.store.close().await;

    let mut database = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(bytes) = std::fs::read(format!("{}{suffix}", db.display())) {
            database.extend(bytes);
        }
    }
    assert!(
        database.len() > 100_000,
        "the database holds the flow's data"
    );
    let log = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    assert!(log.contains("run failed"), "the log was captured");
    let answers = seen.join("\n");
    for canary in [CANARY_CONSUMER, CANARY_TOKEN, CANARY_WRONG] {
        assert!(!answers.contains(canary), "{canary} in an answer or page");
        assert!(!log.contains(canary), "{canary} in the log");
        assert!(
            !database
                .windows(canary.len())
                .any(|w| w == canary.as_bytes()),
            "{canary} in the database file"
        );
    }
    eprintln!(
        "canary: {} answers and pages ({} bytes), {} log bytes, {} database bytes searched; no canary found",
        seen.len(),
        answers.len(),
        log.len(),
        database.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn every_admin_action_writes_exactly_one_audit_entry(store: Store) {
    let api = api(store).await;
    let integration = format!("/integrations/{}", api.integration);
    let tba = api.emulator.credentials(ACCOUNT).unwrap().tba;
    let entries = async || -> Vec<String> {
        let audit = api.get(&api.admin, "/audit?limit=500").await;
        audit.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    let expect = async |method: Method, path: String, body: Option<Value>, action: &str| -> Value {
        let before = entries().await;
        let reply = api.call(Some(&api.admin), method, &path, body).await;
        assert!(reply.status.is_success(), "{path}: {}", reply.text);
        if let Some(run) = reply.body["run_id"].as_i64() {
            api.wait_for_run(run).await;
        }
        let after = entries().await;
        assert_eq!(
            after.len(),
            before.len() + 1,
            "{path} wrote {:?}",
            &after[..after.len() - before.len()]
        );
        assert_eq!(after[0], action, "{path}");
        reply.body
    };
    let creds = json!({"kind": "tba", "consumer_key": tba.consumer_key, "consumer_secret": tba.consumer_secret,
                       "token_id": tba.token_id, "token_secret": tba.token_secret});
    expect(
        Method::PUT,
        format!("{integration}/credentials"),
        Some(creds),
        "set_credentials",
    )
    .await;
    expect(
        Method::POST,
        format!("{integration}/import"),
        Some(json!({"all": true})),
        "start_import",
    )
    .await;
    expect(
        Method::POST,
        format!("{integration}/update"),
        Some(json!({})),
        "start_update",
    )
    .await;
    let option = api.first_option().await["id"].as_i64().unwrap();
    expect(
        Method::POST,
        format!("/options/{option}/remove"),
        Some(json!({})),
        "remove_option",
    )
    .await;
    expect(
        Method::POST,
        format!("/options/{option}/restore"),
        Some(json!({})),
        "restore_option",
    )
    .await;
    let mut settings = api.get(&api.admin, &integration).await.body["settings"].clone();
    settings["auto_update"]["enabled"] = json!(true);
    settings["deactivation_guard"] = json!({"min_count": 1, "percent": 0});
    expect(
        Method::PATCH,
        integration.clone(),
        Some(json!({"settings": settings})),
        "update_settings",
    )
    .await;
    expect(
        Method::POST,
        format!("{integration}/notification-secret"),
        Some(json!({})),
        "create_notification_secret",
    )
    .await;
    let token = expect(
        Method::POST,
        "/tokens".to_owned(),
        Some(json!({"name": "ci"})),
        "create_api_token",
    )
    .await;
    expect(
        Method::DELETE,
        format!("/tokens/{}", token["id"]),
        None,
        "revoke_api_token",
    )
    .await;
    // A held update and its confirmation: two projects go inactive, past a guard of 1.
    let control = api.emulator.control();
    control.advance_clock(chrono::Duration::minutes(1));
    let projects: Vec<i64> = api
        .get(
            &api.admin,
            &format!("/fields/{}/options?limit=500", api.field),
        )
        .await
        .body["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| {
            o["upstream"]
                .as_str()?
                .strip_prefix("customer:")?
                .parse()
                .ok()
        })
        .take(2)
        .collect();
    for id in &projects {
        control
            .set_inactive(ACCOUNT, RecordKind::Customer, *id, true)
            .unwrap();
    }
    control.advance_clock(chrono::Duration::minutes(1));
    let held = expect(
        Method::POST,
        format!("{integration}/update"),
        Some(json!({})),
        "start_update",
    )
    .await;
    let run = held["run_id"].as_i64().unwrap();
    assert_eq!(
        api.get(&api.admin, &format!("/runs/{run}")).await.body["status"],
        "needs_confirmation"
    );
    expect(
        Method::POST,
        format!("/runs/{run}/confirm"),
        Some(json!({})),
        "confirm_update",
    )
    .await;
    // The same entries on the audit page.
    let cookie = sign_in_cookie(&api).await;
    let page = get_with_cookie(&api, &cookie, "/audit")
        .await
        .text()
        .await
        .unwrap();
    for action in [
        "set credentials",
        "start import",
        "confirm update",
        "revoke api token",
        "create notification secret",
        "update settings",
    ] {
        assert!(
            page.to_lowercase().contains(action),
            "{action} missing from the audit page"
        );
    }
}
