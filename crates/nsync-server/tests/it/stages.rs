//! Which NetSuite records belong in the field, end to end on both backends: leads and prospects
//! are not customers unless the integration takes them, and closed projects are not pickable.

use netsuite_emulator::{AccountConfig, GeneratorSpec, Mutation, NewCustomer, RecordKind, Stage};
use nsync_core::planner::Selection;
use nsync_core::{
    InactiveReason, OptionState, RecordId, RunStatus, RunTrigger, UpstreamKey, UpstreamKind,
};
use nsync_server::{CandidateQuery, CandidateStatus, RunOptions};
use nsync_store::Store;

use crate::both_backends;
use crate::harness::{app_with, App, ACCOUNT};

both_backends!(
    import_all_takes_customers_and_leaves_leads_and_prospects_unread,
    a_prospect_that_becomes_a_customer_shows_up_as_new_and_imports,
    turning_prospects_off_deactivates_the_imported_ones_with_that_reason,
    a_project_in_a_closed_status_is_inactive_and_active_again_when_reopened,
    a_role_that_cannot_read_the_status_lists_still_has_closed_projects_judged,
    a_project_status_nobody_has_is_rejected_with_its_reason_and_the_rest_applies,
    the_list_of_an_integration_never_read_says_so_instead_of_answering_empty,
    the_api_patches_stages_and_closed_statuses_and_a_null_restores_the_default,
    the_import_customers_page_hides_closed_projects_when_asked,
);

/// The page's "Hide closed projects" box: the rows below a customer leave out its closed
/// projects, and so do the rows the box's expand buttons fetch.
async fn the_import_customers_page_hides_closed_projects_when_asked(store: Store) {
    use crate::api_web::{page, refresh_candidates, sign_in};
    let api = crate::api_harness::api(store).await;
    let admin = sign_in(&api, "admin@a.test").await;
    refresh_candidates(&api, &admin).await;
    let base = format!("/integrations/{}/candidates?limit=500", api.integration);
    let listed = api.get(&api.admin, &base).await;
    let closed = listed.body["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["closed"] == true && c["parent"].is_string())
        .expect("the demo account has a closed project")
        .clone();
    let parent = closed["parent"].as_str().unwrap();
    let name = closed["name"].as_str().unwrap();
    let all = page(
        &api,
        &admin.cookie,
        &format!("/integration/candidates?parent={parent}"),
    )
    .await;
    assert!(
        all.contains(name) && all.contains("Closed in NetSuite"),
        "{all}"
    );
    let open = page(
        &api,
        &admin.cookie,
        &format!("/integration/candidates?parent={parent}&hide_closed=true"),
    )
    .await;
    assert!(!open.contains("Closed in NetSuite"), "{open}");
    let form = page(
        &api,
        &admin.cookie,
        "/integration/candidates?view=form&hide_closed=true",
    )
    .await;
    assert!(
        form.contains("id=\"hide-closed\"") && form.contains("hide_closed=true"),
        "{form}"
    );
}

async fn the_list_of_an_integration_never_read_says_so_instead_of_answering_empty(store: Store) {
    let api = crate::api_harness::api(store).await;
    let base = format!("/integrations/{}/candidates", api.integration);
    let unread = api.get(&api.admin, &base).await;
    assert_eq!(
        unread.status,
        reqwest::StatusCode::CONFLICT,
        "{}",
        unread.text
    );
    assert_eq!(unread.body["error"]["code"], "not_read_yet");
    assert!(unread.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("candidates/refresh"));
    let read = api
        .call(
            Some(&api.admin),
            reqwest::Method::POST,
            &format!("{base}/refresh"),
            None,
        )
        .await;
    assert!(read.status.is_success(), "{}", read.text);
    let again = api.get(&api.admin, &base).await;
    assert_eq!(again.status, reqwest::StatusCode::OK, "{}", again.text);
    assert!(!again.body["candidates"].as_array().unwrap().is_empty());
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

fn account(status_lists_readable: bool) -> AccountConfig {
    let mut account = AccountConfig::generated(
        ACCOUNT,
        GeneratorSpec {
            customers: 24,
            leads_and_prospects: 16,
            projects: 60,
            subsidiaries: 3,
            seed: 11,
        },
    );
    account.status_lists_readable = status_lists_readable;
    account
}

async fn crm_app(store: Store) -> App {
    app_with(store, account(true)).await
}

fn of_stage(app: &App, stage: &str) -> Vec<i64> {
    app.ids(&format!(
        "SELECT c.id FROM customer c WHERE c.searchstage = '{stage}' AND EXISTS (SELECT 1 FROM \
         customersubsidiaryrelationship r WHERE r.entity = c.id AND r.subsidiary = {}) ORDER BY c.id",
        app.sub
    ))
}

async fn set(app: &App, change: impl FnOnce(&mut nsync_core::IntegrationSettings)) {
    let mut settings = app
        .store
        .integration(app.integration)
        .await
        .unwrap()
        .settings;
    change(&mut settings);
    app.store
        .update_settings(
            app.integration,
            &settings,
            &nsync_store::testing::audit(app.company),
        )
        .await
        .unwrap();
}

async fn import_all_takes_customers_and_leaves_leads_and_prospects_unread(store: Store) {
    let app = crm_app(store).await;
    let prospects = of_stage(&app, "Prospect");
    assert!(!prospects.is_empty() && !of_stage(&app, "Lead").is_empty());
    let report = app
        .engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Succeeded);
    let options = app.options().await;
    let customers = of_stage(&app, "Customer");
    for key in options.keys().filter(|k| k.kind == UpstreamKind::Customer) {
        assert!(customers.contains(&key.id.get()), "{key} is not a customer");
    }
    // Not in the mirror either: the stage filter is in the query, so no page carried them.
    let mirror = app.store.mirror(app.integration).await.unwrap();
    assert!(mirror
        .iter()
        .all(|r| r.key.kind == UpstreamKind::Project || customers.contains(&r.key.id.get())));
    let sent = app.control().requests();
    assert!(sent
        .iter()
        .filter_map(|r| r.query.as_deref())
        .filter(|q| q.contains("FROM customer c"))
        .all(|q| q.contains("UPPER(c.searchstage) IN ('CUSTOMER')")));
}

async fn a_prospect_that_becomes_a_customer_shows_up_as_new_and_imports(store: Store) {
    let app = crm_app(store).await;
    app.engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    let prospect = of_stage(&app, "Prospect")[0];
    app.tick();
    app.control()
        .apply(
            ACCOUNT,
            Mutation::Convert {
                id: prospect,
                stage: Stage::Customer,
            },
        )
        .unwrap();
    app.engine.update(app.integration, cli()).await.unwrap();
    let query = CandidateQuery {
        limit: 1000,
        status: Some(CandidateStatus::New),
        ..CandidateQuery::default()
    };
    let new = app
        .engine
        .candidates(app.integration, &query)
        .await
        .unwrap();
    let converted = key(UpstreamKind::Customer, prospect);
    assert!(
        new.candidates.iter().any(|c| c.key == converted),
        "listed as new"
    );
    app.engine
        .import(app.integration, Selection::Records(vec![converted]), cli())
        .await
        .unwrap();
    assert!(app.options().await[&converted].state.is_active());
}

async fn turning_prospects_off_deactivates_the_imported_ones_with_that_reason(store: Store) {
    let app = crm_app(store).await;
    set(&app, |s| s.include_prospects = true).await;
    app.engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    let prospect = key(UpstreamKind::Customer, of_stage(&app, "Prospect")[0]);
    assert!(app.options().await[&prospect].state.is_active());
    let options = app.options().await;
    assert!(
        !of_stage(&app, "Lead")
            .iter()
            .any(|l| options.contains_key(&key(UpstreamKind::Customer, *l))),
        "leads stay out"
    );
    set(&app, |s| s.include_prospects = false).await;
    for refresh in [
        nsync_server::RefreshMode::Incremental,
        nsync_server::RefreshMode::Full,
    ] {
        let mut options = cli();
        options.refresh = refresh;
        let report = app.engine.update(app.integration, options).await.unwrap();
        assert_ne!(report.status, RunStatus::Failed, "{report:?}");
        if report.status == RunStatus::NeedsConfirmation {
            app.engine
                .confirm(
                    app.integration,
                    report.run.unwrap(),
                    nsync_store::Audit::new(app.company, None, "confirm_update", 1),
                )
                .await
                .unwrap();
        }
        assert_eq!(
            app.options().await[&prospect].state,
            OptionState::Inactive(InactiveReason::StageNotIncluded),
            "after a {refresh:?} read"
        );
    }
}

/// A project of the subsidiary directly under an imported customer, with no children.
fn leaf_project(app: &App) -> i64 {
    app.ids(&format!(
        "SELECT j.id FROM job j JOIN customer c ON c.id = j.parent WHERE j.subsidiary = {s} \
         AND c.parent IS NULL AND c.searchstage = 'Customer' AND j.isinactive = 'F' \
         AND EXISTS (SELECT 1 FROM customersubsidiaryrelationship r WHERE r.entity = c.id AND \
         r.subsidiary = {s}) AND NOT EXISTS (SELECT 1 FROM job k WHERE k.parent = j.id) ORDER BY j.id",
        s = app.sub
    ))[0]
}

fn set_status(app: &App, project: i64, status: i64, raw: bool) {
    app.tick();
    let change = Mutation::SetStatus {
        kind: RecordKind::Project,
        id: project,
        status,
    };
    if raw {
        app.control().apply_raw(ACCOUNT, change).unwrap();
    } else {
        app.control().apply(ACCOUNT, change).unwrap();
    }
}

async fn a_project_in_a_closed_status_is_inactive_and_active_again_when_reopened(store: Store) {
    let app = crm_app(store).await;
    let p = leaf_project(&app);
    set_status(&app, p, 2, false);
    app.engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    let project = key(UpstreamKind::Project, p);
    assert!(app.options().await[&project].state.is_active());
    set_status(&app, p, 1, false);
    let report = app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(
        app.options().await[&project].state,
        OptionState::Inactive(InactiveReason::ClosedInNetSuite)
    );
    let change = report
        .changes
        .iter()
        .find(|c| c.upstream == project)
        .expect("a change for the project");
    assert_eq!(
        change.reason.as_deref(),
        Some("closed in NetSuite (status Closed)")
    );
    set_status(&app, p, 4, false);
    app.engine.update(app.integration, cli()).await.unwrap();
    assert!(app.options().await[&project].state.is_active());
    // An admin who counts "Pending" (4) as closed too.
    set(&app, |s| s.closed_project_statuses = Some(vec![1, 4])).await;
    app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(
        app.options().await[&project].state,
        OptionState::Inactive(InactiveReason::ClosedInNetSuite)
    );
}

async fn a_role_that_cannot_read_the_status_lists_still_has_closed_projects_judged(store: Store) {
    let app = app_with(store, account(false)).await;
    let p = leaf_project(&app);
    set_status(&app, p, 1, false);
    let report = app
        .engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Succeeded);
    // A run reads each project's status name with the project, never the list.
    assert_eq!(
        app.options().await[&key(UpstreamKind::Project, p)].state,
        OptionState::Inactive(InactiveReason::ClosedInNetSuite)
    );
    assert!(app
        .control()
        .requests()
        .iter()
        .filter_map(|r| r.query.as_deref())
        .all(|q| !q.contains("FROM entitystatus")));
    // The page that lists the statuses says what is missing.
    let err = app
        .engine
        .project_statuses(app.integration)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("project statuses"), "{err}");
}

async fn a_project_status_nobody_has_is_rejected_with_its_reason_and_the_rest_applies(
    store: Store,
) {
    let app = crm_app(store).await;
    let p = leaf_project(&app);
    set_status(&app, p, 77, true);
    let report = app
        .engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Succeeded);
    let project = key(UpstreamKind::Project, p);
    let rejection = report
        .changes
        .iter()
        .find(|c| c.upstream == project)
        .and_then(|c| c.reason.clone())
        .expect("the project is rejected");
    assert!(rejection.contains("project status 77"), "{rejection}");
    assert!(!app.options().await.contains_key(&project));
    assert!(report.counts.added > 10);
    // Imported with a good status, then given one nobody has: the option stays (open) and is
    // marked with the reason, in the store and through the API; a good status clears the mark.
    set_status(&app, p, 2, false);
    app.engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    set_status(&app, p, 77, true);
    app.engine.update(app.integration, cli()).await.unwrap();
    let option = app.options().await[&project].clone();
    assert!(option.state.is_active());
    let flaw = option.flaw.clone().expect("the option is marked");
    assert!(flaw.contains("project status 77"), "{flaw}");
    set_status(&app, p, 2, false);
    app.engine.update(app.integration, cli()).await.unwrap();
    assert_eq!(app.options().await[&project].flaw, None);
    // A lead created in NetSuite never reaches the field.
    app.tick();
    let lead = app
        .control()
        .apply(
            ACCOUNT,
            Mutation::CreateCustomer(NewCustomer {
                company_name: Some("Cold Lead".into()),
                subsidiary: Some(app.sub),
                stage: Some(Stage::Lead),
                ..NewCustomer::default()
            }),
        )
        .unwrap()
        .id;
    app.engine
        .import(app.integration, Selection::All, cli())
        .await
        .unwrap();
    assert!(!app
        .options()
        .await
        .contains_key(&key(UpstreamKind::Customer, lead)));
}

async fn the_api_patches_stages_and_closed_statuses_and_a_null_restores_the_default(store: Store) {
    let api = crate::api_harness::api(store).await;
    let path = format!("/integrations/{}", api.integration);
    let patch = |body| api.call(Some(&api.admin), reqwest::Method::PATCH, &path, Some(body));
    let reply = patch(serde_json::json!({"settings": {"include_prospects": true, "closed_project_statuses": [1, 4]}})).await;
    assert!(reply.status.is_success(), "{}", reply.text);
    let settings = api.get(&api.admin, &path).await.body["settings"].clone();
    assert_eq!(settings["include_prospects"], true);
    assert_eq!(settings["include_leads"], false);
    assert_eq!(
        settings["closed_project_statuses"],
        serde_json::json!([1, 4])
    );
    let reply = patch(serde_json::json!({"settings": {"closed_project_statuses": null}})).await;
    assert!(reply.status.is_success(), "{}", reply.text);
    let settings = api.get(&api.admin, &path).await.body["settings"].clone();
    assert!(settings["closed_project_statuses"].is_null());
    assert_eq!(
        settings["include_prospects"], true,
        "a PATCH keeps what it does not name"
    );
    let reply = patch(serde_json::json!({"settings": {"closed_project_statuses": [0]}})).await;
    assert_eq!(
        reply.status,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
}
