//! The request path under NetSuite's failures: 429 storms, 500s, timeouts, resets, truncated and
//! malformed bodies. Retried failures lose no row; exhausted retries end the read with an error.

use std::collections::BTreeSet;
use std::time::Duration;

use netsuite::{Client, Error, Scope};
use netsuite_emulator::{FaultKind, FaultRule};

use crate::support::{self, collect, collect_error};

const QUERY: &str = "/services/rest/query";

async fn all_customer_ids(client: &Client) -> BTreeSet<i64> {
    let (rows, bad) = collect(client.customers(Scope::Account).await.unwrap()).await;
    assert!(bad.is_empty());
    let ids: BTreeSet<i64> = rows.iter().map(|c| c.id.0).collect();
    assert_eq!(ids.len(), rows.len(), "no row is read twice");
    ids
}

/// Reads once cleanly, then again with `rule` scripted, and compares.
async fn survives(rule: FaultRule, tweak: impl FnOnce(&mut netsuite::ClientConfig)) -> u64 {
    let emulator = support::start(support::demo()).await;
    let clean = all_customer_ids(&support::client(&emulator)).await;
    let mut config = support::config(&emulator, support::tba(&emulator));
    config.page_size = 50;
    tweak(&mut config);
    let client = Client::new(config).unwrap();
    client.probe().await.unwrap();
    emulator.control().add_fault(rule);
    assert_eq!(all_customer_ids(&client).await, clean);
    let faulted = emulator
        .control()
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    assert!(faulted > 0, "the fault fired");
    client.requests_made()
}

#[tokio::test]
async fn a_storm_of_429s_is_waited_out() {
    survives(
        FaultRule::next(FaultKind::TooManyRequests, 12).on_path(QUERY),
        |c| c.retry.max_attempts = 20,
    )
    .await;
}

#[tokio::test]
async fn server_errors_are_retried() {
    survives(
        FaultRule::next(FaultKind::ServerError, 4).on_path(QUERY),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn random_429s_and_500s_lose_no_row() {
    survives(
        FaultRule::probability(FaultKind::ServerError, 0.2).on_path(QUERY),
        |c| c.retry.max_attempts = 12,
    )
    .await;
}

#[tokio::test]
async fn a_slow_answer_times_out_and_is_retried() {
    survives(
        FaultRule::next(FaultKind::Slow { millis: 3_000 }, 2).on_path(QUERY),
        |c| {
            c.request_timeout = Duration::from_millis(500);
        },
    )
    .await;
}

#[tokio::test]
async fn reset_connections_are_retried() {
    survives(
        FaultRule::next(FaultKind::ResetConnection, 3).on_path(QUERY),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn truncated_bodies_are_retried_not_taken_as_short_pages() {
    survives(
        FaultRule::next(FaultKind::TruncatedBody, 3).on_path(QUERY),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn malformed_json_is_retried() {
    survives(
        FaultRule::next(FaultKind::MalformedJson, 3).on_path(QUERY),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn errors_that_outlast_the_retries_end_the_read_with_an_error() {
    let emulator = support::start(support::demo()).await;
    let client = support::client(&emulator);
    client.probe().await.unwrap();
    let stream = client.customers(Scope::Account).await.unwrap();
    emulator
        .control()
        .add_fault(FaultRule::probability(FaultKind::ServerError, 1.0).on_path(QUERY));
    let err = collect_error(stream).await;
    assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
    assert!(err.to_string().contains("try again later"));
}

#[tokio::test]
async fn the_client_never_exceeds_its_budget() {
    let emulator = support::start(support::demo()).await;
    emulator
        .control()
        .set_concurrency_limit(support::ACCOUNT, 2)
        .unwrap();
    let mut config = support::config(&emulator, support::tba(&emulator));
    config.concurrency = 2;
    config.page_size = 10;
    let client = Client::new(config).unwrap();
    all_customer_ids(&client).await;
    let refused = emulator
        .control()
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert_eq!(
        refused, 0,
        "a budget at the account limit never triggers 429"
    );
}
