//! Scripted faults: each kind, exactly for the next N requests.

use netsuite_emulator::{FaultKind, FaultRule};
use reqwest::Method;

use crate::support::{self, error_code, json_of};

const PATH: &str = "/services/rest/record/v1/customer?limit=2";

async fn get(emulator: &netsuite_emulator::Emulator) -> reqwest::Result<reqwest::Response> {
    support::tba_request(emulator, Method::GET, PATH)
        .send()
        .await
}

#[tokio::test]
async fn status_faults_hit_exactly_the_next_n_requests() {
    let emulator = support::start_small().await;
    for (kind, status, code) in [
        (FaultKind::ServerError, 500, "UNEXPECTED_ERROR"),
        (
            FaultKind::TooManyRequests,
            429,
            "CONCURRENCY_LIMIT_EXCEEDED",
        ),
        (FaultKind::Unauthorized, 401, "INVALID_LOGIN"),
    ] {
        emulator.control().add_fault(FaultRule::next(kind, 2));
        for _ in 0..2 {
            let response = get(&emulator).await.unwrap();
            assert_eq!(response.status(), status);
            assert_eq!(error_code(&json_of(response).await), code);
        }
        assert_eq!(
            get(&emulator).await.unwrap().status(),
            200,
            "only the next 2 fail"
        );
    }
}

#[tokio::test]
async fn a_reset_connection_gives_no_answer() {
    let emulator = support::start_small().await;
    emulator
        .control()
        .add_fault(FaultRule::next(FaultKind::ResetConnection, 1));
    assert!(get(&emulator).await.is_err());
    assert_eq!(get(&emulator).await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_truncated_body_fails_while_reading_and_malformed_json_does_not_parse() {
    let emulator = support::start_small().await;
    emulator
        .control()
        .add_fault(FaultRule::next(FaultKind::TruncatedBody, 1));
    let response = get(&emulator).await.unwrap();
    assert!(response.bytes().await.is_err());
    emulator
        .control()
        .add_fault(FaultRule::next(FaultKind::MalformedJson, 1));
    let response = get(&emulator).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&response.bytes().await.unwrap()).is_err());
}

#[tokio::test]
async fn a_slow_answer_is_delayed_and_logged() {
    let emulator = support::start_small().await;
    emulator
        .control()
        .add_fault(FaultRule::next(FaultKind::Slow { millis: 300 }, 1));
    let started = std::time::Instant::now();
    assert_eq!(get(&emulator).await.unwrap().status(), 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    let log = emulator.control().requests();
    assert_eq!(
        log.last().unwrap().fault,
        Some(FaultKind::Slow { millis: 300 })
    );
}

#[tokio::test]
async fn probabilistic_faults_repeat_with_the_same_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let emulator = support::start_small().await;
        emulator
            .control()
            .add_fault(FaultRule::probability(FaultKind::ServerError, 0.5));
        let mut statuses = Vec::new();
        for _ in 0..12 {
            statuses.push(get(&emulator).await.unwrap().status().as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&500) && runs[0].contains(&200),
        "{:?}",
        runs[0]
    );
}
