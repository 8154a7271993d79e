//! Every rule of a run, each on both backends.

use netsuite_emulator::{FaultKind, FaultRule, Mode, Mutation, NewCustomer, RecordKind};
use nsync_core::planner::Selection;
use nsync_core::{
    ChangeKind, InactiveReason, OptionState, RecordId, RunKind, RunStatus, RunTrigger, UpstreamKey,
    UpstreamKind,
};
use nsync_server::{CandidateQuery, CandidateStatus, EngineError, RefreshMode, RunOptions};
use nsync_store::Store;

use crate::both_backends;
use crate::harness::{app, App, ACCOUNT};

both_backends!(
    import_all_puts_customers_on_level_one_and_their_projects_below,
    importing_a_sub_project_brings_its_ancestors_and_nothing_else,
    update_when_nothing_changed_writes_no_option_and_records_an_empty_run,
    update_carries_renames_inactive_status_and_deletions,
    update_marks_a_customer_that_left_the_subsidiary_inactive_then_deleted,
    preview_returns_exactly_the_changes_and_writes_nothing,
    an_update_past_the_guard_waits_and_confirm_applies_that_same_plan,
    a_failed_read_applies_nothing_and_the_run_says_why,
    a_suspiciously_empty_read_applies_nothing,
    a_second_run_learns_which_run_is_going_on,
    an_interrupted_run_is_marked_failed_and_the_next_run_converges,
    incremental_and_full_refresh_end_in_the_same_mirror,
    a_bad_upstream_record_is_rejected_with_its_reason_and_the_rest_applies,
    the_import_customers_list_marks_searches_and_pages,
    importing_a_record_removed_here_restores_the_same_option,
    an_update_sees_a_removal_here_made_after_the_last_run,
    an_update_of_a_subsidiary_deleted_in_netsuite_fails_with_the_reason_and_changes_nothing,
);

/// A subsidiary deleted while records still name it (NetSuite's own rules aside: the emulator's
/// raw write): the records read as they were, and must not pass for the subsidiary's state.
async fn an_update_of_a_subsidiary_deleted_in_netsuite_fails_with_the_reason_and_changes_nothing(
    store: Store,
) {
    let app = app(store).await;
    import_all(&app).await;
    let before = app.options().await;
    let c = parent_of(&app, in_scope_projects(&app)[0]);
    app.tick();
    app.control()
        .rename(ACCOUNT, RecordKind::Customer, c, "Renamed meanwhile")
        .unwrap();
    app.control()
        .apply_raw(
            ACCOUNT,
            Mutation::DeleteSubsidiary {
                subsidiary: app.sub,
            },
        )
        .unwrap();
    let err = app.engine.update(app.integration, cli()).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, EngineError::RunFailed { source, .. } if matches!(**source, EngineError::SubsidiaryGone(_))),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "subsidiary {} no longer exists in NetSuite",
            app.sub
        )),
        "{text}"
    );
    assert_eq!(app.options().await, before, "nothing was changed");
}

fn cli() -> RunOptions {
    RunOptions::new(RunTrigger::Cli)
}

fn key(kind: UpstreamKind, id: i64) -> UpstreamKey {
    UpstreamKey {
        kind,
        id: RecordId::new(id).unwrap(),
    }
}

fn project(id: i64) -> UpstreamKey {
    key(UpstreamKind::Project, id)
}

fn customer(id: i64) -> UpstreamKey {
    key(UpstreamKind::Customer, id)
}

/// Projects of the subsidiary at depth 2 under a top-level customer of the subsidiary, and
/// sub-projects under those.
fn in_scope_projects(app: &App) -> Vec<i64> {
    app.ids(&format!(
        "SELECT j.id FROM job j JOIN customer c ON c.id = j.parent WHERE j.subsidiary = {s} \
         AND c.parent IS NULL AND EXISTS (SELECT 1 FROM customersubsidiaryrelationship r \
         WHERE r.entity = c.id AND r.subsidiary = {s}) ORDER BY j.id",
        s = app.sub
    ))
}

/// A project of the subsidiary with no children, under an in-scope top-level customer.
fn leaf_project(app: &App) -> i64 {
    let leaves = app.ids("SELECT j.id FROM job j WHERE NOT EXISTS (SELECT 1 FROM job k WHERE k.parent = j.id) ORDER BY j.id");
    *in_scope_projects(app)
        .iter()
        .find(|p| leaves.contains(p))
        .expect("a leaf project in scope")
}

fn parent_of(app: &App, project: i64) -> i64 {
    app.ids(&format!("SELECT parent FROM job WHERE id = {project}"))[0]
}

async fn import_all(app: &App) {
    let report = app
        .engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Succeeded);
    assert!(report.counts.added > 0);
}

async fn import_all_puts_customers_on_level_one_and_their_projects_below(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let options = app.options().await;
    let p = in_scope_projects(&app)[0];
    let c = parent_of(&app, p);
    assert_eq!(options[&customer(c)].level.get(), 1);
    assert_eq!(options[&project(p)].level.get(), 2);
    assert_eq!(options[&project(p)].parent, Some(options[&customer(c)].id));
    // Everything offered by the list was imported or rejected with a reason.
    let runs = app.store.runs(app.integration, None, 10).await.unwrap();
    assert_eq!(runs[0].kind, RunKind::Import);
    assert_eq!(runs[0].counts.added as usize, options.len());
    assert!(runs[0].netsuite_requests > 0);
    assert!(runs[0].finished_at_ms.is_some());
    let linked = app.ids(&format!(
        "SELECT entity FROM customersubsidiaryrelationship WHERE subsidiary = {}",
        app.sub
    ));
    for key in options.keys().filter(|k| k.kind == UpstreamKind::Customer) {
        assert!(
            linked.contains(&key.id.get()),
            "{key} is not in the subsidiary"
        );
    }
}

async fn importing_a_sub_project_brings_its_ancestors_and_nothing_else(store: Store) {
    let app = app(store).await;
    let p = in_scope_projects(&app)[0];
    let c = parent_of(&app, p);
    app.engine
        .import(app.integration, Selection::Records(vec![project(p)]), cli())
        .await
        .unwrap();
    let keys: Vec<UpstreamKey> = app.options().await.into_keys().collect();
    assert_eq!(keys, vec![customer(c), project(p)]);
}

async fn update_when_nothing_changed_writes_no_option_and_records_an_empty_run(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let before = app.options().await;
    let report = app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(report.status, RunStatus::Succeeded);
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    assert_eq!(report.counts.unchanged as usize, before.len());
    assert!(
        report.netsuite_requests <= 6,
        "{} requests",
        report.netsuite_requests
    );
    assert_eq!(app.options().await, before);
    let run = report.run.unwrap();
    assert!(app.store.changes(run, 0, 10).await.unwrap().is_empty());
}

async fn update_carries_renames_inactive_status_and_deletions(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let leaf = leaf_project(&app);
    let other = *in_scope_projects(&app)
        .iter()
        .find(|p| **p != leaf)
        .unwrap();
    let c = parent_of(&app, other);
    let control = app.control();
    app.tick();
    control
        .rename(ACCOUNT, RecordKind::Customer, c, "Renamed Customer")
        .unwrap();
    control
        .set_inactive(ACCOUNT, RecordKind::Project, other, true)
        .unwrap();
    control.delete(ACCOUNT, RecordKind::Project, leaf).unwrap();
    let report = app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(report.counts.renamed, 1);
    let options = app.options().await;
    assert_eq!(options[&customer(c)].name.as_str(), "Renamed Customer");
    assert_eq!(
        options[&project(other)].state,
        OptionState::Inactive(InactiveReason::InactiveInNetSuite)
    );
    assert_eq!(
        options[&project(leaf)].state,
        OptionState::Inactive(InactiveReason::DeletedInNetSuite)
    );
    // Active again in NetSuite: active again here, same option.
    app.tick();
    control
        .set_inactive(ACCOUNT, RecordKind::Project, other, false)
        .unwrap();
    let report = app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(report.counts.reactivated, 1);
    let again = app.options().await;
    assert_eq!(again[&project(other)].state, OptionState::Active);
    assert_eq!(again[&project(other)].id, options[&project(other)].id);
}

async fn update_marks_a_customer_that_left_the_subsidiary_inactive_then_deleted(store: Store) {
    let app = app(store).await;
    let control = app.control();
    let other_sub = app.ids(&format!(
        "SELECT id FROM subsidiary WHERE id <> {} AND iselimination = 'F' ORDER BY id",
        app.sub
    ))[0];
    let created = control
        .apply(
            ACCOUNT,
            Mutation::CreateCustomer(NewCustomer {
                company_name: Some("Wanderer Ltd".into()),
                subsidiary: Some(other_sub),
                ..NewCustomer::default()
            }),
        )
        .unwrap()
        .id;
    control
        .apply(
            ACCOUNT,
            Mutation::LinkSubsidiary {
                customer: created,
                subsidiary: app.sub,
            },
        )
        .unwrap();
    app.engine
        .import(
            app.integration,
            Selection::Records(vec![customer(created)]),
            cli(),
        )
        .await
        .unwrap();
    assert_eq!(
        app.options().await[&customer(created)].state,
        OptionState::Active
    );
    app.tick();
    control
        .apply(
            ACCOUNT,
            Mutation::UnlinkSubsidiary {
                customer: created,
                subsidiary: app.sub,
            },
        )
        .unwrap();
    let report = app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(report.counts.deactivated, 1);
    assert_eq!(
        app.options().await[&customer(created)].state,
        OptionState::Inactive(InactiveReason::LeftSubsidiary)
    );
    // Deleted in NetSuite once it was out of the subsidiary (and out of the mirror): the
    // deletion still reaches its option, on both roads.
    app.tick();
    control
        .delete(ACCOUNT, RecordKind::Customer, created)
        .unwrap();
    app.engine.update(app.integration, cli()).await.unwrap();
    let deleted = OptionState::Inactive(InactiveReason::DeletedInNetSuite);
    assert_eq!(app.options().await[&customer(created)].state, deleted);
    let mut full = cli();
    full.refresh = RefreshMode::Full;
    let report = app.engine.update(app.integration, full).await.unwrap();
    assert_eq!(report.counts.deactivated, 0, "{:?}", report.changes);
    assert_eq!(app.options().await[&customer(created)].state, deleted);
}

async fn preview_returns_exactly_the_changes_and_writes_nothing(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let p = in_scope_projects(&app)[0];
    app.tick();
    app.control()
        .rename(ACCOUNT, RecordKind::Project, p, "Bridge, phase 2")
        .unwrap();
    let before = app.options().await;
    let runs_before = app.store.runs(app.integration, None, 100).await.unwrap();
    let mut preview = cli();
    preview.preview = true;
    let previewed = app.engine.update(app.integration, preview).await.unwrap();
    assert_eq!(previewed.run, None);
    assert_eq!(app.options().await, before, "a preview writes no option");
    assert_eq!(
        app.store.runs(app.integration, None, 100).await.unwrap(),
        runs_before,
        "a preview records no run"
    );
    let applied = app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(previewed.changes, applied.changes);
    assert_eq!(previewed.counts, applied.counts);
    assert_eq!(applied.changes.len(), 1);
    assert_eq!(applied.changes[0].kind, ChangeKind::Renamed);
    let stored = app
        .store
        .changes(applied.run.unwrap(), 0, 10)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].new_value.as_deref(), Some("Bridge, phase 2"));
}

async fn an_update_past_the_guard_waits_and_confirm_applies_that_same_plan(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let mut settings = app
        .store
        .integration(app.integration)
        .await
        .unwrap()
        .settings;
    settings.deactivation_guard.min_count = 1;
    settings.deactivation_guard.percent = 0;
    app.store
        .update_settings(
            app.integration,
            &settings,
            &nsync_store::testing::audit(app.company),
        )
        .await
        .unwrap();
    let projects = in_scope_projects(&app);
    app.tick();
    for p in &projects[..2] {
        app.control()
            .set_inactive(ACCOUNT, RecordKind::Project, *p, true)
            .unwrap();
    }
    let before = app.options().await;
    let held = app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(held.status, RunStatus::NeedsConfirmation);
    assert_eq!(held.deactivations, 2);
    let run = held.run.unwrap();
    assert_eq!(
        app.options().await,
        before,
        "nothing applied before the confirmation"
    );
    assert_eq!(
        app.store.run(run).await.unwrap().status,
        RunStatus::NeedsConfirmation
    );
    let confirmed = app
        .engine
        .confirm(
            app.integration,
            run,
            nsync_store::Audit::new(app.company, None, "confirm_update", 1),
        )
        .await
        .unwrap();
    assert_eq!(confirmed.changes, held.changes);
    let after = app.options().await;
    for p in &projects[..2] {
        assert!(!after[&project(*p)].state.is_active());
    }
    assert_eq!(
        app.store.run(run).await.unwrap().status,
        RunStatus::Succeeded
    );
    let audit = app.store.audit_log(app.company, None, 10).await.unwrap();
    assert_eq!(audit[0].entry.action, "confirm_update");
    assert_eq!(
        audit[0].entry.target.as_deref(),
        Some(&*format!("run {run}"))
    );
    let again = app
        .engine
        .confirm(
            app.integration,
            run,
            nsync_store::Audit::new(app.company, None, "confirm_update", 1),
        )
        .await;
    assert!(matches!(again, Err(EngineError::NothingToConfirm(r)) if r == run));
}

async fn a_failed_read_applies_nothing_and_the_run_says_why(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let p = in_scope_projects(&app)[0];
    app.tick();
    app.control()
        .rename(ACCOUNT, RecordKind::Project, p, "Never seen")
        .unwrap();
    let cursor = app.store.integration(app.integration).await.unwrap().cursor;
    let before = app.options().await;
    app.control()
        .add_fault(FaultRule::next(FaultKind::ServerError, 100));
    let err = app.engine.update(app.integration, cli()).await.unwrap_err();
    let EngineError::RunFailed { run, .. } = &err else {
        panic!("{err}");
    };
    let stored = app.store.run(*run).await.unwrap();
    assert_eq!(stored.status, RunStatus::Failed);
    let message = stored.error.unwrap();
    assert!(message.contains("NetSuite answered 500"), "{message}");
    assert!(stored.netsuite_requests > 0);
    assert_eq!(app.options().await, before);
    assert_eq!(
        app.store.integration(app.integration).await.unwrap().cursor,
        cursor
    );
    app.control().clear_faults();
    app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(app.options().await[&project(p)].name.as_str(), "Never seen");
}

async fn a_suspiciously_empty_read_applies_nothing(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let before = app.options().await;
    // Every link to the subsidiary disappears at once (raw: NetSuite would refuse the primary).
    let control = app.control();
    app.tick();
    for c in app.ids(&format!(
        "SELECT entity FROM customersubsidiaryrelationship WHERE subsidiary = {}",
        app.sub
    )) {
        control
            .apply_mode(
                ACCOUNT,
                Mutation::UnlinkSubsidiary {
                    customer: c,
                    subsidiary: app.sub,
                },
                Mode::Raw,
            )
            .unwrap();
    }
    let mut full = cli();
    full.refresh = RefreshMode::Full;
    let err = app.engine.update(app.integration, full).await.unwrap_err();
    let EngineError::RunFailed { source, .. } = &err else {
        panic!("{err}");
    };
    assert!(matches!(**source, EngineError::SuspiciousRead(_)), "{err}");
    assert!(err.to_string().contains("no customer at all"), "{err}");
    assert_eq!(app.options().await, before);
}

async fn a_second_run_learns_which_run_is_going_on(store: Store) {
    let app = app(store).await;
    let lock = app.store.lock_integration(app.integration).await.unwrap();
    let running = app
        .store
        .start_run(&lock, RunKind::Update, RunTrigger::Schedule, None, 1, None)
        .await
        .unwrap();
    let err = app.engine.update(app.integration, cli()).await.unwrap_err();
    assert!(
        matches!(err, EngineError::Busy { running: Some(r), .. } if r == running),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains(&format!("run {running} is going on")));
    lock.release().await.unwrap();
}

async fn an_interrupted_run_is_marked_failed_and_the_next_run_converges(store: Store) {
    let app = app(store).await;
    let lock = app.store.lock_integration(app.integration).await.unwrap();
    let dead = app
        .store
        .start_run(&lock, RunKind::Import, RunTrigger::Cli, None, 1, None)
        .await
        .unwrap();
    // The process "dies": its lock goes, its transaction never committed.
    lock.release().await.unwrap();
    import_all(&app).await;
    let dead = app.store.run(dead).await.unwrap();
    assert_eq!(dead.status, RunStatus::Failed);
    assert!(dead.error.unwrap().contains("interrupted"));
    let report = app.engine.update(app.integration, cli()).await.unwrap();
    assert!(report.changes.is_empty());
}

async fn incremental_and_full_refresh_end_in_the_same_mirror(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let control = app.control();
    let leaf = leaf_project(&app);
    let projects = in_scope_projects(&app);
    app.tick();
    control.delete(ACCOUNT, RecordKind::Project, leaf).unwrap();
    control
        .rename(
            ACCOUNT,
            RecordKind::Project,
            projects[1],
            "Moved and renamed",
        )
        .unwrap();
    let new_parent = parent_of(
        &app,
        *projects
            .iter()
            .rev()
            .find(|p| parent_of(&app, **p) != parent_of(&app, projects[1]))
            .unwrap(),
    );
    control
        .move_record(ACCOUNT, RecordKind::Project, projects[1], Some(new_parent))
        .unwrap();
    app.engine.update(app.integration, cli()).await.unwrap();
    let incremental = app.store.mirror(app.integration).await.unwrap();
    let options = app.options().await;
    let mut full = cli();
    full.refresh = RefreshMode::Full;
    let report = app.engine.update(app.integration, full).await.unwrap();
    assert!(report.changes.is_empty(), "{:?}", report.changes);
    assert_eq!(
        app.store.mirror(app.integration).await.unwrap(),
        incremental
    );
    assert_eq!(app.options().await, options);
    assert_eq!(
        options[&project(projects[1])].upstream_parent,
        Some(customer(new_parent))
    );
}

async fn a_bad_upstream_record_is_rejected_with_its_reason_and_the_rest_applies(store: Store) {
    let app = app(store).await;
    let projects = in_scope_projects(&app);
    app.control()
        .apply_raw(
            ACCOUNT,
            Mutation::Rename {
                kind: RecordKind::Project,
                id: projects[0],
                name: "Line one\nline two".into(),
            },
        )
        .unwrap();
    let report = app
        .engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    let rejected: Vec<_> = report
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Rejected)
        .collect();
    assert!(rejected.iter().any(|c| c.upstream == project(projects[0])
        && c.reason.as_deref().unwrap().contains("control character")));
    let options = app.options().await;
    assert!(!options.contains_key(&project(projects[0])));
    assert!(options.contains_key(&project(projects[1])));
    assert_eq!(report.counts.rejected as usize, rejected.len());
}

async fn the_import_customers_list_marks_searches_and_pages(store: Store) {
    let app = app(store).await;
    let p = in_scope_projects(&app)[0];
    let c = parent_of(&app, p);
    app.engine
        .import(
            app.integration,
            Selection::Records(vec![customer(c)]),
            cli(),
        )
        .await
        .unwrap();
    app.engine.refresh(app.integration, cli()).await.unwrap();
    let mut all = Vec::new();
    let mut query = CandidateQuery {
        limit: 7,
        ..CandidateQuery::default()
    };
    loop {
        let page = app
            .engine
            .candidates(app.integration, &query)
            .await
            .unwrap();
        assert!(page.candidates.len() <= 7);
        all.extend(page.candidates);
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    let status = |k| all.iter().find(|x| x.key == k).map(|x| x.status);
    assert_eq!(status(customer(c)), Some(CandidateStatus::Imported));
    assert_eq!(status(project(p)), Some(CandidateStatus::New));
    let in_scope = app.ids(&format!(
        "SELECT id FROM job WHERE subsidiary = {}",
        app.sub
    ));
    assert_eq!(
        all.iter()
            .filter(|x| x.key.kind == UpstreamKind::Project)
            .count(),
        in_scope.len()
    );
    let number = app.rows(&format!("SELECT entityid FROM job WHERE id = {p}"))[0]["entityid"]
        .as_str()
        .unwrap()
        .to_owned();
    let found = app
        .engine
        .candidates(
            app.integration,
            &CandidateQuery {
                search: Some(number.to_lowercase()),
                limit: 50,
                after: None,
                ..CandidateQuery::default()
            },
        )
        .await
        .unwrap();
    assert!(found.candidates.iter().any(|x| x.key == project(p)));
}

async fn importing_a_record_removed_here_restores_the_same_option(store: Store) {
    let app = app(store).await;
    let p = in_scope_projects(&app)[0];
    app.engine
        .import(app.integration, Selection::Records(vec![project(p)]), cli())
        .await
        .unwrap();
    let option = app.options().await[&project(p)].clone();
    app.store
        .remove_option_here(option.id, &nsync_store::testing::audit(app.company))
        .await
        .unwrap();
    app.engine
        .import(app.integration, Selection::Records(vec![project(p)]), cli())
        .await
        .unwrap();
    let restored = app.options().await[&project(p)].clone();
    assert_eq!(restored.id, option.id);
    assert!(!restored.removed_here);
}

/// The engine keeps the last run's options in memory; a removal here made since (outside any
/// run) must reach the next update, or renaming the option would bring it back.
async fn an_update_sees_a_removal_here_made_after_the_last_run(store: Store) {
    let app = app(store).await;
    import_all(&app).await;
    let p = leaf_project(&app);
    app.engine.update(app.integration, cli()).await.unwrap();
    let option = app.options().await[&project(p)].clone();
    assert_eq!(
        app.store
            .remove_option_here(option.id, &nsync_store::testing::audit(app.company))
            .await
            .unwrap(),
        1
    );
    app.tick();
    app.control()
        .rename(ACCOUNT, RecordKind::Project, p, "Renamed While Removed")
        .unwrap();
    let report = app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(report.counts.renamed, 1);
    let after = app.options().await[&project(p)].clone();
    assert_eq!(after.name.as_str(), "Renamed While Removed");
    assert!(
        after.removed_here,
        "the update must not bring back an option removed here"
    );
    // And a restore here reaches the next update the same way.
    app.store
        .restore_option_here(option.id, &nsync_store::testing::audit(app.company))
        .await
        .unwrap();
    app.tick();
    app.control()
        .rename(ACCOUNT, RecordKind::Project, p, "Renamed Again")
        .unwrap();
    app.engine.update(app.integration, cli()).await.unwrap();
    assert!(!app.options().await[&project(p)].removed_here);
}
