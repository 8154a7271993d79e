//! The planner, black box: mirrors in, plans out, applied to an in-memory field the way the
//! store applies them.

use nsync_core::planner::{plan, PlanInput, Planned, Request, Selection};
use nsync_core::{
    ChangeKind, CustomFieldId, InactiveReason, IntegrationSettings, Level, MirrorName,
    MirrorRecord, OptionId, OptionName, OptionState, RecordId, StatusPolicy, StoredOption,
    SubsidiaryId, UpstreamKey, UpstreamKind,
};
use proptest::prelude::*;

pub(crate) fn key(kind: UpstreamKind, id: i64) -> UpstreamKey {
    UpstreamKey {
        kind,
        id: RecordId::new(id).unwrap(),
    }
}
pub(crate) fn c(id: i64) -> UpstreamKey {
    key(UpstreamKind::Customer, id)
}
pub(crate) fn p(id: i64) -> UpstreamKey {
    key(UpstreamKind::Project, id)
}
pub(crate) fn sub(id: i64) -> SubsidiaryId {
    SubsidiaryId::new(id).unwrap()
}

pub(crate) fn customer(id: i64, name: &str) -> MirrorRecord {
    MirrorRecord {
        key: c(id),
        parent: None,
        name: MirrorName::Plain {
            name: name.to_owned(),
        },
        number: Some(format!("CUST{id}")),
        inactive: false,
        subsidiaries: vec![sub(1)],
        last_modified: None,
        deleted: false,
        stage: None,
        status: None,
        status_name: None,
    }
}

pub(crate) fn project(id: i64, name: &str, parent: UpstreamKey) -> MirrorRecord {
    MirrorRecord {
        key: p(id),
        parent: Some(parent),
        name: MirrorName::Plain {
            name: name.to_owned(),
        },
        number: Some(format!("P-{id}")),
        ..customer(id, name)
    }
}

/// An integrated field as the store keeps it: plans are applied by upstream record.
pub(crate) struct Field {
    pub(crate) options: Vec<StoredOption>,
    next_id: i64,
    pub(crate) settings: IntegrationSettings,
    scope: Option<SubsidiaryId>,
    pub(crate) statuses: StatusPolicy,
}

impl Field {
    pub(crate) fn new() -> Self {
        Self {
            options: Vec::new(),
            next_id: 1,
            settings: IntegrationSettings::default(),
            scope: Some(sub(1)),
            statuses: StatusPolicy::default(),
        }
    }

    pub(crate) fn plan(&self, mirror: &[MirrorRecord], request: Request) -> Planned {
        let mirror: Vec<&MirrorRecord> = mirror.iter().collect();
        let input = PlanInput {
            settings: &self.settings,
            scope: self.scope,
            options: &self.options,
            mirror: &mirror,
            statuses: &self.statuses,
        };
        plan(input, &request)
    }

    pub(crate) fn run(&mut self, mirror: &[MirrorRecord], request: Request) -> Planned {
        let planned = self.plan(mirror, request);
        for upsert in &planned.options {
            let parent = upsert
                .parent
                .map(|up| self.get(up).expect("parent applied before child").id);
            let option = StoredOption {
                id: OptionId::new(self.next_id).unwrap(),
                field: CustomFieldId::new(1).unwrap(),
                parent,
                level: upsert.level,
                name: upsert.name.clone(),
                number: upsert.number.clone(),
                state: upsert.state,
                removed_here: upsert.removed_here,
                upstream: Some(upsert.upstream),
                upstream_parent: upsert.parent,
                flaw: upsert.flaw.clone(),
            };
            match self
                .options
                .iter_mut()
                .find(|o| o.upstream == Some(upsert.upstream))
            {
                Some(existing) => {
                    *existing = StoredOption {
                        id: existing.id,
                        ..option
                    }
                }
                None => {
                    self.next_id += 1;
                    self.options.push(option);
                }
            }
        }
        planned
    }

    pub(crate) fn get(&self, key: UpstreamKey) -> Option<&StoredOption> {
        self.options.iter().find(|o| o.upstream == Some(key))
    }

    pub(crate) fn remove_here(&mut self, key: UpstreamKey) {
        self.options
            .iter_mut()
            .find(|o| o.upstream == Some(key))
            .unwrap()
            .removed_here = true;
    }
}

pub(crate) fn kinds(planned: &Planned) -> Vec<(UpstreamKey, ChangeKind)> {
    planned
        .changes
        .iter()
        .map(|c| (c.upstream, c.kind))
        .collect()
}

pub(crate) fn tree() -> Vec<MirrorRecord> {
    vec![
        customer(1, "Acme"),
        project(10, "Bridge", c(1)),
        project(11, "Bridge deck", p(10)),
        customer(2, "Globex"),
        project(20, "Tower", c(2)),
    ]
}

#[test]
fn import_all_puts_customers_projects_and_sub_projects_on_levels_one_to_three() {
    let mut field = Field::new();
    let planned = field.run(&tree(), Request::Import(Selection::All));
    assert_eq!(planned.counts.added, 5);
    let level = |k| field.get(k).unwrap().level.get();
    assert_eq!((level(c(1)), level(p(10)), level(p(11))), (1, 2, 3));
    assert_eq!(
        field.get(p(11)).unwrap().parent,
        Some(field.get(p(10)).unwrap().id)
    );
    assert_eq!(field.get(p(10)).unwrap().number.as_deref(), Some("P-10"));
    assert_eq!(
        field.get(c(1)).unwrap().number,
        None,
        "a customer has no project number"
    );
}

#[test]
fn importing_a_sub_project_brings_its_project_and_customer() {
    let mut field = Field::new();
    let planned = field.run(&tree(), Request::Import(Selection::Records(vec![p(11)])));
    assert_eq!(
        kinds(&planned),
        vec![
            (c(1), ChangeKind::Added),
            (p(10), ChangeKind::Added),
            (p(11), ChangeKind::Added)
        ]
    );
    assert!(field.get(c(2)).is_none());
}

#[test]
fn update_when_nothing_changed_writes_nothing() {
    let mut field = Field::new();
    field.run(&tree(), Request::Import(Selection::All));
    let planned = field.plan(&tree(), Request::Update);
    assert!(planned.writes_nothing());
    assert!(planned.changes.is_empty());
    assert_eq!(planned.counts.unchanged, 5);
}

#[test]
fn update_carries_renames_inactive_status_and_reactivation() {
    let mut field = Field::new();
    field.run(&tree(), Request::Import(Selection::All));
    let mut mirror = tree();
    mirror[1].name = MirrorName::Plain {
        name: "Bridge North".into(),
    };
    mirror[3].inactive = true;
    let planned = field.run(&mirror, Request::Update);
    assert_eq!(
        kinds(&planned),
        vec![
            (c(2), ChangeKind::Deactivated),
            (p(10), ChangeKind::Renamed)
        ]
    );
    assert_eq!(field.get(p(10)).unwrap().name.as_str(), "Bridge North");
    assert_eq!(
        field.get(c(2)).unwrap().state,
        OptionState::Inactive(InactiveReason::InactiveInNetSuite)
    );
    assert_eq!(
        field.get(p(20)).unwrap().state,
        OptionState::Active,
        "a project keeps its own status"
    );

    mirror[3].inactive = false;
    let planned = field.run(&mirror, Request::Update);
    assert_eq!(kinds(&planned), vec![(c(2), ChangeKind::Reactivated)]);
}

#[test]
fn update_marks_project_inactive_when_netsuite_deletes_it_or_it_leaves_the_subsidiary() {
    let mut field = Field::new();
    field.run(&tree(), Request::Import(Selection::All));
    let mut mirror = tree();
    mirror[2].deleted = true;
    mirror[4].subsidiaries = vec![sub(2)];
    let planned = field.run(&mirror, Request::Update);
    assert_eq!(planned.deactivations, 2);
    // A deletion has its own count; leaving the subsidiary is a deactivation.
    assert_eq!((planned.counts.deleted, planned.counts.deactivated), (1, 1));
    assert_eq!(
        field.get(p(11)).unwrap().state,
        OptionState::Inactive(InactiveReason::DeletedInNetSuite)
    );
    assert_eq!(
        field.get(p(20)).unwrap().state,
        OptionState::Inactive(InactiveReason::LeftSubsidiary)
    );
    assert_eq!(
        field.get(p(11)).unwrap().name.as_str(),
        "Bridge deck",
        "an inactive option keeps its name"
    );
    assert!(field.plan(&mirror, Request::Update).writes_nothing());
}

#[test]
fn a_record_missing_from_the_mirror_becomes_inactive_as_no_longer_in_the_subsidiary() {
    let mut field = Field::new();
    field.run(&tree(), Request::Import(Selection::All));
    let mirror: Vec<_> = tree().into_iter().filter(|r| r.key != p(20)).collect();
    field.run(&mirror, Request::Update);
    assert_eq!(
        field.get(p(20)).unwrap().state,
        OptionState::Inactive(InactiveReason::LeftSubsidiary)
    );
}

#[test]
fn update_moves_a_project_to_its_new_parent_keeping_its_id_and_brings_the_new_customer() {
    let mut field = Field::new();
    field.run(&tree(), Request::Import(Selection::Records(vec![p(11)])));
    let id = field.get(p(10)).unwrap().id;
    let mut mirror = tree();
    mirror[1].parent = Some(c(2));
    let planned = field.run(&mirror, Request::Update);
    assert_eq!(
        kinds(&planned),
        vec![(c(2), ChangeKind::Added), (p(10), ChangeKind::Moved)]
    );
    let moved = field.get(p(10)).unwrap();
    assert_eq!(
        (moved.id, moved.parent),
        (id, Some(field.get(c(2)).unwrap().id))
    );
    assert!(field.plan(&mirror, Request::Update).writes_nothing());
}

#[test]
fn bad_upstream_records_are_rejected_one_by_one_and_the_rest_applies() {
    let mut mirror = tree();
    mirror.push(customer(3, ""));
    mirror.push(customer(4, &"x".repeat(84)));
    mirror.push(project(40, "line\nbreak", c(1)));
    mirror.push(project(41, "orphan", p(999)));
    mirror.push(project(42, "loop a", p(43)));
    mirror.push(project(43, "loop b", p(42)));
    mirror.push(project(44, &"y".repeat(256), c(1)));
    let mut field = Field::new();
    let planned = field.run(&mirror, Request::Import(Selection::All));
    assert_eq!(
        planned.counts.added, 6,
        "the five good records and the 256-character project name"
    );
    assert_eq!(planned.counts.rejected, 6);
    let reason = |k: UpstreamKey| {
        planned
            .changes
            .iter()
            .find(|c| c.upstream == k && c.kind == ChangeKind::Rejected)
            .and_then(|c| c.reason.clone())
            .unwrap()
    };
    assert!(reason(c(3)).contains("empty"), "{}", reason(c(3)));
    assert!(reason(c(4)).contains("84 characters"), "{}", reason(c(4)));
    assert!(
        reason(p(40)).contains("control character"),
        "{}",
        reason(p(40))
    );
    assert!(
        reason(p(41)).contains("did not return"),
        "{}",
        reason(p(41))
    );
    assert!(reason(p(42)).contains("cycle"), "{}", reason(p(42)));
    assert!(
        reason(p(40)).contains("project 40"),
        "the reason names the record: {}",
        reason(p(40))
    );
}

#[test]
fn a_record_deeper_than_the_deepest_level_is_not_imported_and_says_so() {
    let mut mirror = tree();
    mirror.push(project(12, "Deck joints", p(11)));
    let mut field = Field::new();
    let planned = field.run(&mirror, Request::Import(Selection::All));
    assert!(field.get(p(12)).is_none());
    let rejection = planned
        .changes
        .iter()
        .find(|c| c.upstream == p(12))
        .unwrap();
    assert!(rejection.reason.as_deref().unwrap().contains("level 4"));

    field.settings.deepest_level = Level::new(4).unwrap();
    field.run(&mirror, Request::Import(Selection::All));
    assert_eq!(field.get(p(12)).unwrap().level.get(), 4);
}

#[test]
fn records_outside_the_integrated_subsidiary_are_never_offered() {
    let mut mirror = tree();
    mirror[3].subsidiaries = vec![sub(2)];
    mirror[4].subsidiaries = vec![sub(2)];
    let mut field = Field::new();
    let planned = field.run(
        &mirror,
        Request::Import(Selection::Records(vec![p(20), p(10)])),
    );
    assert!(field.get(p(20)).is_none() && field.get(c(2)).is_none());
    assert!(field.get(p(10)).is_some());
    assert_eq!(planned.counts.rejected, 1);
}

#[test]
fn an_account_without_one_world_has_everything_in_scope() {
    let mut mirror = tree();
    mirror.iter_mut().for_each(|r| r.subsidiaries.clear());
    let mut field = Field::new();
    field.scope = None;
    assert_eq!(
        field
            .run(&mirror, Request::Import(Selection::All))
            .counts
            .added,
        5
    );
}

#[test]
fn importing_a_record_removed_here_restores_the_same_option() {
    let mut field = Field::new();
    field.run(&tree(), Request::Import(Selection::All));
    let id = field.get(p(20)).unwrap().id;
    field.remove_here(p(20));
    assert!(
        field.plan(&tree(), Request::Update).writes_nothing(),
        "update leaves a removal alone"
    );
    let planned = field.run(&tree(), Request::Import(Selection::Records(vec![p(20)])));
    assert_eq!(kinds(&planned), vec![(p(20), ChangeKind::Restored)]);
    assert_eq!(
        (planned.counts.restored, planned.counts.added),
        (1, 0),
        "a restore counts"
    );
    let restored = field.get(p(20)).unwrap();
    assert_eq!((restored.id, restored.removed_here), (id, false));
}

#[test]
fn a_person_customer_is_named_by_first_middle_and_last_name() {
    let mut person = customer(5, "");
    person.name = MirrorName::Person {
        first: Some("Ana".into()),
        middle: Some("María".into()),
        last: Some("Núñez".into()),
    };
    let mut field = Field::new();
    field.run(&[person], Request::Import(Selection::All));
    assert_eq!(
        field.get(c(5)).unwrap().name,
        OptionName::parse(UpstreamKind::Customer, "Ana María Núñez", "t").unwrap()
    );
}

#[test]
fn update_adds_new_projects_only_when_the_integration_asks_for_it() {
    let mut field = Field::new();
    field.run(
        &tree(),
        Request::Import(Selection::Records(vec![c(1), p(10)])),
    );
    let mut mirror = tree();
    mirror.push(project(13, "Bridge lights", c(1)));
    assert!(field.plan(&mirror, Request::Update).writes_nothing());
    field.settings.import_new_projects = true;
    let planned = field.run(&mirror, Request::Update);
    let added: Vec<_> = planned
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Added)
        .map(|c| c.upstream)
        .collect();
    assert_eq!(
        added,
        vec![p(11), p(13)],
        "projects below imported customers; not Globex's"
    );
}

#[test]
fn subtrees_and_search_select_what_they_say() {
    let mut field = Field::new();
    field.run(&tree(), Request::Import(Selection::Subtrees(vec![p(10)])));
    assert!(field.get(p(11)).is_some() && field.get(c(1)).is_some() && field.get(c(2)).is_none());

    let mut mirror = tree();
    mirror[4].name = MirrorName::Plain {
        name: "Tōwer Café".into(),
    };
    let mut field = Field::new();
    field.run(&mirror, Request::Import(Selection::Matching("CAFE".into())));
    assert!(field.get(p(20)).is_some() && field.get(c(2)).is_some() && field.get(c(1)).is_none());
    let mut field = Field::new();
    field.run(&mirror, Request::Import(Selection::Matching("p-11".into())));
    assert!(field.get(p(11)).is_some());
    // A match comes with what is below it, as a ticked record does: the customer "Acme" with
    // its project and sub-project, "Bridge" (not "Bridge deck" alone) with its sub-project.
    let mut field = Field::new();
    field.run(&mirror, Request::Import(Selection::Matching("acme".into())));
    assert!(field.get(c(1)).is_some() && field.get(p(10)).is_some() && field.get(p(11)).is_some());
    assert!(field.get(c(2)).is_none());
    let mut field = Field::new();
    field.run(&mirror, Request::Import(Selection::Matching("deck".into())));
    assert!(
        field.get(p(11)).is_some() && field.get(p(10)).is_some(),
        "ancestors come along"
    );
    assert!(field.get(p(20)).is_none());
}

/// A random mirror: customers, sub-customers and projects under random earlier records, some
/// inactive, deleted, out of scope or badly named.
fn arb_mirror() -> impl Strategy<Value = Vec<MirrorRecord>> {
    prop::collection::vec((0usize..40, any::<bool>(), 0u8..10, 0u8..12), 1..40).prop_map(|rows| {
        let mut mirror: Vec<MirrorRecord> = Vec::new();
        for (i, (parent_pick, is_project, flag, name_pick)) in rows.into_iter().enumerate() {
            let id = i as i64 + 1;
            let name = match name_pick {
                0 => String::new(),
                1 => "z".repeat(300),
                n => format!("record {n}"),
            };
            let parent = (parent_pick < i && parent_pick % 3 != 0).then(|| mirror[parent_pick].key);
            let mut record = match (is_project, parent) {
                (true, Some(parent)) => project(id, &name, parent),
                (_, parent) => MirrorRecord {
                    parent: parent.filter(|k| k.kind == UpstreamKind::Customer),
                    ..customer(id, &name)
                },
            };
            record.inactive = flag == 1;
            record.deleted = flag == 2;
            if flag == 3 {
                record.subsidiaries = vec![sub(2)];
            }
            mirror.push(record);
        }
        mirror
    })
}

proptest! {
    // Levels follow the final parent tree: a rejected child of an option that NetSuite moved to
    // another depth moves down with it (this test found that bug once).
    #[test]
    fn planning_again_after_applying_changes_nothing(before in arb_mirror(), after in arb_mirror(), pick in 0usize..40) {
        let mut field = Field::new();
        let selection = if pick % 2 == 0 { Selection::All } else { Selection::Records(vec![before[pick % before.len()].key]) };
        field.run(&before, Request::Import(selection));
        prop_assert!(field.plan(&before, Request::Update).writes_nothing());
        field.run(&after, Request::Update);
        let again = field.plan(&after, Request::Update);
        prop_assert!(again.writes_nothing(), "second update still writes {:?}", again.options);
        for option in &field.options {
            let parent_ok = match option.upstream_parent {
                None => option.level == Level::TOP,
                Some(up) => field.get(up).is_some_and(|p| p.level.get() + 1 == option.level.get()),
            };
            prop_assert!(parent_ok, "option {:?} hangs in the air", option.upstream);
            prop_assert!(option.level <= field.settings.deepest_level, "option {:?} sank past the deepest level", option.upstream);
        }
    }
}

#[test]
fn the_plan_says_whether_the_guard_holds_it() {
    let customers: Vec<MirrorRecord> = (1..=40)
        .map(|id| customer(id, &format!("Customer {id}")))
        .collect();
    let mut field = Field::new();
    let import = field.run(&customers, Request::Import(Selection::All));
    assert!(!import.held, "an import is never held");
    // 30 of 40 turn inactive: past the guard's max(25, 10%).
    let mut many = customers.clone();
    for record in many.iter_mut().take(30) {
        record.inactive = true;
    }
    let update = field.plan(&many, Request::Update);
    assert_eq!((update.deactivations, update.held), (30, true));
    // 20 of 40: within it.
    let mut few = customers.clone();
    for record in few.iter_mut().take(20) {
        record.inactive = true;
    }
    let update = field.plan(&few, Request::Update);
    assert_eq!((update.deactivations, update.held), (20, false));
}
