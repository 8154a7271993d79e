//! The change feed through the API, and webhooks to a receiver on loopback: signed, in order,
//! at least once through 500s, timeouts and redirects; disabled after failing too long and
//! enabled again; a rotation signing with both secrets; internal destinations refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode as Status};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use nsync_server::webhooks::{Deliverer, DeliveryConfig};
use nsync_store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::api_harness::{api_for_webhooks, Api};
use crate::both_backends;

both_backends!(
    the_feed_reads_every_change_once_in_order_and_says_when_a_cursor_is_too_old,
    events_arrive_signed_in_order_at_least_once_through_failures,
    an_endpoint_failing_too_long_is_disabled_and_can_be_enabled_again,
    a_rotated_secret_signs_beside_the_new_one,
    internal_destinations_are_refused_unless_allowed,
);

/// What the receiver does with one request.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Status(u16),
    /// Answers 204 after this long.
    Slow(Duration),
    Redirect,
    /// 204 with a body of this many bytes.
    Huge(usize),
}

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A receiver on 127.0.0.1:0 answering its script in order (then 204), recording each request.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Vec<Answer>>>,
}

impl Receiver {
    async fn start(script: Vec<Answer>) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script = Arc::new(Mutex::new(script.into_iter().rev().collect::<Vec<_>>()));
        let (g, s) = (Arc::clone(&got), Arc::clone(&script));
        let handler = move |headers: HeaderMap, body: String| {
            let (g, s) = (Arc::clone(&g), Arc::clone(&s));
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                g.lock().unwrap().push(Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp"),
                    signature: header("webhook-signature"),
                    body,
                });
                let answer = s.lock().unwrap().pop().unwrap_or(Answer::Status(204));
                let response: Response = match answer {
                    Answer::Status(code) => Status::from_u16(code).unwrap().into_response(),
                    Answer::Slow(delay) => {
                        tokio::time::sleep(delay).await;
                        Status::NO_CONTENT.into_response()
                    }
                    Answer::Redirect => {
                        (Status::FOUND, [("location", "http://127.0.0.1:9/")]).into_response()
                    }
                    Answer::Huge(bytes) => (Status::OK, "x".repeat(bytes)).into_response(),
                };
                response
            }
        };
        let app = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, got, script }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn answer_next(&self, answers: &[Answer]) {
        let mut script = self.script.lock().unwrap();
        script.clear();
        script.extend(answers.iter().rev().copied());
    }
}

/// Checks a signature as the Standard Webhooks specification defines it, written apart from
/// the server's signing code.
fn verifies(secret: &str, got: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", got.id, got.timestamp, got.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    got.signature.split(' ').any(|s| s == expected)
}

/// A deliverer as quick as a test needs: 1 s timeout, retries after 50 to 200 ms.
fn deliverer(api: &Api, give_up_after: Duration) -> Arc<Deliverer> {
    let config = DeliveryConfig {
        concurrency: 2,
        timeout: Duration::from_secs(1),
        poll: Duration::from_millis(20),
        first_retry: Duration::from_millis(50),
        max_retry: Duration::from_millis(200),
        give_up_after,
        ..DeliveryConfig::default()
    };
    let deliverer = Arc::new(Deliverer::new(Arc::clone(&api.engine), config).unwrap());
    tokio::spawn(Arc::clone(&deliverer).run(std::future::pending()));
    deliverer
}

async fn register(api: &Api, url: &str, events: &[&str]) -> (i64, String) {
    let reply = api
        .post(
            &api.admin,
            "/webhooks",
            json!({"url": url, "events": events}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (reply.body["webhook"]["id"].as_i64().unwrap(), secret)
}

async fn deliveries(api: &Api, webhook: i64) -> Vec<Value> {
    let reply = api
        .get(&api.admin, &format!("/webhooks/{webhook}/deliveries"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["deliveries"].as_array().unwrap().clone()
}

/// Waits until `done` holds of the endpoint's log (newest first), up to 20 s.
async fn wait_for(api: &Api, webhook: i64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..400 {
        let log = deliveries(api, webhook).await;
        if done(&log) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the deliveries did not get there: {:?}",
        deliveries(api, webhook).await
    );
}

async fn options(api: &Api) -> Vec<i64> {
    let reply = api
        .get(&api.admin, &format!("/fields/{}/options", api.field))
        .await;
    reply.body["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

async fn remove(api: &Api, option: i64, removed: bool) {
    let verb = if removed { "remove" } else { "restore" };
    let reply = api
        .post(&api.admin, &format!("/options/{option}/{verb}"), json!({}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

async fn the_feed_reads_every_change_once_in_order_and_says_when_a_cursor_is_too_old(store: Store) {
    let api = api_for_webhooks(store, true).await;
    let path = format!("/fields/{}/changes", api.field);
    let start = api
        .get(&api.member, &format!("/fields/{}", api.field))
        .await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.text);
    let empty = start.body["changes_cursor"].as_str().unwrap().to_owned();
    let run = api.import_all().await;
    let added = api.wait_for_run(run).await["counts"]["added"]
        .as_i64()
        .unwrap();
    assert!(added > 3);

    // Page by page, three at a time: every entry once, numbered 1, 2, 3, ...
    let (mut seqs, mut cursor) = (Vec::new(), empty.clone());
    loop {
        let page = api
            .get(&api.member, &format!("{path}?after={cursor}&limit=3"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for change in page.body["changes"].as_array().unwrap() {
            assert_eq!(change["run_id"], run);
            assert_eq!(change["kind"], "added");
            assert!(!change["label"].as_str().unwrap().is_empty());
            seqs.push(change["seq"].as_i64().unwrap());
        }
        cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
        if page.body["has_more"] == false {
            break;
        }
    }
    assert_eq!(seqs, (1..=added).collect::<Vec<_>>());
    let now = api
        .get(&api.member, &format!("/fields/{}", api.field))
        .await;
    assert_eq!(now.body["changes_cursor"], cursor.as_str());

    // An action by hand follows, with who did it.
    let option = options(&api).await[0];
    remove(&api, option, true).await;
    let page = api
        .get(&api.member, &format!("{path}?after={cursor}"))
        .await;
    let change = &page.body["changes"][0];
    assert_eq!(change["seq"], added + 1);
    assert_eq!(change["kind"], "removed_here");
    assert_eq!(change["action"], "remove_option");
    assert_eq!(change["actor_user_id"], api.admin_id.get());
    assert_eq!(change["option_id"], option);

    // Cursors that are not this feed's.
    for bad in ["nope", "00000000000000000000000000000000", &"f".repeat(32)] {
        let reply = api.get(&api.member, &format!("{path}?after={bad}")).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.text
        );
    }
    let other = api
        .get(&api.other_admin, &format!("/fields/{}", api.other_field))
        .await;
    let foreign = other.body["changes_cursor"].as_str().unwrap();
    let reply = api
        .get(&api.member, &format!("{path}?after={foreign}"))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    let reply = api.get(&api.other_admin, &path).await;
    assert_eq!(
        reply.status,
        StatusCode::NOT_FOUND,
        "another company's feed"
    );

    // Pruned past a cursor: 410, saying what to do; the current cursor goes on.
    api.store.prune_field_changes(i64::MAX).await.unwrap();
    let reply = api.get(&api.member, &format!("{path}?after={empty}")).await;
    assert_eq!(reply.status, StatusCode::GONE, "{}", reply.text);
    assert_eq!(reply.code(), "cursor_expired");
    assert!(reply.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("read the options again"));
    let now = api
        .get(&api.member, &format!("/fields/{}", api.field))
        .await;
    let current = now.body["changes_cursor"].as_str().unwrap();
    let reply = api
        .get(&api.member, &format!("{path}?after={current}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["changes"].as_array().unwrap().len(), 0);
}

async fn events_arrive_signed_in_order_at_least_once_through_failures(store: Store) {
    let api = api_for_webhooks(store, true).await;
    api.import_all().await;
    let receiver = Receiver::start(vec![
        Answer::Status(500),
        Answer::Slow(Duration::from_secs(3)),
        Answer::Status(204),
        Answer::Redirect,
        Answer::Status(200),
        Answer::Huge(3_000_000),
    ])
    .await;
    let (webhook, secret) = register(&api, &receiver.url, &["field.changed"]).await;
    let ids = options(&api).await;
    // Three events, queued before anything delivers.
    remove(&api, ids[0], true).await;
    remove(&api, ids[0], false).await;
    remove(&api, ids[1], true).await;
    let _deliverer = deliverer(&api, Duration::from_secs(3600));
    let log = wait_for(&api, webhook, |log| {
        log.len() == 3 && log.iter().all(|d| d["status"] == "delivered")
    })
    .await;

    let got = receiver.got();
    let order: Vec<&str> = got.iter().map(|g| g.id.as_str()).collect();
    let (first, second, third) = (
        log[2]["message_id"].as_str().unwrap(),
        log[1]["message_id"].as_str().unwrap(),
        log[0]["message_id"].as_str().unwrap(),
    );
    assert_eq!(
        order,
        [first, first, first, second, second, third],
        "in order, each retried until it is taken"
    );
    assert!(
        got.iter().all(|g| verifies(&secret, g)),
        "every request is signed"
    );
    assert_eq!(log[2]["attempts"], 3);
    assert_eq!(log[1]["attempts"], 2);
    assert_eq!(log[0]["attempts"], 1);
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["type"], "field.changed");
    assert_eq!(body["data"]["action"], "remove_option");
    // The event says where to read: its cursors work with the feed.
    let after = body["data"]["after"].as_str().unwrap();
    let n = body["data"]["changes"].as_u64().unwrap();
    let page = api
        .get(
            &api.admin,
            &format!("/fields/{}/changes?after={after}&limit={n}", api.field),
        )
        .await;
    assert_eq!(page.body["changes"][0]["kind"], "removed_here");
    assert_eq!(page.body["next_cursor"], body["data"]["until"]);
    // Send again: the same message id, queued behind, delivered once more.
    let reply = api
        .post(
            &api.admin,
            &format!("/webhooks/{webhook}/resend"),
            json!({"delivery_id": log[2]["id"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
    wait_for(&api, webhook, |log| {
        log.len() == 4 && log[0]["status"] == "delivered"
    })
    .await;
    assert_eq!(receiver.got().last().unwrap().id, first);
    let metrics = api.engine.metrics().encode(0);
    assert!(
        metrics.contains("nsync_webhook_attempts_total{outcome=\"failed\"} 3")
            && metrics.contains("nsync_webhook_attempts_total{outcome=\"delivered\"} 4"),
        "{metrics}"
    );
}

async fn an_endpoint_failing_too_long_is_disabled_and_can_be_enabled_again(store: Store) {
    let api = api_for_webhooks(store, true).await;
    api.import_all().await;
    let receiver = Receiver::start(vec![Answer::Status(503); 1_000]).await;
    let (webhook, _) = register(&api, &receiver.url, &["field.changed"]).await;
    remove(&api, options(&api).await[0], true).await;
    let _deliverer = deliverer(&api, Duration::from_millis(400));
    let mut disabled = Value::Null;
    for _ in 0..200 {
        let reply = api.get(&api.admin, &format!("/webhooks/{webhook}")).await;
        if reply.body["enabled"] == false {
            disabled = reply.body;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let reason = disabled["disabled_reason"].as_str().expect("disabled");
    assert!(
        reason.contains("failed since") && reason.contains("503"),
        "{reason}"
    );
    let pending = deliveries(&api, webhook).await;
    assert_eq!(pending[0]["status"], "pending");
    assert!(pending[0]["attempts"].as_u64().unwrap() >= 2);
    assert_eq!(pending[0]["last_status"], 503);
    // Nothing more is sent to a disabled endpoint, and nothing new is queued for it.
    let tried = receiver.got().len();
    remove(&api, options(&api).await[1], true).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.got().len(), tried);
    assert_eq!(deliveries(&api, webhook).await.len(), 1);

    receiver.answer_next(&[]);
    let reply = api
        .post(
            &api.admin,
            &format!("/webhooks/{webhook}/enable"),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["enabled"], true);
    wait_for(&api, webhook, |log| log[0]["status"] == "delivered").await;
}

async fn a_rotated_secret_signs_beside_the_new_one(store: Store) {
    let api = api_for_webhooks(store, true).await;
    api.import_all().await;
    let receiver = Receiver::start(Vec::new()).await;
    let (webhook, old) = register(&api, &receiver.url, &["field.changed"]).await;
    let reply = api
        .post(
            &api.admin,
            &format!("/webhooks/{webhook}/rotate-secret"),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let new = reply.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(reply.body["webhook"]["previous_secret_valid_until_ms"].is_i64());
    // The secret is never read back.
    let listed = api.get(&api.admin, "/webhooks").await;
    assert!(!listed.text.contains(&new) && !listed.text.contains(&old));
    remove(&api, options(&api).await[0], true).await;
    let _deliverer = deliverer(&api, Duration::from_secs(3600));
    wait_for(&api, webhook, |log| log[0]["status"] == "delivered").await;
    let got = &receiver.got()[0];
    assert_eq!(got.signature.split(' ').count(), 2, "{}", got.signature);
    assert!(verifies(&old, got) && verifies(&new, got));
}

async fn internal_destinations_are_refused_unless_allowed(store: Store) {
    let api = api_for_webhooks(store, false).await;
    api.import_all().await;
    let receiver = Receiver::start(Vec::new()).await;
    for url in [
        receiver.url.clone(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::1]:80/".to_owned(),
        "ftp://example.com/".to_owned(),
    ] {
        let reply = api
            .post(
                &api.admin,
                "/webhooks",
                json!({"url": url, "events": ["run.failed"]}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {}",
            reply.text
        );
    }
    let reply = api
        .post(
            &api.admin,
            "/webhooks",
            json!({"url": receiver.url, "events": ["nope"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = api
        .post(
            &api.member,
            "/webhooks",
            json!({"url": "https://example.com/", "events": ["run.failed"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // A name is checked where it resolves: `localhost` is let in, and never reached.
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let (webhook, _) = register(&api, &by_name, &["field.changed"]).await;
    remove(&api, options(&api).await[0], true).await;
    let _deliverer = deliverer(&api, Duration::from_secs(3600));
    let log = wait_for(&api, webhook, |log| log[0]["attempts"].as_u64() >= Some(1)).await;
    let error = log[0]["last_error"].as_str().unwrap();
    assert!(error.contains("internal address"), "{error}");
    assert!(receiver.got().is_empty());
}
