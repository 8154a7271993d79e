use crate::{at, demo, demo_with, rows, text};
use netsuite_emulator_db::{
    Mode, Mutation, MutationError, NewCustomer, NewProject, RecordKind, SchemaOptions,
};

fn company(name: &str) -> Mutation {
    Mutation::CreateCustomer(NewCustomer {
        company_name: Some(name.into()),
        subsidiary: Some(2),
        ..NewCustomer::default()
    })
}

fn stamp(db: &netsuite_emulator_db::AccountData, table: &str, id: i64) -> String {
    let q = format!("SELECT TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS t FROM {table} WHERE id = {id}");
    text(&rows(db, &q)[0], "t").to_owned()
}

#[test]
fn creating_a_customer_links_its_primary_subsidiary() {
    let db = demo();
    let id = db
        .apply(company("New Co"), at(2026, 1, 2, 3, 4, 5), Mode::Strict)
        .expect("create")
        .id;
    let q = format!(
        "SELECT subsidiary, isprimarysub FROM customersubsidiaryrelationship WHERE entity = {id}"
    );
    let links = rows(&db, &q);
    assert_eq!(
        (
            text(&links[0], "subsidiary"),
            text(&links[0], "isprimarysub")
        ),
        ("2", "T")
    );
}

#[test]
fn every_write_bumps_lastmodifieddate_on_the_emulated_clock() {
    let db = demo_with(SchemaOptions {
        time_zone: chrono_tz::UTC,
        ..SchemaOptions::default()
    });
    let id = db
        .apply(company("Clock Co"), at(2026, 1, 1, 0, 0, 0), Mode::Strict)
        .expect("create")
        .id;
    let steps = [
        Mutation::Rename {
            kind: RecordKind::Customer,
            id,
            name: "Clock Co 2".into(),
        },
        Mutation::SetInactive {
            kind: RecordKind::Customer,
            id,
            inactive: true,
        },
        Mutation::Move {
            kind: RecordKind::Customer,
            id,
            parent: Some(101),
        },
        Mutation::LinkSubsidiary {
            customer: id,
            subsidiary: 3,
        },
    ];
    for (k, step) in steps.into_iter().enumerate() {
        let when = at(2026, 1, 1, 1 + k as u32, 0, 0);
        db.apply(step, when, Mode::Strict).expect("step");
        assert_eq!(
            stamp(&db, "customer", id),
            when.format("%Y-%m-%d %H:%M:%S").to_string()
        );
    }
    let row = &rows(
        &db,
        &format!("SELECT companyname, isinactive, parent FROM customer WHERE id = {id}"),
    )[0];
    assert_eq!(
        (
            text(row, "companyname"),
            text(row, "isinactive"),
            text(row, "parent")
        ),
        ("Clock Co 2", "T", "101")
    );
}

#[test]
fn deleting_records_them_in_deletedrecord() {
    let db = demo();
    let id = db
        .apply(company("Doomed"), at(2026, 1, 1, 0, 0, 0), Mode::Strict)
        .expect("create")
        .id;
    db.apply(
        Mutation::Delete {
            kind: RecordKind::Customer,
            id,
        },
        at(2026, 2, 1, 0, 0, 0),
        Mode::Strict,
    )
    .expect("delete");
    assert!(rows(&db, &format!("SELECT id FROM customer WHERE id = {id}")).is_empty());
    let q = format!("SELECT recordtypeid, type, name FROM deletedrecord WHERE recordid = {id}");
    let row = &rows(&db, &q)[0];
    assert_eq!(
        (
            text(row, "recordtypeid"),
            text(row, "type"),
            text(row, "name")
        ),
        ("customer", "Customer", "Doomed")
    );
}

#[test]
fn strict_writes_enforce_netsuites_name_limits() {
    let db = demo();
    let long = "x".repeat(84);
    let e = db
        .apply(company(&long), at(2026, 1, 1, 0, 0, 0), Mode::Strict)
        .expect_err("too long");
    assert_eq!(
        e,
        MutationError::TooLong {
            field: "companyname",
            max: 83
        }
    );
    assert_eq!((e.http_status(), e.error_code()), (400, "USER_ERROR"));
    assert_eq!(
        e.detail(),
        "field companyname contained more than the maximum number (83) of characters"
    );
    assert!(
        db.apply(
            company(&"é".repeat(83)),
            at(2026, 1, 1, 0, 0, 0),
            Mode::Strict
        )
        .is_ok(),
        "83 characters, not bytes"
    );
    let p = NewProject {
        name: "p".repeat(257),
        parent: 101,
        ..NewProject::default()
    };
    let e = db
        .apply(
            Mutation::CreateProject(p),
            at(2026, 1, 1, 0, 0, 0),
            Mode::Strict,
        )
        .expect_err("too long");
    assert_eq!(
        e,
        MutationError::TooLong {
            field: "companyname",
            max: 256
        }
    );
    for bad in ["", "  ", "tab\there"] {
        assert!(
            db.apply(company(bad), at(2026, 1, 1, 0, 0, 0), Mode::Strict)
                .is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn raw_writes_store_what_netsuite_would_refuse() {
    let db = demo();
    let long = "y".repeat(200);
    let id = db
        .apply(company(&long), at(2026, 1, 1, 0, 0, 0), Mode::Raw)
        .expect("raw")
        .id;
    assert_eq!(
        text(
            &rows(
                &db,
                &format!("SELECT companyname FROM customer WHERE id = {id}")
            )[0],
            "companyname"
        ),
        long
    );
    let ctl = db
        .apply(company("bell\u{7}"), at(2026, 1, 1, 0, 0, 0), Mode::Raw)
        .expect("control char")
        .id;
    let orphan = NewProject {
        name: "Orphan".into(),
        parent: 987_654,
        subsidiary: Some(2),
        ..NewProject::default()
    };
    assert!(db
        .apply(
            Mutation::CreateProject(orphan),
            at(2026, 1, 1, 0, 0, 0),
            Mode::Raw
        )
        .is_ok());
    db.apply(
        Mutation::Move {
            kind: RecordKind::Customer,
            id: ctl,
            parent: Some(ctl),
        },
        at(2026, 1, 1, 0, 0, 0),
        Mode::Raw,
    )
    .expect("a parent cycle");
    let empty = db
        .apply(company(""), at(2026, 1, 1, 0, 0, 0), Mode::Raw)
        .expect("empty")
        .id;
    let row = &rows(
        &db,
        &format!("SELECT id, companyname FROM customer WHERE id = {empty}"),
    )[0];
    assert!(
        !row.contains_key("companyname"),
        "Oracle's empty string is NULL"
    );
}

#[test]
fn strict_writes_refuse_cycles_missing_parents_and_deleting_parents() {
    let db = demo();
    let t = at(2026, 1, 1, 0, 0, 0);
    let parent = db.apply(company("Parent"), t, Mode::Strict).expect("p").id;
    let child = db
        .apply(
            Mutation::CreateProject(NewProject {
                name: "Child".into(),
                parent,
                ..NewProject::default()
            }),
            t,
            Mode::Strict,
        )
        .expect("child")
        .id;
    let grandchild = db
        .apply(
            Mutation::CreateProject(NewProject {
                name: "Grandchild".into(),
                parent: child,
                ..NewProject::default()
            }),
            t,
            Mode::Strict,
        )
        .expect("grandchild")
        .id;
    let cycle = Mutation::Move {
        kind: RecordKind::Project,
        id: child,
        parent: Some(grandchild),
    };
    assert_eq!(db.apply(cycle, t, Mode::Strict), Err(MutationError::Cycle));
    let missing = NewProject {
        name: "Lost".into(),
        parent: 987_654,
        ..NewProject::default()
    };
    assert!(matches!(
        db.apply(Mutation::CreateProject(missing), t, Mode::Strict),
        Err(MutationError::InvalidReference { .. })
    ));
    assert_eq!(
        db.apply(
            Mutation::Delete {
                kind: RecordKind::Customer,
                id: parent
            },
            t,
            Mode::Strict
        ),
        Err(MutationError::HasDependents)
    );
}

#[test]
fn moving_a_project_updates_the_top_level_customer_of_its_subtree() {
    let db = demo();
    let t = at(2026, 1, 1, 0, 0, 0);
    let a = db.apply(company("A"), t, Mode::Strict).expect("a").id;
    let b = db.apply(company("B"), t, Mode::Strict).expect("b").id;
    let p = db
        .apply(
            Mutation::CreateProject(NewProject {
                name: "P".into(),
                parent: a,
                ..NewProject::default()
            }),
            t,
            Mode::Strict,
        )
        .expect("p")
        .id;
    let s = db
        .apply(
            Mutation::CreateProject(NewProject {
                name: "S".into(),
                parent: p,
                ..NewProject::default()
            }),
            t,
            Mode::Strict,
        )
        .expect("s")
        .id;
    db.apply(
        Mutation::Move {
            kind: RecordKind::Project,
            id: p,
            parent: Some(b),
        },
        t,
        Mode::Strict,
    )
    .expect("move");
    let row = &rows(&db, &format!("SELECT customer FROM job WHERE id = {s}"))[0];
    assert_eq!(text(row, "customer"), b.to_string());
}

#[test]
fn subsidiary_links_can_change() {
    let db = demo();
    let t = at(2026, 1, 1, 0, 0, 0);
    let id = db.apply(company("Linked"), t, Mode::Strict).expect("c").id;
    db.apply(
        Mutation::LinkSubsidiary {
            customer: id,
            subsidiary: 3,
        },
        t,
        Mode::Strict,
    )
    .expect("link");
    db.apply(
        Mutation::SetPrimarySubsidiary {
            customer: id,
            subsidiary: 3,
        },
        t,
        Mode::Strict,
    )
    .expect("primary");
    db.apply(
        Mutation::UnlinkSubsidiary {
            customer: id,
            subsidiary: 2,
        },
        t,
        Mode::Strict,
    )
    .expect("unlink");
    let q = format!(
        "SELECT subsidiary, isprimarysub FROM customersubsidiaryrelationship WHERE entity = {id}"
    );
    let links = rows(&db, &q);
    assert_eq!(links.len(), 1);
    assert_eq!(
        (
            text(&links[0], "subsidiary"),
            text(&links[0], "isprimarysub")
        ),
        ("3", "T")
    );
    let e = db.apply(
        Mutation::UnlinkSubsidiary {
            customer: id,
            subsidiary: 3,
        },
        t,
        Mode::Strict,
    );
    assert!(e.is_err(), "the primary link stays");
    let elimination = Mutation::LinkSubsidiary {
        customer: id,
        subsidiary: 5,
    };
    assert!(
        db.apply(elimination, t, Mode::Strict).is_err(),
        "no customers in an elimination subsidiary"
    );
}

#[test]
fn mutations_deserialize_from_json() {
    let m: Mutation = serde_json::from_str(r#"{"op":"rename","kind":"project","id":5,"name":"N"}"#)
        .expect("json");
    assert_eq!(
        m,
        Mutation::Rename {
            kind: RecordKind::Project,
            id: 5,
            name: "N".into()
        }
    );
}
