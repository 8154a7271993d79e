//! Incremental reads: changes and deletions since a cursor, across daylight-saving changes and
//! with edits in the cursor's own second.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use netsuite::{Change, Client, Cursor, RecordId, RecordKind as Kind};
use netsuite_emulator::{Emulator, RecordKind};

use crate::support::{self, collect, ground_truth};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// A client whose reads start exactly at the cursor (no overlap), to prove the edges.
fn exact_client(emulator: &Emulator) -> Client {
    let mut config = support::config(emulator, support::tba(emulator));
    config.overlap = StdDuration::ZERO;
    Client::new(config).unwrap()
}

fn companies(emulator: &Emulator) -> Vec<i64> {
    ground_truth(
        emulator,
        "SELECT id FROM customer WHERE isperson = 'F' ORDER BY id",
    )
    .iter()
    .map(|id| id.parse().unwrap())
    .collect()
}

async fn changed_customers(client: &Client, cursor: &Cursor) -> Vec<(i64, DateTime<Utc>)> {
    let (changes, bad) = collect(client.changes_since(cursor).await.unwrap()).await;
    assert!(bad.is_empty(), "{bad:?}");
    let mut out: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Customer(c) => Some((c.id.0, c.last_modified)),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn edits_either_side_of_the_spring_forward_gap_keep_their_instants() {
    let emulator = support::start(support::demo()).await;
    let control = emulator.control();
    let ids = companies(&emulator);
    // 01:59:30 PST, then 03:00:30 PDT: one minute apart, an hour apart on the wall clock.
    control.set_clock(at(2026, 3, 8, 9, 59, 30));
    control
        .rename(
            support::ACCOUNT,
            RecordKind::Customer,
            ids[0],
            "Before the gap",
        )
        .unwrap();
    control.set_clock(at(2026, 3, 8, 10, 0, 30));
    control
        .rename(
            support::ACCOUNT,
            RecordKind::Customer,
            ids[1],
            "After the gap",
        )
        .unwrap();
    let client = exact_client(&emulator);
    let changed = changed_customers(&client, &Cursor::at(at(2026, 3, 8, 9, 59, 0))).await;
    assert_eq!(
        changed,
        vec![
            (ids[0], at(2026, 3, 8, 9, 59, 30)),
            (ids[1], at(2026, 3, 8, 10, 0, 30))
        ]
    );
    let later = changed_customers(&client, &Cursor::at(at(2026, 3, 8, 10, 0, 0))).await;
    assert_eq!(later, vec![(ids[1], at(2026, 3, 8, 10, 0, 30))]);
}

#[tokio::test]
async fn an_edit_in_the_repeated_hour_after_fall_back_is_not_missed() {
    let emulator = support::start(support::demo()).await;
    let control = emulator.control();
    let ids = companies(&emulator);
    // 01:30 PDT and, an hour later, 01:30 PST: the same wall-clock text.
    control.set_clock(at(2026, 11, 1, 8, 30, 0));
    control
        .rename(
            support::ACCOUNT,
            RecordKind::Customer,
            ids[0],
            "First 01:30",
        )
        .unwrap();
    control.set_clock(at(2026, 11, 1, 9, 30, 0));
    control
        .rename(
            support::ACCOUNT,
            RecordKind::Customer,
            ids[1],
            "Second 01:30",
        )
        .unwrap();
    let client = exact_client(&emulator);
    let changed = changed_customers(&client, &Cursor::at(at(2026, 11, 1, 9, 15, 0))).await;
    let ids_seen: Vec<i64> = changed.iter().map(|(id, _)| *id).collect();
    assert!(
        ids_seen.contains(&ids[1]),
        "the edit after the cursor is read: {changed:?}"
    );
    // The rendered text cannot tell the two instants apart; the earlier one is taken, so a
    // cursor built from it errs towards reading again.
    assert!(
        changed.iter().all(|(_, t)| *t == at(2026, 11, 1, 8, 30, 0)),
        "{changed:?}"
    );
}

#[tokio::test]
async fn an_edit_in_the_same_second_as_the_cursor_is_read() {
    let emulator = support::start(support::demo()).await;
    let control = emulator.control();
    let ids = companies(&emulator);
    let t = at(2026, 5, 5, 12, 0, 0);
    control.set_clock(t);
    control
        .rename(support::ACCOUNT, RecordKind::Customer, ids[0], "First edit")
        .unwrap();
    let client = exact_client(&emulator);
    let mut cursor = Cursor::at(t - Duration::hours(1));
    let (changes, _) = collect(client.changes_since(&cursor).await.unwrap()).await;
    changes.iter().for_each(|c| cursor.observe_change(c));
    assert_eq!(cursor.modified, Some(t));
    // Same emulated second, after the read.
    control
        .rename(
            support::ACCOUNT,
            RecordKind::Customer,
            ids[1],
            "Second edit",
        )
        .unwrap();
    let changed = changed_customers(&client, &cursor).await;
    assert!(changed.contains(&(ids[1], t)), "{changed:?}");
}

#[tokio::test]
async fn projects_and_links_changed_since_the_cursor_are_read() {
    let emulator = support::start(support::demo()).await;
    let control = emulator.control();
    let t = at(2026, 6, 1, 8, 0, 0);
    control.set_clock(t);
    let project: i64 = ground_truth(&emulator, "SELECT id FROM job ORDER BY id")[0]
        .parse()
        .unwrap();
    control
        .set_inactive(support::ACCOUNT, RecordKind::Project, project, true)
        .unwrap();
    let (changes, _) = collect(
        exact_client(&emulator)
            .changes_since(&Cursor::at(t))
            .await
            .unwrap(),
    )
    .await;
    let p = changes.iter().find_map(|c| match c {
        Change::Project(p) if p.id == RecordId(project) => Some(p.clone()),
        _ => None,
    });
    assert!(p.expect("the project change is read").is_inactive);
}

#[tokio::test]
async fn deletions_since_the_cursor_are_read_with_their_kind() {
    let emulator = support::start(support::demo()).await;
    let control = emulator.control();
    let leaf: i64 = ground_truth(
        &emulator,
        "SELECT j.id FROM job j WHERE NOT EXISTS (SELECT 1 FROM job k WHERE k.parent = j.id) ORDER BY j.id",
    )[0]
    .parse()
    .unwrap();
    let t = at(2026, 7, 1, 8, 0, 0);
    control.set_clock(t);
    control
        .delete(support::ACCOUNT, RecordKind::Project, leaf)
        .unwrap();
    let client = exact_client(&emulator);
    let (deletions, bad) = collect(client.deletions_since(&Cursor::at(t)).await.unwrap()).await;
    assert!(bad.is_empty(), "{bad:?}");
    let d = deletions
        .iter()
        .find(|d| d.id == RecordId(leaf))
        .expect("the deletion is read");
    assert_eq!((d.kind, d.at), (Kind::Project, t));
    let mut cursor = Cursor::at(t);
    deletions.iter().for_each(|d| cursor.observe_deletion(d));
    let json = serde_json::to_string(&cursor).unwrap();
    assert_eq!(
        serde_json::from_str::<Cursor>(&json).unwrap(),
        cursor,
        "the cursor persists"
    );
}
