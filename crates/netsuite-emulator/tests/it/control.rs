//! The `/_emulator` control API: strict writes with NetSuite's limits, the raw path, the
//! clock and the request log; and the data generator's determinism through HTTP.

use serde_json::{json, Value};

use crate::support::{self, error_code, json_of, suiteql, ACCOUNT};

async fn post(
    emulator: &netsuite_emulator::Emulator,
    path: &str,
    body: Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/_emulator{path}", emulator.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn strict_writes_enforce_the_company_name_limit_and_raw_writes_do_not() {
    let emulator = support::start_small().await;
    let at_limit = "N".repeat(83);
    let ok = post(
        &emulator,
        &format!("/accounts/{ACCOUNT}/mutations"),
        json!({"op": "create_customer", "company_name": at_limit, "subsidiary": 1}),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let too_long = "N".repeat(84);
    let refused = post(
        &emulator,
        &format!("/accounts/{ACCOUNT}/mutations"),
        json!({"op": "create_customer", "company_name": too_long, "subsidiary": 1}),
    )
    .await;
    assert_eq!(refused.status(), 400);
    let body = json_of(refused).await;
    assert_eq!(error_code(&body), "USER_ERROR");
    assert!(support::error_detail(&body).contains("(83)"));
    let raw = post(
        &emulator,
        &format!("/raw/accounts/{ACCOUNT}/mutations"),
        json!({"op": "create_customer", "company_name": too_long, "subsidiary": 1}),
    )
    .await;
    assert_eq!(raw.status(), 200);
    let id = json_of(raw).await["id"].as_i64().unwrap();
    let page = json_of(
        suiteql(
            &emulator,
            "",
            &format!("SELECT companyname FROM customer WHERE id = {id}"),
        )
        .await,
    )
    .await;
    assert_eq!(page["items"][0]["companyname"], too_long);
}

#[tokio::test]
async fn renames_stamp_lastmodifieddate_with_the_emulated_clock() {
    let emulator = support::start_small().await;
    let set = post(&emulator, "/clock", json!({"set": "2030-05-06T07:08:09Z"})).await;
    assert_eq!(json_of(set).await["now"], "2030-05-06T07:08:09+00:00");
    let first = json_of(
        suiteql(
            &emulator,
            "",
            "SELECT id FROM customer WHERE isperson = 'F' ORDER BY id",
        )
        .await,
    )
    .await;
    let id: i64 = first["items"][0]["id"].as_str().unwrap().parse().unwrap();
    let renamed = post(
        &emulator,
        &format!("/accounts/{ACCOUNT}/mutations"),
        json!({"op": "rename", "kind": "customer", "id": id, "name": "Renamed Co"}),
    )
    .await;
    assert_eq!(renamed.status(), 200);
    let q = format!("SELECT companyname, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD') AS d FROM customer WHERE id = {id}");
    let row = json_of(suiteql(&emulator, "", &q).await).await;
    assert_eq!(row["items"][0]["companyname"], "Renamed Co");
    assert_eq!(row["items"][0]["d"], "2030-05-06");
}

#[tokio::test]
async fn the_request_log_records_method_path_status_and_auth() {
    let emulator = support::start_small().await;
    let _ = suiteql(&emulator, "?limit=5", "SELECT id FROM customer").await;
    let log: Value = reqwest::get(format!("{}/_emulator/requests", emulator.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = &log[0];
    assert_eq!(entry["method"], "POST");
    assert_eq!(entry["path"], "/services/rest/query/v1/suiteql");
    assert_eq!(entry["query"], "limit=5");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["auth"], "tba");
    assert_eq!(entry["rows"], 5);
    assert_eq!(entry["account_id"], ACCOUNT);
}

#[tokio::test]
async fn the_same_seed_serves_the_same_data() {
    let q = "SELECT id, entityid, companyname, parent, isinactive FROM customer ORDER BY id";
    let a = json_of(suiteql(&support::start_small().await, "", q).await).await;
    let b = json_of(suiteql(&support::start_small().await, "", q).await).await;
    assert_eq!(a["items"], b["items"]);
    assert_eq!(a["count"], 60);
}

#[tokio::test]
async fn the_account_host_routes_without_credentials_naming_it() {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    let url = format!(
        "{}/services/rest/record/v1/customer?limit=1",
        emulator.base_url()
    );
    let host = format!("1234567.localhost:{}", emulator.local_addr().port());
    let signed = format!("http://{host}/services/rest/record/v1/customer?limit=1");
    let header = support::tba_header(&emulator, &creds, "GET", &signed, &support::nonce());
    let response = reqwest::Client::new()
        .get(url)
        .header("Host", host)
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
