//! Applying plans: one transaction, idempotent, ids kept forever.

use nsync_core::{
    Change, ChangeKind, InactiveReason, MirrorName, MirrorRecord, OptionState, RunStatus,
    SubsidiaryId, UpstreamKind,
};
use nsync_store::{Store, StoreError};
use serde_json::json;

use crate::contract;
use crate::harness::{customer, fixture, key, plan, project};

contract!(
    applying_a_plan_twice_writes_nothing_the_second_time,
    applied_options_form_a_tree_with_full_path_labels,
    a_plan_with_a_missing_parent_writes_nothing_at_all,
    updates_rename_move_and_deactivate_keeping_option_ids,
    importing_again_restores_an_option_removed_here_with_its_id,
    the_run_its_change_list_and_the_cursor_are_written_with_the_plan,
    mirror_records_round_trip_page_and_are_removed,
    a_plan_naming_another_integrations_field_is_refused,
    the_state_version_moves_with_every_change_of_mirror_or_options_only,
    a_large_plan_applied_again_writes_only_what_differs,
);

fn tree() -> Vec<nsync_core::OptionUpsert> {
    let acme = key(UpstreamKind::Customer, 1);
    let build = key(UpstreamKind::Project, 10);
    vec![
        customer(1, "Acme"),
        customer(2, "Globex"),
        project(10, acme, 2, "Build"),
        project(11, build, 3, "Phase 1"),
    ]
}

async fn applying_a_plan_twice_writes_nothing_the_second_time(store: Store) {
    let fx = fixture(&store).await;
    let mut plan = plan(&store, &fx, tree()).await;
    plan.cursor = Some(json!({"since": "2026-01-01"}));
    let first = store.apply_plan(&plan).await.unwrap();
    assert_eq!(
        first.rows_written,
        4 + 1 + 1,
        "4 options, the run, the cursor"
    );
    let second = store.apply_plan(&plan).await.unwrap();
    assert_eq!(second.rows_written, 0);
    assert_eq!(store.integrated_options(fx.field).await.unwrap().len(), 4);
}

async fn applied_options_form_a_tree_with_full_path_labels(store: Store) {
    let fx = fixture(&store).await;
    // Children listed before parents: the store orders by level.
    let mut options = tree();
    options.reverse();
    store
        .apply_plan(&plan(&store, &fx, options).await)
        .await
        .unwrap();
    let all = store.integrated_options(fx.field).await.unwrap();
    let phase = all
        .iter()
        .find(|o| o.upstream == Some(key(UpstreamKind::Project, 11)))
        .unwrap();
    assert_eq!(phase.level.get(), 3);
    assert_eq!(phase.upstream_parent, Some(key(UpstreamKind::Project, 10)));
    assert_eq!(
        store.path_label(phase.id).await.unwrap(),
        "Acme : Build : Phase 1"
    );
}

async fn a_plan_with_a_missing_parent_writes_nothing_at_all(store: Store) {
    let fx = fixture(&store).await;
    let mut plan = plan(
        &store,
        &fx,
        vec![
            customer(1, "Acme"),
            project(10, key(UpstreamKind::Customer, 99), 2, "Orphan"),
        ],
    )
    .await;
    plan.mirror_upserts.push(mirror(1, "Acme"));
    let err = store.apply_plan(&plan).await.unwrap_err();
    assert!(
        matches!(err, StoreError::MissingParent(k) if k == key(UpstreamKind::Customer, 99)),
        "{err}"
    );
    assert!(store.integrated_options(fx.field).await.unwrap().is_empty());
    assert!(store.mirror(fx.integration).await.unwrap().is_empty());
    assert_eq!(
        store.run(plan.run.id).await.unwrap().status,
        RunStatus::Running
    );
}

async fn updates_rename_move_and_deactivate_keeping_option_ids(store: Store) {
    let fx = fixture(&store).await;
    store
        .apply_plan(&plan(&store, &fx, tree()).await)
        .await
        .unwrap();
    let before = store.integrated_options(fx.field).await.unwrap();
    let id_of = |opts: &[nsync_core::StoredOption], k| {
        opts.iter().find(|o| o.upstream == Some(k)).unwrap().id
    };
    let globex = key(UpstreamKind::Customer, 2);
    let mut moved = project(10, globex, 2, "Build 2.0");
    moved.number = Some("PRJ-10".into());
    let mut gone = customer(1, "Acme");
    gone.state = OptionState::Inactive(InactiveReason::DeletedInNetSuite);
    let update = plan(&store, &fx, vec![gone, moved]).await;
    assert_eq!(store.apply_plan(&update).await.unwrap().rows_written, 2 + 1);
    let after = store.integrated_options(fx.field).await.unwrap();
    let build = key(UpstreamKind::Project, 10);
    assert_eq!(id_of(&after, build), id_of(&before, build));
    let option = store.option(id_of(&after, build)).await.unwrap();
    assert_eq!(
        (option.name.as_str(), option.number.as_deref()),
        ("Build 2.0", Some("PRJ-10"))
    );
    assert_eq!(
        store.path_label(option.id).await.unwrap(),
        "Globex : Build 2.0"
    );
    let acme = store
        .option(id_of(&after, key(UpstreamKind::Customer, 1)))
        .await
        .unwrap();
    assert_eq!(
        acme.state,
        OptionState::Inactive(InactiveReason::DeletedInNetSuite)
    );
}

async fn importing_again_restores_an_option_removed_here_with_its_id(store: Store) {
    let fx = fixture(&store).await;
    store
        .apply_plan(&plan(&store, &fx, tree()).await)
        .await
        .unwrap();
    let acme = store
        .integrated_options(fx.field)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.upstream == Some(key(UpstreamKind::Customer, 1)))
        .unwrap();
    assert_eq!(
        store
            .remove_option_here(acme.id, &nsync_store::testing::audit(fx.company))
            .await
            .unwrap(),
        3,
        "Acme, Build and Phase 1"
    );
    assert!(store.option(acme.id).await.unwrap().removed_here);
    store
        .apply_plan(&plan(&store, &fx, vec![customer(1, "Acme")]).await)
        .await
        .unwrap();
    let restored = store.option(acme.id).await.unwrap();
    assert!(!restored.removed_here);
    assert_eq!(restored.id, acme.id);
}

async fn the_run_its_change_list_and_the_cursor_are_written_with_the_plan(store: Store) {
    let fx = fixture(&store).await;
    let mut plan = plan(&store, &fx, vec![customer(1, "Acme")]).await;
    plan.changes = (0..25)
        .map(|i| Change {
            upstream: key(UpstreamKind::Customer, 1 + i),
            option: None,
            kind: if i == 0 {
                ChangeKind::Added
            } else {
                ChangeKind::Rejected
            },
            old_value: None,
            new_value: Some(format!("value {i}")),
            reason: (i > 0).then(|| "customer has an empty name".to_owned()),
        })
        .collect();
    plan.run.counts.added = 1;
    plan.run.counts.rejected = 24;
    plan.cursor = Some(json!({"last_modified": "2026-11-01 10:00:00"}));
    store.apply_plan(&plan).await.unwrap();
    let run = store.run(plan.run.id).await.unwrap();
    assert_eq!(
        (
            run.status,
            run.counts.added,
            run.counts.rejected,
            run.netsuite_requests
        ),
        (RunStatus::Succeeded, 1, 24, 3)
    );
    let first = store.changes(plan.run.id, 0, 10).await.unwrap();
    let rest = store.changes(plan.run.id, 10, 100).await.unwrap();
    assert_eq!((first.len(), rest.len()), (10, 15));
    assert!(first[0].option.is_some(), "the added option is linked");
    assert_eq!(rest[14].new_value.as_deref(), Some("value 24"));
    assert_eq!(
        store.integration(fx.integration).await.unwrap().cursor,
        plan.cursor
    );
    // A later plan without a cursor leaves it alone.
    let later = crate::harness::plan(&store, &fx, vec![]).await;
    store.apply_plan(&later).await.unwrap();
    assert_eq!(
        store.integration(fx.integration).await.unwrap().cursor,
        plan.cursor
    );
}

fn mirror(id: i64, name: &str) -> MirrorRecord {
    MirrorRecord {
        key: key(UpstreamKind::Customer, id),
        parent: None,
        name: MirrorName::Plain { name: name.into() },
        number: None,
        inactive: false,
        subsidiaries: vec![SubsidiaryId::new(3).unwrap()],
        last_modified: Some("2026-11-01".into()),
        deleted: false,
        stage: Some("Prospect".into()),
        status: Some(8),
        status_name: None,
    }
}

async fn mirror_records_round_trip_page_and_are_removed(store: Store) {
    let fx = fixture(&store).await;
    let mut p = plan(&store, &fx, vec![]).await;
    let mut person = mirror(3, "");
    person.name = MirrorName::Person {
        first: Some("Ada".into()),
        middle: None,
        last: Some("Lovelace".into()),
    };
    p.mirror_upserts = vec![mirror(1, "Acme"), mirror(2, "Globex"), person.clone()];
    store.apply_plan(&p).await.unwrap();
    assert_eq!(store.apply_plan(&p).await.unwrap().rows_written, 0);
    assert_eq!(
        store
            .mirror_record(fx.integration, person.key)
            .await
            .unwrap(),
        Some(person.clone())
    );
    let page = store.mirror_page(fx.integration, None, 2).await.unwrap();
    let next = store
        .mirror_page(fx.integration, Some(page[1].key), 2)
        .await
        .unwrap();
    assert_eq!((page.len(), next.len()), (2, 1));
    assert_eq!(next[0].key, person.key);
    let mut tombstone = mirror(2, "Globex");
    tombstone.deleted = true;
    let mut q = plan(&store, &fx, vec![]).await;
    q.mirror_upserts = vec![tombstone.clone()];
    q.mirror_removals = vec![key(UpstreamKind::Customer, 1)];
    store.apply_plan(&q).await.unwrap();
    let all = store.mirror(fx.integration).await.unwrap();
    assert_eq!(all, vec![tombstone, person]);
}

async fn a_plan_naming_another_integrations_field_is_refused(store: Store) {
    let fx = fixture(&store).await;
    let other = store
        .create_manual_field(fx.company, "Cost centre")
        .await
        .unwrap();
    let mut p = plan(&store, &fx, vec![customer(1, "Acme")]).await;
    p.field = other;
    assert!(matches!(
        store.apply_plan(&p).await,
        Err(StoreError::InvalidPlan(_))
    ));
    let mut dup = plan(
        &store,
        &fx,
        vec![customer(1, "Acme"), customer(1, "Acme again")],
    )
    .await;
    dup.field = fx.field;
    assert!(matches!(
        store.apply_plan(&dup).await,
        Err(StoreError::InvalidPlan(_))
    ));
}

async fn the_state_version_moves_with_every_change_of_mirror_or_options_only(store: Store) {
    let fx = fixture(&store).await;
    let start = store.state_version(fx.integration).await.unwrap();
    let p = plan(&store, &fx, tree()).await;
    let first = store.apply_plan(&p).await.unwrap();
    assert_eq!(
        (first.state_version, first.state_changed),
        (start + 1, true)
    );
    // Applying it again changes nothing, so the version stays.
    let again = store.apply_plan(&p).await.unwrap();
    assert_eq!(
        (again.state_version, again.state_changed),
        (start + 1, false)
    );
    // A plan that only records a run leaves it too.
    let empty = plan(&store, &fx, Vec::new()).await;
    assert_eq!(
        store.apply_plan(&empty).await.unwrap().state_version,
        start + 1
    );
    assert_eq!(
        store.state_version(fx.integration).await.unwrap(),
        start + 1
    );
    // Removing and restoring here change the options: the version moves each time.
    let acme = store.integrated_options(fx.field).await.unwrap()[0].id;
    store
        .remove_option_here(acme, &nsync_store::testing::audit(fx.company))
        .await
        .unwrap();
    assert_eq!(
        store.state_version(fx.integration).await.unwrap(),
        start + 2
    );
    store
        .remove_option_here(acme, &nsync_store::testing::audit(fx.company))
        .await
        .unwrap();
    assert_eq!(
        store.state_version(fx.integration).await.unwrap(),
        start + 2,
        "nothing to remove"
    );
    store
        .restore_option_here(acme, &nsync_store::testing::audit(fx.company))
        .await
        .unwrap();
    assert_eq!(
        store.state_version(fx.integration).await.unwrap(),
        start + 3
    );
    // The rows a plan wrote are the options as the store holds them (removed and restored
    // since, so as they were); applying it again wrote none.
    let mut written = first.options.clone();
    written.sort_by_key(|o| o.id);
    assert_eq!(written, store.integrated_options(fx.field).await.unwrap());
    assert!(again.options.is_empty());
}

/// Large enough that PostgreSQL first asks which rows differ (see the store's `PRECHECK_FROM`).
async fn a_large_plan_applied_again_writes_only_what_differs(store: Store) {
    let fx = fixture(&store).await;
    let acme = key(UpstreamKind::Customer, 1);
    let mut options = vec![customer(1, "Acme")];
    options.extend((2..=21_000).map(|i| project(i, acme, 2, &format!("Project {i}"))));
    let first = store
        .apply_plan(&plan(&store, &fx, options.clone()).await)
        .await
        .unwrap();
    assert_eq!(first.rows_written, 21_000 + 1, "the options and the run");
    let again = store
        .apply_plan(&plan(&store, &fx, options.clone()).await)
        .await
        .unwrap();
    assert_eq!(again.rows_written, 1, "only the new run");
    options[500].name = nsync_core::OptionName::from_stored("Renamed Project".into());
    options[20_000].state = OptionState::Inactive(InactiveReason::InactiveInNetSuite);
    let changed = store
        .apply_plan(&plan(&store, &fx, options.clone()).await)
        .await
        .unwrap();
    assert_eq!(changed.rows_written, 2 + 1);
    let stored = store.integrated_options(fx.field).await.unwrap();
    assert_eq!(stored.len(), 21_000);
    let by_key = |k| stored.iter().find(|o| o.upstream == Some(k)).unwrap();
    assert_eq!(
        by_key(options[500].upstream).name.as_str(),
        "Renamed Project"
    );
    assert_eq!(
        by_key(options[20_000].upstream).state,
        OptionState::Inactive(InactiveReason::InactiveInNetSuite)
    );
    // A row changed here since (removed, with what is below it) is not taken as unchanged:
    // the plan that says it is not removed brings it back.
    let removed = by_key(options[700].upstream).id;
    assert_eq!(
        store
            .remove_option_here(removed, &nsync_store::testing::audit(fx.company))
            .await
            .unwrap(),
        1
    );
    let restored = store
        .apply_plan(&plan(&store, &fx, options.clone()).await)
        .await
        .unwrap();
    assert_eq!(restored.rows_written, 1 + 1, "the option and the run");
    assert!(!store.option(removed).await.unwrap().removed_here);
}
