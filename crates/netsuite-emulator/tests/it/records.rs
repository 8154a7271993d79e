//! The REST record API: lists of ids and links, `q` filters, single records with references.

use reqwest::Method;

use crate::support::{self, error_code, error_detail, json_of};

async fn get(emulator: &netsuite_emulator::Emulator, path: &str) -> reqwest::Response {
    support::tba_request(emulator, Method::GET, path)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_list_returns_ids_and_links_paged() {
    let emulator = support::start_small().await;
    let body = json_of(
        get(
            &emulator,
            "/services/rest/record/v1/customer?limit=10&offset=10",
        )
        .await,
    )
    .await;
    assert_eq!(body["count"], 10);
    assert_eq!(body["totalResults"], 60);
    let item = &body["items"][0];
    let id = item["id"].as_str().unwrap();
    let href = item["links"][0]["href"].as_str().unwrap();
    assert_eq!(
        href,
        format!(
            "{}/services/rest/record/v1/customer/{id}",
            emulator.base_url()
        )
    );
}

#[tokio::test]
async fn a_record_has_camel_case_fields_and_linked_references() {
    let emulator = support::start_small().await;
    let list = json_of(get(&emulator, "/services/rest/record/v1/job?limit=1").await).await;
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let record = json_of(get(&emulator, &format!("/services/rest/record/v1/job/{id}")).await).await;
    assert!(record["companyName"].is_string(), "{record}");
    assert!(record["isInactive"].is_boolean());
    assert!(record["lastModifiedDate"].as_str().unwrap().ends_with('Z'));
    let parent = &record["parent"];
    assert!(parent["refName"].is_string());
    assert!(parent["links"][0]["href"]
        .as_str()
        .unwrap()
        .contains("/services/rest/record/v1/"));
}

#[tokio::test]
async fn a_missing_record_is_nonexistent_id() {
    let emulator = support::start_small().await;
    let response = get(&emulator, "/services/rest/record/v1/customer/99999999").await;
    assert_eq!(response.status(), 404);
    assert_eq!(error_code(&json_of(response).await), "NONEXISTENT_ID");
}

#[tokio::test]
async fn q_filters_work_and_unparseable_dates_are_refused() {
    let emulator = support::start_small().await;
    let all = json_of(get(&emulator, "/services/rest/record/v1/customer").await).await;
    let inactive = json_of(
        get(
            &emulator,
            "/services/rest/record/v1/customer?q=isInactive%20IS%20true",
        )
        .await,
    )
    .await;
    assert!(inactive["totalResults"].as_u64().unwrap() < all["totalResults"].as_u64().unwrap());
    let since = json_of(
        get(
            &emulator,
            "/services/rest/record/v1/customer?q=lastModifiedDate%20ON_OR_AFTER%20%221/1/2000%22",
        )
        .await,
    )
    .await;
    assert_eq!(since["totalResults"], all["totalResults"]);
    let bad = get(
        &emulator,
        "/services/rest/record/v1/customer?q=lastModifiedDate%20AFTER%20%22yesterday%22",
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert!(error_detail(&json_of(bad).await).contains("Unparseable date"));
}
