//! Governance: the account's concurrency limit answers 429; governanceLimits reports it.

use std::time::Duration;

use netsuite_emulator::LatencyConfig;
use reqwest::Method;

use crate::support::{self, error_code, json_of, ACCOUNT};

#[tokio::test]
async fn requests_over_the_concurrency_limit_get_429() {
    let emulator = support::start_small().await;
    let control = emulator.control();
    control.set_concurrency_limit(ACCOUNT, 2).unwrap();
    control.set_latency(LatencyConfig {
        fixed: Duration::from_millis(400),
        ..LatencyConfig::default()
    });
    let sends = (0..4).map(|_| {
        support::tba_request(
            &emulator,
            Method::GET,
            "/services/rest/record/v1/customer?limit=1",
        )
        .send()
    });
    let responses = futures::future::join_all(sends).await;
    let statuses: Vec<u16> = responses
        .iter()
        .map(|r| r.as_ref().unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );
    for response in responses
        .into_iter()
        .map(Result::unwrap)
        .filter(|r| r.status() == 429)
    {
        let body = json_of(response).await;
        assert_eq!(error_code(&body), "CONCURRENCY_LIMIT_EXCEEDED");
        assert_eq!(body["o:errorCode"], "USER_ERROR");
    }
}

#[tokio::test]
async fn governance_limits_report_the_account_limit() {
    let emulator = support::start_small().await;
    let response = support::tba_request(
        &emulator,
        Method::GET,
        "/services/rest/system/v1/governanceLimits",
    )
    .send()
    .await
    .unwrap();
    let body = json_of(response).await;
    assert_eq!(body["accountConcurrencyLimit"], 5);
    assert_eq!(body["integrationLimitType"], "accountLimit");
}
