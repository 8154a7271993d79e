//! Churn: about the fraction asked, through the strict write path, deterministic by seed.

use crate::{at, rows, text};
use netsuite_emulator_db::{AccountData, ChurnSpec, Dataset, GeneratorSpec, SchemaOptions};

fn account(customers: usize, projects: usize) -> AccountData {
    let db = AccountData::new(SchemaOptions::default()).expect("open");
    let spec = GeneratorSpec {
        customers,
        leads_and_prospects: 0,
        projects,
        subsidiaries: 2,
        seed: 3,
    };
    db.load(&Dataset::generate(&spec)).expect("load");
    db
}

/// `id name isinactive` of every record changed since 2026, in id order.
fn changed_since_2026(db: &AccountData, table: &str) -> Vec<String> {
    let q = format!(
        "SELECT id, altname, isinactive FROM {table} \
         WHERE lastmodifieddate >= TO_DATE('2026-01-01', 'YYYY-MM-DD') ORDER BY id"
    );
    rows(db, &q)
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                text(r, "id"),
                text(r, "altname"),
                text(r, "isinactive")
            )
        })
        .collect()
}

#[test]
fn churn_changes_the_fraction_asked_and_a_lastmodifieddate_filter_sees_exactly_those() {
    let db = account(300, 700);
    let spec = ChurnSpec {
        fraction: 0.01,
        seed: 42,
    };
    let report = db.churn(spec, at(2026, 3, 1, 9, 0, 0)).expect("churn");
    assert_eq!(report.customers.changed(), 3);
    assert_eq!(report.projects.changed(), 7);
    assert_eq!(report.records_changed(), 10);
    assert_eq!(report.customers.refused + report.projects.refused, 0);
    assert_eq!(changed_since_2026(&db, "customer").len(), 3);
    assert_eq!(changed_since_2026(&db, "job").len(), 7);
}

#[test]
fn churn_mostly_renames_and_flips_some_inactive_flags() {
    let db = account(200, 800);
    let report = db
        .churn(
            ChurnSpec {
                fraction: 0.25,
                seed: 1,
            },
            at(2026, 3, 1, 9, 0, 0),
        )
        .expect("churn");
    let renamed = report.customers.renamed + report.projects.renamed;
    let flipped = report.records_changed() - renamed;
    assert_eq!(report.records_changed(), 250);
    assert!(renamed > flipped * 2, "{report:?}");
    assert!(flipped > 0, "{report:?}");
}

#[test]
fn churn_with_the_same_seed_on_the_same_data_makes_the_same_changes() {
    let changes = |seed| {
        let db = account(100, 200);
        db.churn(
            ChurnSpec {
                fraction: 0.1,
                seed,
            },
            at(2026, 3, 1, 9, 0, 0),
        )
        .expect("churn");
        (
            changed_since_2026(&db, "customer"),
            changed_since_2026(&db, "job"),
        )
    };
    assert_eq!(changes(7), changes(7));
    assert_ne!(changes(7), changes(8));
}
