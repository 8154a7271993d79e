//! One emulator, several accounts: churn over all (or some) of them, faults and revoked
//! credentials that hit one account only, driven over the `/_emulator` HTTP API as the
//! storm benchmark drives them.

use netsuite_emulator::{AccountConfig, Emulator, EmulatorConfig, GeneratorSpec};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{error_code, json_of, nonce, tba_header};

const ACCOUNTS: [&str; 3] = ["1000001", "1000002", "1000003"];

async fn start_three() -> Emulator {
    let accounts = ACCOUNTS
        .iter()
        .map(|id| {
            AccountConfig::generated(
                id,
                GeneratorSpec {
                    customers: 100,
                    leads_and_prospects: 0,
                    projects: 200,
                    subsidiaries: 2,
                    seed: 5,
                },
            )
        })
        .collect();
    let emulator = Emulator::start(EmulatorConfig::many(accounts))
        .await
        .expect("emulator starts");
    emulator.control().set_clock(
        chrono::DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .unwrap()
            .into(),
    );
    emulator
}

async fn control(
    emulator: &Emulator,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, format!("{}/_emulator{path}", emulator.base_url()))
        .json(&body)
        .send()
        .await
        .expect("control request")
}

/// A TBA-signed record list request for `account` on `127.0.0.1` (routed by realm).
async fn list_customers(emulator: &Emulator, account: &str) -> reqwest::Response {
    let creds = emulator.credentials(account).expect("account");
    let url = format!(
        "{}/services/rest/record/v1/customer?limit=1",
        emulator.base_url()
    );
    let auth = tba_header(emulator, &creds, "GET", &url, &nonce());
    reqwest::Client::new()
        .get(url)
        .header("Authorization", auth)
        .send()
        .await
        .expect("request")
}

async fn statuses(emulator: &Emulator) -> Vec<u16> {
    let mut out = Vec::new();
    for account in ACCOUNTS {
        out.push(list_customers(emulator, account).await.status().as_u16());
    }
    out
}

fn changed_since(emulator: &Emulator, account: &str, table: &str) -> usize {
    let q = format!(
        "SELECT id FROM {table} WHERE lastmodifieddate >= TO_DATE('2026-03-01', 'YYYY-MM-DD')"
    );
    emulator
        .control()
        .suiteql(account, &q, 0, 1000)
        .expect("query")
        .total_results
}

#[tokio::test]
async fn churn_changes_the_fraction_of_every_account_and_an_incremental_read_sees_it() {
    let emulator = start_three().await;
    let response = control(
        &emulator,
        Method::POST,
        "/churn",
        json!({"fraction": 0.05, "seed": 42}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_of(response).await;
    assert_eq!(body["accounts"], 3);
    assert_eq!(body["records_changed"], 3 * (5 + 10));
    let customers = &body["customers"];
    let sum = ["renamed", "made_inactive", "made_active"]
        .iter()
        .map(|k| customers[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(sum, 15, "{body}");
    assert_eq!(body["at"], "2026-03-01T09:00:00Z");
    for account in ACCOUNTS {
        assert_eq!(changed_since(&emulator, account, "customer"), 5);
        assert_eq!(changed_since(&emulator, account, "job"), 10);
    }
}

#[tokio::test]
async fn churn_limited_to_some_accounts_leaves_the_others_alone_and_refuses_unknown_ones() {
    let emulator = start_three().await;
    let body = json!({"fraction": 0.1, "seed": 1, "accounts": ["1000002"]});
    let response = control(&emulator, Method::POST, "/churn", body).await;
    assert_eq!(json_of(response).await["records_changed"], 30);
    assert_eq!(changed_since(&emulator, "1000001", "job"), 0);
    assert_eq!(changed_since(&emulator, "1000002", "job"), 20);
    let unknown = json!({"fraction": 0.1, "seed": 1, "accounts": ["999"]});
    assert_eq!(
        control(&emulator, Method::POST, "/churn", unknown)
            .await
            .status(),
        404
    );
    let too_much = json!({"fraction": 1.5, "seed": 1});
    assert_eq!(
        control(&emulator, Method::POST, "/churn", too_much)
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn the_in_process_churn_repeats_with_its_seed_and_differs_between_accounts() {
    let picks = |emulator: &Emulator, account: &str| {
        let q = "SELECT id, altname FROM job WHERE lastmodifieddate >= TO_DATE('2026-03-01', 'YYYY-MM-DD') ORDER BY id";
        emulator
            .control()
            .suiteql(account, q, 0, 1000)
            .expect("query")
            .items
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let emulator = start_three().await;
        let outcome = emulator.control().churn(0.1, 9, None).expect("churn");
        assert_eq!(outcome.records_changed, 90);
        runs.push((picks(&emulator, "1000001"), picks(&emulator, "1000002")));
    }
    assert_eq!(runs[0], runs[1]);
    assert_ne!(
        runs[0].0, runs[0].1,
        "same data, but each account churns its own records"
    );
}

#[tokio::test]
async fn an_account_scoped_fault_answers_503_to_that_account_only_for_its_window() {
    let emulator = start_three().await;
    let rule = json!({
        "fault": {"kind": "service_unavailable"},
        "trigger": {"for": {"seconds": 60}},
        "account": "1000002",
    });
    assert_eq!(
        control(&emulator, Method::POST, "/faults", rule)
            .await
            .status(),
        204
    );
    assert_eq!(statuses(&emulator).await, [200, 503, 200]);
    assert_eq!(
        statuses(&emulator).await,
        [200, 503, 200],
        "every request in the window"
    );
    let response = list_customers(&emulator, "1000002").await;
    assert_eq!(error_code(&json_of(response).await), "SERVICE_UNAVAILABLE");
    emulator
        .control()
        .advance_clock(chrono::Duration::seconds(61));
    assert_eq!(
        statuses(&emulator).await,
        [200, 200, 200],
        "the window is over"
    );
}

#[tokio::test]
async fn an_always_fault_for_one_account_holds_until_cleared_and_an_unknown_account_is_refused() {
    let emulator = start_three().await;
    let rule =
        json!({"fault": {"kind": "server_error"}, "trigger": "always", "account": "1000003"});
    assert_eq!(
        control(&emulator, Method::POST, "/faults", rule)
            .await
            .status(),
        204
    );
    emulator.control().advance_clock(chrono::Duration::days(1));
    assert_eq!(statuses(&emulator).await, [200, 200, 500]);
    assert_eq!(
        control(&emulator, Method::DELETE, "/faults", json!({}))
            .await
            .status(),
        204
    );
    assert_eq!(statuses(&emulator).await, [200, 200, 200]);
    let unknown = json!({"fault": {"kind": "server_error"}, "trigger": "always", "account": "999"});
    assert_eq!(
        control(&emulator, Method::POST, "/faults", unknown)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn revoked_credentials_of_one_account_are_refused_until_restored() {
    let emulator = start_three().await;
    let revoke = |revoked| {
        control(
            &emulator,
            Method::PUT,
            "/accounts/1000001/credentials",
            json!({"revoked": revoked}),
        )
    };
    assert_eq!(revoke(true).await.status(), 204);
    assert_eq!(statuses(&emulator).await, [401, 200, 200]);
    let response = list_customers(&emulator, "1000001").await;
    assert_eq!(error_code(&json_of(response).await), "INVALID_LOGIN");
    let listed = json_of(control(&emulator, Method::GET, "/accounts", json!({})).await).await;
    assert_eq!(listed[0]["revoked"], true);
    assert_eq!(
        listed[1]["credentials"]["tba"]["token_id"]
            .as_str()
            .map(str::len),
        Some(64)
    );
    assert_eq!(revoke(false).await.status(), 204);
    assert_eq!(statuses(&emulator).await, [200, 200, 200]);
}
