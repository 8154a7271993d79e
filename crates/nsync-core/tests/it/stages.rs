//! Which NetSuite records belong in the field: customer stages and closed project statuses.

use nsync_core::planner::{Request, Selection};
use nsync_core::{ChangeKind, InactiveReason, OptionState, StatusPolicy};

use nsync_core::MirrorRecord;

use crate::planner::{c, customer, kinds, p, project, Field};

fn staged(id: i64, name: &str, stage: &str) -> nsync_core::MirrorRecord {
    nsync_core::MirrorRecord {
        stage: Some(stage.to_owned()),
        ..customer(id, name)
    }
}

/// A project with a status, named as NetSuite's `BUILTIN.DF` shows it (no name for an id the
/// account does not have).
fn with_status(mut record: nsync_core::MirrorRecord, status: i64) -> nsync_core::MirrorRecord {
    let name = match status {
        1 => Some("Closed"),
        2 => Some("In Progress"),
        3 => Some("Not Awarded"),
        _ => None,
    };
    record.status = Some(status);
    record.status_name = name.map(str::to_owned);
    record
}

#[test]
fn import_all_leaves_leads_and_prospects_out_unless_the_integration_takes_them() {
    let mirror = vec![
        staged(1, "Acme", "Customer"),
        staged(2, "Maybe Co", "Prospect"),
        staged(3, "Cold Co", "Lead"),
    ];
    let mut field = Field::new();
    let planned = field.run(&mirror, Request::Import(Selection::All));
    assert_eq!(kinds(&planned), vec![(c(1), ChangeKind::Added)]);
    field.settings.include_prospects = true;
    let planned = field.run(&mirror, Request::Import(Selection::All));
    assert_eq!(kinds(&planned), vec![(c(2), ChangeKind::Added)]);
    assert!(field.get(c(3)).is_none());
}

#[test]
fn an_imported_prospect_becomes_inactive_with_its_reason_when_prospects_are_turned_off() {
    let mirror = vec![staged(2, "Maybe Co", "Prospect")];
    let mut field = Field::new();
    field.settings.include_prospects = true;
    field.run(&mirror, Request::Import(Selection::All));
    field.settings.include_prospects = false;
    let planned = field.run(&mirror, Request::Update);
    assert_eq!(planned.counts.deactivated, 1);
    assert_eq!(
        field.get(c(2)).unwrap().state,
        OptionState::Inactive(InactiveReason::StageNotIncluded)
    );
}

#[test]
fn a_record_of_an_undocumented_stage_is_rejected_with_a_reason_that_names_it() {
    let mirror = vec![staged(4, "Odd Co", "Partner")];
    let mut field = Field::new();
    let planned = field.run(&mirror, Request::Import(Selection::All));
    assert_eq!(planned.counts.rejected, 1);
    let reason = planned.changes[0].reason.as_deref().unwrap();
    assert!(
        reason.contains("customer 4") && reason.contains("\"Partner\""),
        "{reason}"
    );
}

#[test]
fn a_project_in_a_closed_status_is_inactive_with_the_status_named_and_reopening_reactivates_it() {
    let open = vec![
        customer(1, "Acme"),
        with_status(project(10, "Bridge", c(1)), 2),
    ];
    let closed = vec![
        customer(1, "Acme"),
        with_status(project(10, "Bridge", c(1)), 1),
    ];
    let mut field = Field::new();
    field.run(&open, Request::Import(Selection::All));
    assert!(field.get(p(10)).unwrap().state.is_active());
    let planned = field.run(&closed, Request::Update);
    assert_eq!(
        field.get(p(10)).unwrap().state,
        OptionState::Inactive(InactiveReason::ClosedInNetSuite)
    );
    let change = planned
        .changes
        .iter()
        .find(|ch| ch.kind == ChangeKind::Deactivated)
        .unwrap();
    assert_eq!(
        change.reason.as_deref(),
        Some("closed in NetSuite (status Closed)")
    );
    let planned = field.run(&open, Request::Update);
    assert_eq!(planned.counts.reactivated, 1);
    assert!(field.get(p(10)).unwrap().state.is_active());
}

#[test]
fn the_admin_chooses_which_statuses_count_as_closed() {
    let mirror = vec![
        customer(1, "Acme"),
        with_status(project(10, "Bid", c(1)), 3),
    ];
    let mut field = Field::new();
    field.statuses = StatusPolicy::new(Some(&[1, 3]));
    field.run(&mirror, Request::Import(Selection::All));
    assert_eq!(
        field.get(p(10)).unwrap().state,
        OptionState::Inactive(InactiveReason::ClosedInNetSuite)
    );
}

#[test]
fn an_unknown_status_id_is_a_per_record_rejection() {
    let mirror = vec![
        customer(1, "Acme"),
        with_status(project(10, "Bridge", c(1)), 99),
    ];
    let mut field = Field::new();
    let planned = field.run(&mirror, Request::Import(Selection::All));
    assert_eq!(planned.counts.rejected, 1);
    let reason = planned
        .changes
        .iter()
        .find_map(|ch| ch.reason.clone())
        .unwrap();
    assert!(reason.contains("project status 99"), "{reason}");
    assert!(field.get(p(10)).is_none());
}

#[test]
fn a_project_under_an_excluded_prospect_is_rejected_and_says_why() {
    let mirror = vec![
        staged(2, "Maybe Co", "Prospect"),
        project(20, "Pilot", c(2)),
    ];
    let mut field = Field::new();
    let planned = field.run(&mirror, Request::Import(Selection::Records(vec![p(20)])));
    assert_eq!(planned.counts.added, 0);
    let reason = planned
        .changes
        .iter()
        .find_map(|ch| ch.reason.clone())
        .unwrap();
    assert!(reason.contains("prospect"), "{reason}");
}

#[test]
fn a_record_with_a_bad_name_keeps_its_last_good_name_but_follows_netsuite_in_the_rest() {
    let before = vec![
        customer(1, "Acme"),
        customer(2, "Globex"),
        project(10, "Bridge", c(1)),
    ];
    let mut field = Field::new();
    field.run(&before, Request::Import(Selection::All));
    // NetSuite now has an empty name, another parent, and the project inactive.
    let mut bad = project(10, "", c(2));
    bad.inactive = true;
    let after = vec![customer(1, "Acme"), customer(2, "Globex"), bad];
    let planned = field.run(&after, Request::Update);
    let option = field.get(p(10)).unwrap();
    assert_eq!(option.name.as_str(), "Bridge", "the last good name stays");
    assert_eq!(
        option.upstream_parent,
        Some(c(2)),
        "the parent follows NetSuite"
    );
    assert_eq!(
        option.state,
        OptionState::Inactive(InactiveReason::InactiveInNetSuite)
    );
    assert_eq!(planned.counts.rejected, 1, "and the bad name is reported");
    let kinds: Vec<ChangeKind> = planned.changes.iter().map(|ch| ch.kind).collect();
    assert!(kinds.contains(&ChangeKind::Moved) && kinds.contains(&ChangeKind::Rejected));
    let flaw = option
        .flaw
        .as_deref()
        .expect("the option is marked with the reason");
    assert!(flaw.contains("project 10"), "{flaw}");
    assert!(
        field.plan(&after, Request::Update).options.is_empty(),
        "the mark is written once"
    );
    // NetSuite mends the name: the mark goes with it.
    let mended = vec![
        customer(1, "Acme"),
        customer(2, "Globex"),
        project(10, "Bridge 2", c(2)),
    ];
    field.run(&mended, Request::Update);
    let option = field.get(p(10)).unwrap();
    assert_eq!(
        (option.name.as_str(), option.flaw.as_deref()),
        ("Bridge 2", None)
    );
    // A bad name on a record never imported is still a plain rejection.
    let mut fresh = Field::new();
    let planned = fresh.run(&after, Request::Import(Selection::Records(vec![p(10)])));
    assert!(fresh.get(p(10)).is_none());
    assert!(planned.counts.rejected >= 1);
}

#[test]
fn an_unknown_status_on_an_imported_closed_project_keeps_it_closed() {
    let closed = vec![
        customer(1, "Acme"),
        with_status(project(10, "Bridge", c(1)), 1),
    ];
    let unknown = vec![
        customer(1, "Acme"),
        with_status(project(10, "Bridge", c(1)), 42),
    ];
    let mut field = Field::new();
    field.run(&closed, Request::Import(Selection::All));
    let planned = field.run(&unknown, Request::Update);
    assert_eq!(planned.counts.rejected, 1);
    assert_eq!(
        field.get(p(10)).unwrap().state,
        OptionState::Inactive(InactiveReason::ClosedInNetSuite)
    );
}

/// A customer, its project and sub-project imported (levels 1 to 3), and the same records after
/// NetSuite made the customer a sub-customer of a new one (the sub-project now at level 4).
fn imported_then_nested() -> (Vec<MirrorRecord>, Vec<MirrorRecord>, Field) {
    let flat = vec![
        customer(1, "Acme"),
        project(10, "Bridge", c(1)),
        project(11, "Bridge deck", p(10)),
        customer(2, "Holding"),
    ];
    let mut field = Field::new();
    field.run(&flat, Request::Import(Selection::All));
    let mut nested = flat.clone();
    nested[0].parent = Some(c(2));
    (flat, nested, field)
}

/// The planner's open rule: a customer above an imported sub-project becomes a sub-customer, so
/// NetSuite puts the sub-project at level 4 of a 3-level field. Its option neither sinks to
/// level 4 nor stays under a parent that is now a level lower: it hangs at level 3 under its
/// level-2 ancestor, inactive with the reason, and goes back to its place when NetSuite moves
/// the customer back.
#[test]
fn an_option_netsuite_puts_past_the_deepest_level_hangs_inactive_at_it_and_comes_back() {
    let (flat, nested, mut field) = imported_then_nested();
    let planned = field.run(&nested, Request::Update);
    let deck = field.get(p(11)).unwrap();
    assert_eq!(
        (deck.level.get(), deck.upstream_parent, deck.state),
        (
            3,
            Some(c(1)),
            OptionState::Inactive(InactiveReason::TooDeep)
        ),
        "{planned:#?}"
    );
    let reason = planned
        .changes
        .iter()
        .find(|c| c.upstream == p(11) && c.kind == ChangeKind::Deactivated)
        .and_then(|c| c.reason.as_deref())
        .unwrap();
    assert!(reason.contains("level 4"), "{reason}");
    assert_eq!(
        planned.counts.rejected, 0,
        "a record with an option is deactivated, not rejected"
    );
    assert!(field.plan(&nested, Request::Update).writes_nothing());

    let planned = field.run(&flat, Request::Update);
    let deck = field.get(p(11)).unwrap();
    assert_eq!(
        (deck.level.get(), deck.upstream_parent, deck.state),
        (3, Some(p(10)), OptionState::Active),
        "{planned:#?}"
    );
    assert_eq!(planned.counts.reactivated, 1);
}

/// The same for a record with a bad name: it keeps its last good name, and its place follows
/// NetSuite's, past the deepest level too.
#[test]
fn a_flawed_record_past_the_deepest_level_hangs_inactive_with_its_last_good_name() {
    let (_, mut nested, mut field) = imported_then_nested();
    nested[2] = project(11, "", p(10));
    let planned = field.run(&nested, Request::Update);
    let deck = field.get(p(11)).unwrap();
    assert_eq!(
        (deck.name.as_str(), deck.level.get(), deck.state),
        (
            "Bridge deck",
            3,
            OptionState::Inactive(InactiveReason::TooDeep)
        )
    );
    assert_eq!(planned.counts.rejected, 1, "the bad name is still reported");
}
