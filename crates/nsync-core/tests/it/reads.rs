//! The mirror's rules: what a full or an incremental read makes of the last known state, and
//! when a read is too empty to believe.

use std::collections::BTreeSet;

use nsync_core::reads::{
    after_change_read, after_full_read, change_delta, check_not_suspiciously_empty, diff,
    ChangeRead, Delta, FullRead, Mirror, StagesRead,
};
use nsync_core::{MirrorRecord, UpstreamKind};

use crate::planner::{c, customer, p, project, Field};

fn mirror(records: Vec<MirrorRecord>) -> Mirror {
    records.into_iter().map(|r| (r.key, r)).collect()
}

fn prospect(id: i64, name: &str) -> MirrorRecord {
    MirrorRecord {
        stage: Some("Prospect".to_owned()),
        ..customer(id, name)
    }
}

fn known() -> Mirror {
    mirror(vec![
        customer(1, "Acme"),
        customer(2, "Globex"),
        customer(3, "Initech"),
        prospect(4, "Maybe Co"),
        project(10, "Bridge", c(1)),
    ])
}

#[test]
fn a_full_read_buries_the_deleted_keeps_the_unreadable_and_unread_stages_and_drops_who_left() {
    let prior = known();
    // NetSuite now: Acme renamed, Globex deleted, Initech's row unreadable, the prospect not read
    // (prospects are off), the project gone from the subsidiary, a new customer.
    let read = FullRead {
        live: mirror(vec![customer(1, "Acme 2"), customer(5, "Umbrella")]),
        unreadable: BTreeSet::from([c(3)]),
        deleted: BTreeSet::from([c(2)]),
        stages: StagesRead::default(),
    };
    let next = after_full_read(&prior, read);
    assert_eq!(next[&c(1)].name.display(), "Acme 2");
    assert!(next[&c(2)].deleted, "deleted records are tombstones");
    assert_eq!(
        next[&c(3)],
        prior[&c(3)],
        "an unreadable row keeps its last state"
    );
    assert_eq!(
        next[&c(4)],
        prior[&c(4)],
        "a stage not read is not a departure"
    );
    assert!(
        !next.contains_key(&p(10)),
        "a record neither read nor deleted left"
    );
    assert!(next.contains_key(&c(5)));
    let delta = diff(&prior, next.clone());
    let upserted: Vec<_> = delta.upserts.iter().map(|r| r.key).collect();
    assert_eq!(upserted, vec![c(1), c(2), c(5)]);
    assert_eq!(delta.removals, vec![p(10)]);
    let viewed: Vec<&MirrorRecord> = delta.view(&prior);
    let expected: Vec<&MirrorRecord> = next.values().collect();
    assert_eq!(
        viewed, expected,
        "prior and the delta are the new mirror, in key order"
    );
    let mut applied = prior.clone();
    delta.apply(&mut applied);
    assert_eq!(
        applied, next,
        "applying the delta to prior gives the new mirror"
    );
}

#[test]
fn both_roads_make_the_same_mirror_of_the_same_netsuite_state() {
    let prior = known();
    let full = after_full_read(
        &prior,
        FullRead {
            live: mirror(vec![
                customer(1, "Acme 2"),
                customer(3, "Initech"),
                prospect(4, "Maybe Co"),
            ]),
            deleted: BTreeSet::from([c(2)]),
            stages: StagesRead {
                prospects: true,
                leads: false,
            },
            ..FullRead::default()
        },
    );
    let incremental = after_change_read(
        &prior,
        ChangeRead {
            live: vec![customer(1, "Acme 2")],
            out_of_scope: BTreeSet::from([p(10)]),
            deleted: BTreeSet::from([c(2)]),
        },
    );
    assert_eq!(full, incremental);
}

#[test]
fn a_parent_id_is_a_project_when_a_project_of_that_id_is_known() {
    // NetSuite's `parent` is a bare id: the client reads it as a customer's.
    let sub_project = MirrorRecord {
        parent: Some(c(10)),
        ..project(11, "Deck", c(10))
    };
    let next = after_change_read(
        &known(),
        ChangeRead {
            live: vec![sub_project],
            ..ChangeRead::default()
        },
    );
    assert_eq!(next[&p(11)].parent, Some(p(10)));
}

#[test]
fn a_record_deleted_after_it_left_is_buried_from_its_option() {
    let mut field = Field::new();
    field.run(
        &[customer(1, "Acme"), project(10, "Bridge", c(1))],
        nsync_core::planner::Request::Import(nsync_core::planner::Selection::All),
    );
    // The project left the subsidiary (not in the mirror), then NetSuite deleted it.
    let prior = mirror(vec![customer(1, "Acme")]);
    let mut delta = Delta::default();
    delta.bury_departed(&prior, &BTreeSet::from([p(10)]), &field.options);
    let mut next = prior.clone();
    delta.apply(&mut next);
    let tombstone = &next[&p(10)];
    assert!(tombstone.deleted);
    assert_eq!(
        (tombstone.name.display(), tombstone.parent),
        ("Bridge".to_owned(), Some(c(1)))
    );
}

#[test]
fn a_read_with_none_of_a_known_kind_is_suspicious_unless_netsuite_deleted_them() {
    let prior = known();
    let err = check_not_suspiciously_empty(&prior, UpstreamKind::Project, 0, &BTreeSet::new())
        .unwrap_err();
    assert_eq!(err.unexplained, 1);
    assert!(err.to_string().contains("no project at all"), "{err}");
    assert!(check_not_suspiciously_empty(
        &prior,
        UpstreamKind::Project,
        0,
        &BTreeSet::from([p(10)])
    )
    .is_ok());
    assert!(
        check_not_suspiciously_empty(&prior, UpstreamKind::Customer, 3, &BTreeSet::new()).is_ok()
    );
    assert!(check_not_suspiciously_empty(
        &Mirror::new(),
        UpstreamKind::Customer,
        0,
        &BTreeSet::new()
    )
    .is_ok());
}

#[test]
fn a_delta_places_new_records_before_between_and_after_the_known_ones() {
    let prior = mirror(vec![customer(2, "Beta"), customer(4, "Delta")]);
    let next = mirror(vec![
        customer(1, "Alpha"),
        customer(3, "Gamma"),
        customer(4, "Delta 2"),
        customer(6, "Zeta"),
    ]);
    let delta = diff(&prior, next.clone());
    assert_eq!(delta.removals, vec![c(2)]);
    let viewed: Vec<_> = delta.view(&prior).into_iter().cloned().collect();
    let expected: Vec<_> = next.values().cloned().collect();
    assert_eq!(viewed, expected);
    let empty = Mirror::new();
    let all = diff(&empty, next.clone());
    assert_eq!(all.upserts.len(), 4, "a first read upserts everything");
    assert_eq!(all.view(&empty).len(), 4);
}

#[test]
fn a_change_read_reresolves_an_untouched_record_whose_parent_became_a_project() {
    // Project 11 arrived before its parent 10 was known: its parent was read as a customer's.
    let prior = mirror(vec![
        customer(1, "Acme"),
        MirrorRecord {
            parent: Some(c(10)),
            ..project(11, "Deck", c(10))
        },
    ]);
    let delta = change_delta(
        &prior,
        ChangeRead {
            live: vec![project(10, "Bridge", c(1))],
            ..ChangeRead::default()
        },
    );
    let keys: Vec<_> = delta.upserts.iter().map(|r| r.key).collect();
    assert_eq!(
        keys,
        vec![p(10), p(11)],
        "only the new project and its child"
    );
    assert_eq!(delta.upserts[1].parent, Some(p(10)));
    assert!(delta.removals.is_empty());
}

#[test]
fn a_change_read_leaves_out_what_it_did_not_change() {
    let prior = known();
    let unchanged = prior[&c(1)].clone();
    let delta = change_delta(
        &prior,
        ChangeRead {
            live: vec![unchanged],
            out_of_scope: BTreeSet::from([p(10)]),
            deleted: BTreeSet::from([p(10), c(99)]),
        },
    );
    assert!(delta.upserts.is_empty(), "{:?}", delta.upserts);
    assert_eq!(
        delta.removals,
        vec![p(10)],
        "left the subsidiary, then deleted: gone"
    );
}
