//! SuiteQL over HTTP: encoding, errors, paging rules, the 100k reach, keyset paging, features.

use chrono::TimeZone as _;
use netsuite_emulator::{AccountConfig, DatasetChoice, GeneratorSpec, Mutation, NewCustomer};
use serde_json::Value;

use crate::support::{self, error_code, error_detail, json_of, suiteql, ACCOUNT};

#[tokio::test]
async fn rows_come_back_as_netsuite_encodes_them() {
    let emulator = support::start_small().await;
    let response = suiteql(
        &emulator,
        "",
        "SELECT ID AS MyId, companyname, isinactive, parent FROM customer ORDER BY id",
    )
    .await;
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    let items = body["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        let row = item.as_object().unwrap();
        assert_eq!(row["links"], serde_json::json!([]));
        assert!(
            row["myid"].is_string(),
            "lowercase alias, string value: {row:?}"
        );
        assert!(matches!(row["isinactive"].as_str(), Some("T" | "F")));
        assert!(
            row.get("parent").is_none_or(|p| p.is_string()),
            "NULL parent is left out, never null"
        );
        assert!(row
            .keys()
            .all(|k| k.chars().all(|c| !c.is_ascii_uppercase())));
    }
    assert!(
        items.iter().any(|i| i.get("parent").is_none()),
        "top-level customers omit parent"
    );
}

#[tokio::test]
async fn dates_follow_the_users_format_and_to_char_the_accounts_zone_across_dst() {
    let emulator = support::start_small().await;
    let control = emulator.control();
    // US DST began 2024-03-10 at 02:00 local (10:00 UTC).
    control.set_clock(chrono::Utc.with_ymd_and_hms(2024, 3, 10, 9, 30, 0).unwrap());
    let new = |name: &str| {
        Mutation::CreateCustomer(NewCustomer {
            company_name: Some(name.into()),
            subsidiary: Some(1),
            ..NewCustomer::default()
        })
    };
    let before = control.apply(ACCOUNT, new("Before DST")).unwrap().id;
    control.advance_clock(chrono::Duration::hours(1));
    let after = control.apply(ACCOUNT, new("After DST")).unwrap().id;
    let q = format!("SELECT id, lastmodifieddate, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS t FROM customer WHERE id IN ({before}, {after}) ORDER BY id");
    let body = json_of(suiteql(&emulator, "", &q).await).await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[0]["lastmodifieddate"], "3/10/2024");
    assert_eq!(items[0]["t"], "2024-03-10 01:30:00");
    assert_eq!(items[1]["t"], "2024-03-10 03:30:00");
}

#[tokio::test]
async fn unknown_tables_columns_and_bad_syntax_answer_netsuites_400() {
    let emulator = support::start_small().await;
    let cases = [
        (
            "SELECT id FROM nosuchtable",
            "Invalid search type: nosuchtable.",
        ),
        (
            "SELECT not_existing_field FROM customer",
            "Unknown identifier 'not_existing_field'",
        ),
        (
            "SELEC id FROM customer",
            "Invalid search query. Detailed unprocessed description follows.",
        ),
    ];
    for (q, expected) in cases {
        let response = suiteql(&emulator, "", q).await;
        assert_eq!(response.status(), 400, "{q}");
        let body = json_of(response).await;
        assert_eq!(error_code(&body), "INVALID_PARAMETER");
        assert_eq!(body["o:errorDetails"][0]["o:errorQueryParam"], "q");
        assert!(
            error_detail(&body).contains(expected),
            "{q}: {}",
            error_detail(&body)
        );
    }
}

#[tokio::test]
async fn paging_rules_are_enforced() {
    let emulator = support::start_small().await;
    let q = "SELECT id FROM customer ORDER BY id";
    for (query, param) in [
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?limit=10&offset=15", "offset"),
    ] {
        let response = suiteql(&emulator, query, q).await;
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(
            json_of(response).await["o:errorDetails"][0]["o:errorQueryParam"],
            param
        );
    }
    let page = json_of(suiteql(&emulator, "?limit=10&offset=20", q).await).await;
    assert_eq!(page["count"], 10);
    assert_eq!(page["offset"], 20);
    assert_eq!(page["hasMore"], true);
    assert_eq!(page["totalResults"], 60);
    let links: Vec<&str> = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(links, ["first", "prev", "next", "last", "self"]);
    let next = page["links"][2]["href"].as_str().unwrap();
    assert!(
        next.starts_with(&emulator.base_url())
            && next.ends_with("/services/rest/query/v1/suiteql?limit=10&offset=30"),
        "{next}"
    );
    let last = json_of(suiteql(&emulator, "?limit=10&offset=50", q).await).await;
    assert_eq!(last["hasMore"], false);
}

#[tokio::test]
async fn prefer_transient_is_required() {
    let emulator = support::start_small().await;
    let response = support::tba_request(
        &emulator,
        reqwest::Method::POST,
        "/services/rest/query/v1/suiteql",
    )
    .json(&serde_json::json!({"q": "SELECT id FROM customer"}))
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn offsets_reach_at_most_100000_rows_and_keyset_paging_goes_past_them() {
    let spec = GeneratorSpec {
        customers: 101_000,
        leads_and_prospects: 0,
        projects: 0,
        subsidiaries: 3,
        seed: 5,
    };
    let emulator = support::start(AccountConfig::generated(ACCOUNT, spec)).await;
    let q = "SELECT id FROM customer ORDER BY id";
    let last = json_of(suiteql(&emulator, "?limit=1000&offset=99000", q).await).await;
    assert_eq!(last["count"], 1000);
    assert_eq!(
        last["hasMore"], false,
        "nothing past the reach can be asked for"
    );
    assert_eq!(last["totalResults"], 101_000);
    let past = suiteql(&emulator, "?limit=1000&offset=100000", q).await;
    assert_eq!(past.status(), 400);
    let small = suiteql(&emulator, "?limit=5&offset=5000", q).await;
    assert_eq!(
        small.status(),
        400,
        "with limit 5 only 1000 pages (5000 rows) are reachable"
    );
    let last_id = last["items"][999]["id"].as_str().unwrap();
    let keyset = format!(
        "SELECT id FROM customer WHERE id > {last_id} ORDER BY id FETCH FIRST 1000 ROWS ONLY"
    );
    let beyond = json_of(suiteql(&emulator, "?limit=1000", &keyset).await).await;
    assert_eq!(beyond["count"], 1000);
    let first: i64 = beyond["items"][0]["id"].as_str().unwrap().parse().unwrap();
    assert!(first > last_id.parse::<i64>().unwrap());
}

#[tokio::test]
async fn a_non_oneworld_account_has_no_subsidiaries_and_projects_off_has_no_job() {
    let mut account = AccountConfig::with_dataset(
        ACCOUNT,
        2,
        DatasetChoice::Generated(GeneratorSpec {
            customers: 10,
            leads_and_prospects: 0,
            projects: 0,
            subsidiaries: 1,
            seed: 2,
        }),
    );
    account.one_world = false;
    account.projects_enabled = false;
    let emulator = support::start(account).await;
    let body = json_of(suiteql(&emulator, "", "SELECT subsidiary FROM customer").await).await;
    assert!(
        error_detail(&body).contains("Unknown identifier 'subsidiary'"),
        "{body}"
    );
    let body = json_of(suiteql(&emulator, "", "SELECT id FROM subsidiary").await).await;
    assert!(
        error_detail(&body).contains("Invalid search type: subsidiary"),
        "{body}"
    );
    let body: Value = json_of(suiteql(&emulator, "", "SELECT id FROM job").await).await;
    assert!(
        error_detail(&body).contains("Invalid search type: job"),
        "{body}"
    );
}
