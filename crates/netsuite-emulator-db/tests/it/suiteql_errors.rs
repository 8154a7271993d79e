use crate::{demo, demo_with};
use netsuite_emulator_db::{SchemaOptions, SuiteQlError};

fn detail(db: &netsuite_emulator_db::AccountData, q: &str) -> String {
    db.suiteql(q, &[], 0, 10).expect_err("should fail").detail()
}

#[test]
fn an_unknown_table_is_an_invalid_search_type() {
    assert_eq!(
        detail(&demo(), "SELECT id FROM transactiontablethatdoesnotexist"),
        "Invalid search query. Detailed unprocessed description follows. Invalid search type: transactiontablethatdoesnotexist."
    );
}

#[test]
fn an_unknown_column_names_the_available_identifiers() {
    assert_eq!(
        detail(&demo(), "SELECT not_existing_field FROM customer"),
        "Invalid search query. Detailed unprocessed description follows. Search error occurred: Unknown identifier 'not_existing_field'. Available identifiers are: {customer=customer}."
    );
    let d = detail(&demo(), "SELECT c.id FROM customer c JOIN customersubsidiaryrelationship r ON r.entity = c.id WHERE r.nope = 1");
    assert!(d.ends_with("Unknown identifier 'r.nope'. Available identifiers are: {c=customer, r=customersubsidiaryrelationship}."), "{d}");
}

#[test]
fn syntax_errors_are_invalid_or_unsupported_searches() {
    for q in [
        "SELEC id FROM customer",
        "SELECT id FROM customer WHERE",
        "SELECT id FROM customer LIMIT 5",
        "WITH x AS (SELECT id FROM customer) SELECT * FROM x",
        "SELECT [id] FROM customer",
        "SELECT id FROM customer;",
        "SELECT nosuchfunction(id) FROM customer",
    ] {
        let e = demo().suiteql(q, &[], 0, 10).expect_err(q);
        assert!(matches!(e, SuiteQlError::Invalid { .. }), "{q}: {e:?}");
        assert!(e
            .detail()
            .ends_with("Search error occurred: Invalid or unsupported search."));
    }
}

#[test]
fn non_oneworld_accounts_have_no_subsidiaries() {
    let db = demo_with(SchemaOptions {
        one_world: false,
        ..SchemaOptions::default()
    });
    assert!(
        detail(&db, "SELECT subsidiary FROM customer").contains("Unknown identifier 'subsidiary'")
    );
    assert!(detail(&db, "SELECT id FROM subsidiary").ends_with("Invalid search type: subsidiary."));
    assert!(detail(&db, "SELECT id FROM customersubsidiaryrelationship")
        .contains("Invalid search type"));
    assert!(!db
        .suiteql("SELECT * FROM customer", &[], 0, 5)
        .expect("ok")
        .items[0]
        .contains_key("subsidiary"));
}

#[test]
fn accounts_without_projects_have_no_job_table() {
    let db = demo_with(SchemaOptions {
        projects_enabled: false,
        ..SchemaOptions::default()
    });
    assert!(detail(&db, "SELECT id FROM job").ends_with("Invalid search type: job."));
    assert!(db.list_records("job", None, 0, 10).is_err());
}

#[test]
fn parameters_must_match_the_placeholders() {
    let e = demo()
        .suiteql("SELECT id FROM customer WHERE id > ?", &[], 0, 10)
        .expect_err("count");
    assert_eq!(
        e,
        SuiteQlError::ParamCount {
            expected: 1,
            got: 0
        }
    );
}

#[test]
fn bad_to_date_input_is_a_search_error() {
    let e = demo().suiteql(
        "SELECT id FROM customer WHERE lastmodifieddate > TO_DATE('xx', 'YYYY-MM-DD')",
        &[],
        0,
        10,
    );
    assert!(matches!(e, Err(SuiteQlError::Runtime(_))), "{e:?}");
}
