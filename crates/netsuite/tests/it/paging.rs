//! Reads past SuiteQL's 100,000-row limit, by id, each row exactly once.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use netsuite::{Change, Client, Cursor, Scope};
use netsuite_emulator::{AccountConfig, Emulator, GeneratorSpec};

use crate::support::{self, collect};

/// An emulator serving a generated account of this size, and a client of it.
async fn generated(
    customers: usize,
    projects: usize,
    subsidiaries: usize,
    seed: u64,
) -> (Emulator, Client) {
    let spec = GeneratorSpec {
        customers,
        leads_and_prospects: 0,
        projects,
        subsidiaries,
        seed,
    };
    let emulator = support::start(AccountConfig::generated(support::ACCOUNT, spec)).await;
    let client = support::client(&emulator);
    (emulator, client)
}

#[tokio::test]
async fn pages_past_100000_projects_by_id_reading_each_once() {
    let (emulator, client) = generated(200, 101_000, 2, 11).await;
    let total = emulator
        .control()
        .suiteql(support::ACCOUNT, "SELECT COUNT(*) AS n FROM job", 0, 1)
        .unwrap();
    let total: usize = total.items[0]["n"].as_str().unwrap().parse().unwrap();
    assert!(total > 100_000, "{total}");

    // A split read: many id ranges in parallel.
    let (projects, bad) = collect(client.projects(Scope::Account).await.unwrap()).await;
    assert!(bad.is_empty());
    let ids: HashSet<i64> = projects.iter().map(|p| p.id.0).collect();
    assert_eq!(
        (projects.len(), ids.len()),
        (total, total),
        "every project exactly once"
    );
    let log = emulator.control().requests();
    assert!(
        log.iter()
            .all(|r| r.query.as_deref().unwrap_or("").contains("offset=0")),
        "never an offset"
    );

    // One keyset range through all of them: changes since long ago.
    let cursor = Cursor::at(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap());
    let (changes, _) = collect(client.changes_since(&cursor).await.unwrap()).await;
    let changed: HashSet<i64> = changes
        .iter()
        .filter_map(|c| {
            if let Change::Project(p) = c {
                Some(p.id.0)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(changed, ids);
}

#[tokio::test]
async fn a_subsidiarys_records_are_read_in_nearly_as_few_pages_as_they_fill() {
    let (emulator, client) = generated(6_000, 60_000, 3, 5).await;
    let sub = client.subsidiaries().await.unwrap()[0].id;
    let before = emulator.control().requests().len();
    let (projects, bad) = collect(client.projects(Scope::Subsidiary(sub)).await.unwrap()).await;
    assert!(bad.is_empty());
    let expected = support::ground_truth(
        &emulator,
        &format!("SELECT id FROM job WHERE subsidiary = {sub}"),
    );
    assert_eq!(projects.len(), expected.len());
    let pages: Vec<usize> = emulator.control().requests()[before..]
        .iter()
        .filter_map(|r| r.rows)
        .collect();
    // One histogram request, then one page per thousand rows (ranges sized from the average
    // density take a tenth more, and some spill into a second request).
    let minimum = expected.len().div_ceil(1000);
    assert!(
        pages.len() <= 1 + minimum,
        "{} requests for {} projects: {pages:?}",
        pages.len(),
        expected.len()
    );
}

#[tokio::test]
async fn a_first_page_racing_its_histogram_under_faults_reads_every_row_once() {
    use netsuite_emulator::{FaultKind, FaultRule};
    const QUERY: &str = "/services/rest/query";
    for seed in [1, 2, 3] {
        let (emulator, _) = generated(3_000, 12_000, 2, seed).await;
        let mut config = support::config(&emulator, support::tba(&emulator));
        config.retry.max_attempts = 12;
        let client = Client::new(config).unwrap();
        client.probe().await.unwrap();
        let control = emulator.control();
        let before = control.requests().len();
        // The read's opening round (its first page and its histogram, in flight together) fails
        // first; then any request may be throttled.
        control.add_fault(FaultRule::next(FaultKind::ServerError, 2).on_path(QUERY));
        control.add_fault(FaultRule::probability(FaultKind::TooManyRequests, 0.15).on_path(QUERY));
        let (projects, bad) = collect(client.projects(Scope::Account).await.unwrap()).await;
        assert!(bad.is_empty());
        let ids: HashSet<i64> = projects.iter().map(|p| p.id.0).collect();
        let expected = support::ground_truth(&emulator, "SELECT id FROM job");
        assert_eq!(
            (projects.len(), ids.len()),
            (expected.len(), expected.len()),
            "seed {seed}: every project exactly once"
        );
        let (customers, _) = collect(client.customers(Scope::Account).await.unwrap()).await;
        let ids: HashSet<i64> = customers.iter().map(|c| c.id.0).collect();
        let expected = support::ground_truth(&emulator, "SELECT id FROM customer");
        assert_eq!(
            (customers.len(), ids.len()),
            (expected.len(), expected.len()),
            "seed {seed}: every customer exactly once"
        );
        let faults = control.requests()[before..]
            .iter()
            .filter(|r| r.fault.is_some())
            .count();
        assert!(faults > 2, "seed {seed}: the faults fired ({faults})");
    }
}
