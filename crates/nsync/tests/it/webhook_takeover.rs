//! Webhooks are delivered at least once and in order across a SIGKILL: an `nsync worker` is
//! killed in the middle of an endpoint's deliveries, a second one takes the endpoint's lease
//! over when it runs out, and the receiver gets every event, in order, the one in flight at
//! the kill possibly twice.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use nsync_core::{OptionName, TimeZone, WebhookEvent};
use nsync_store::{Audit, DeliveryStatus, MasterKey, Store};
use tokio::process::{Child, Command};

use crate::support::Database;

const EVENTS: usize = 30;

fn worker(db: &Database, key: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_nsync"))
        .args(["worker", "--workers", "2"])
        .env("NSYNC_DATABASE_URL", &db.url)
        .env("NSYNC_MASTER_KEY", key)
        .env("NSYNC_JOB_LEASE_SECONDS", "3")
        .env("NSYNC_ALLOW_PRIVATE_WEBHOOKS", "true")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("nsync worker starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_workers_deliveries_are_taken_over_in_order() {
    let Some(db) = Database::create("webhooks").await else {
        return;
    };
    // A receiver that takes 150 ms over each delivery, so that one is in flight at the kill.
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&got);
    let handler = move |headers: HeaderMap| {
        let seen = Arc::clone(&seen);
        async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let id = headers
                .get("webhook-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            seen.lock().unwrap().push(id);
            StatusCode::NO_CONTENT
        }
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (key, key_text) = MasterKey::generate();
    let store = Store::connect(&db.url).await.expect("store");
    let company = store
        .create_company("Hears everything", &TimeZone::parse("UTC").unwrap(), 1)
        .await
        .unwrap();
    let audit = |action| Audit::new(company, None, action, chrono::Utc::now().timestamp_millis());
    let endpoint = store
        .create_webhook_endpoint(
            &key,
            &url,
            &[WebhookEvent::FieldChanged],
            "whsec_dGhpcnR5LXR3by1ieXRlcy1vZi1hLXRlc3Qtc2VjcmV0",
            &audit("create_webhook"),
        )
        .await
        .unwrap();
    // One event per option added by hand to a manual field.
    let field = store
        .create_manual_field(company, "Cost centres")
        .await
        .unwrap();
    for i in 0..EVENTS {
        let name = OptionName::parse_manual(&format!("Centre {i}")).unwrap();
        store
            .add_manual_option(field, None, &name, &audit("create_option"))
            .await
            .unwrap();
    }
    let log = store
        .webhook_deliveries(endpoint.id, None, 100)
        .await
        .unwrap();
    assert_eq!(log.len(), EVENTS);
    let mut events: Vec<String> = log.iter().map(|d| format!("msg_{}", d.event)).collect();
    events.reverse();

    let mut first = worker(&db, &key_text);
    let started = Instant::now();
    while got.lock().unwrap().len() < 8 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker delivers nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.start_kill().expect("SIGKILL");
    first.wait().await.unwrap();
    let at_kill = got.lock().unwrap().len();
    let mut second = worker(&db, &key_text);
    let taken_over = Instant::now();
    loop {
        let log = store
            .webhook_deliveries(endpoint.id, None, 100)
            .await
            .unwrap();
        if log.iter().all(|d| d.status == DeliveryStatus::Delivered) {
            break;
        }
        assert!(
            taken_over.elapsed() < Duration::from_secs(60),
            "not all delivered after the kill: {} of {EVENTS}",
            log.iter()
                .filter(|d| d.status == DeliveryStatus::Delivered)
                .count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.start_kill().expect("stop");
    second.wait().await.unwrap();

    let got = got.lock().unwrap().clone();
    assert!(at_kill < EVENTS, "the kill came after everything was sent");
    // In order, each at least once; a repeat only of the one just before (the one in flight,
    // or answered, when the first worker died).
    let mut distinct: Vec<String> = got.clone();
    distinct.dedup();
    assert_eq!(distinct, events, "every event, in order: {got:?}");
    assert!(
        got.len() <= EVENTS + 2,
        "{} requests for {EVENTS} events",
        got.len()
    );
    store.close().await;
    db.drop_it().await;
}
