//! Reads past SuiteQL's 100,000-row limit, by id, each row exactly once.

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use netsuite::{Change, Cursor, Scope};
use netsuite_emulator::{AccountConfig, GeneratorSpec};

use crate::support::{self, collect};

#[tokio::test]
async fn pages_past_100000_projects_by_id_reading_each_once() {
    let spec = GeneratorSpec {
        customers: 200,
        projects: 101_000,
        subsidiaries: 2,
        seed: 11,
    };
    let emulator = support::start(AccountConfig::generated(support::ACCOUNT, spec)).await;
    let client = support::client(&emulator);
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
