//! Leads, prospects and customers in one table; the account's status lists; the writes that
//! convert a record or set its status.

use crate::{at, demo, demo_with, rows, text};
use netsuite_emulator_db::{
    Dataset, GeneratorSpec, Mode, Mutation, MutationError, NewCustomer, NewProject, RecordKind,
    SchemaOptions, Stage, SuiteQlError,
};

fn lead(db: &netsuite_emulator_db::AccountData) -> i64 {
    let create = Mutation::CreateCustomer(NewCustomer {
        company_name: Some("Maybe Co".into()),
        subsidiary: Some(2),
        stage: Some(Stage::Lead),
        ..NewCustomer::default()
    });
    db.apply(create, at(2026, 1, 1, 0, 0, 0), Mode::Strict)
        .expect("create")
        .id
}

fn stage_and_status(db: &netsuite_emulator_db::AccountData, id: i64) -> (String, String) {
    let row = &rows(
        db,
        &format!("SELECT searchstage, entitystatus FROM customer WHERE id = {id}"),
    )[0];
    (
        text(row, "searchstage").to_owned(),
        text(row, "entitystatus").to_owned(),
    )
}

#[test]
fn a_lead_converts_to_a_prospect_then_a_customer_and_each_step_moves_lastmodifieddate() {
    let db = demo();
    let id = lead(&db);
    assert_eq!(stage_and_status(&db, id), ("Lead".into(), "6".into()));
    let convert = |stage, hour| {
        db.apply(
            Mutation::Convert { id, stage },
            at(2026, 1, 1, hour, 0, 0),
            Mode::Strict,
        )
        .expect("convert");
        let q =
            format!("SELECT TO_CHAR(lastmodifieddate, 'HH24') AS h FROM customer WHERE id = {id}");
        text(&rows(&db, &q)[0], "h").to_owned()
    };
    // The demo account's zone is Pacific time: 01:00 UTC is 17:00 the day before.
    assert_eq!(convert(Stage::Prospect, 1), "17");
    assert_eq!(stage_and_status(&db, id), ("Prospect".into(), "8".into()));
    assert_eq!(convert(Stage::Customer, 2), "18");
    assert_eq!(stage_and_status(&db, id), ("Customer".into(), "13".into()));
    let back = db.apply(
        Mutation::Convert {
            id,
            stage: Stage::Lead,
        },
        at(2026, 1, 1, 3, 0, 0),
        Mode::Strict,
    );
    assert!(matches!(back, Err(MutationError::InvalidReference { .. })));
}

#[test]
fn setting_a_customer_status_of_another_stage_converts_the_record() {
    let db = demo();
    let id = lead(&db);
    let set = Mutation::SetStatus {
        kind: RecordKind::Customer,
        id,
        status: 11,
    };
    db.apply(set, at(2026, 1, 2, 0, 0, 0), Mode::Strict)
        .expect("status");
    assert_eq!(stage_and_status(&db, id), ("Prospect".into(), "11".into()));
    let project_status = Mutation::SetStatus {
        kind: RecordKind::Customer,
        id,
        status: 1,
    };
    assert!(db
        .apply(project_status, at(2026, 1, 2, 0, 0, 0), Mode::Strict)
        .is_err());
}

#[test]
fn a_project_status_is_one_of_the_accounts_and_raw_mode_stores_any_id() {
    let db = demo();
    let project = db
        .apply(
            Mutation::CreateProject(NewProject {
                name: "Fit-out".into(),
                parent: 101,
                ..NewProject::default()
            }),
            at(2026, 1, 3, 0, 0, 0),
            Mode::Strict,
        )
        .expect("create")
        .id;
    let status = |s: i64, mode| {
        db.apply(
            Mutation::SetStatus {
                kind: RecordKind::Project,
                id: project,
                status: s,
            },
            at(2026, 1, 3, 1, 0, 0),
            mode,
        )
    };
    status(1, Mode::Strict).expect("closed");
    let q = format!("SELECT BUILTIN.DF(j.entitystatus) AS s FROM job j WHERE j.id = {project}");
    assert_eq!(text(&rows(&db, &q)[0], "s"), "Closed");
    assert!(status(99, Mode::Strict).is_err());
    status(99, Mode::Raw).expect("raw");
    let q = format!("SELECT entitystatus FROM job WHERE id = {project}");
    assert_eq!(text(&rows(&db, &q)[0], "entitystatus"), "99");
}

#[test]
fn the_status_lists_are_one_table_told_apart_by_entity_type() {
    let db = demo();
    let jobs = rows(
        &db,
        "SELECT es.key, es.name FROM entitystatus es WHERE es.entitytype = 'JOB' ORDER BY es.key",
    );
    let names: Vec<&str> = jobs.iter().map(|r| text(r, "name")).collect();
    assert_eq!(
        names,
        ["Closed", "In Progress", "Not Awarded", "Pending", "Awarded"]
    );
    let customers = rows(
        &db,
        "SELECT COUNT(*) AS n FROM entitystatus WHERE entitytype = 'CUSTOMER'",
    );
    assert_eq!(text(&customers[0], "n"), "10");
}

#[test]
fn a_role_without_access_to_status_lists_cannot_query_them() {
    let db = demo_with(SchemaOptions {
        status_lists_readable: false,
        ..SchemaOptions::default()
    });
    let err = db
        .suiteql("SELECT key FROM entitystatus", &[], 0, 10)
        .expect_err("hidden");
    assert!(
        matches!(&err, SuiteQlError::UnknownTable(t) if t == "entitystatus"),
        "{err}"
    );
}

#[test]
fn the_large_account_is_forty_percent_leads_and_prospects_and_fifteen_percent_closed_projects() {
    let d = Dataset::generate(&GeneratorSpec {
        customers: 6_000,
        leads_and_prospects: 4_000,
        projects: 20_000,
        subsidiaries: 3,
        seed: 3,
    });
    let not_customers = d
        .customers
        .iter()
        .filter(|c| c.stage != Stage::Customer)
        .count();
    assert_eq!(not_customers, 4_000);
    let closed = d.projects.iter().filter(|p| p.entity_status == 1).count();
    let share = closed as f64 / d.projects.len() as f64;
    assert!((0.13..0.17).contains(&share), "closed share {share}");
    let spec = GeneratorSpec::large(1);
    let share =
        spec.leads_and_prospects as f64 / (spec.customers + spec.leads_and_prospects) as f64;
    assert!((0.39..0.41).contains(&share));
    // Leads and prospects have no projects and no sub-customers.
    let ids: std::collections::HashSet<i64> = d
        .customers
        .iter()
        .filter(|c| c.stage != Stage::Customer)
        .map(|c| c.id)
        .collect();
    assert!(d.projects.iter().all(|p| !ids.contains(&p.parent)));
}
