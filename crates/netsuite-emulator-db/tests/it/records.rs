use crate::{at, demo};
use netsuite_emulator_db::{Mode, Mutation, NewCustomer, RecordError};

#[test]
fn get_returns_camel_case_fields_and_references() {
    let db = demo();
    let id = db
        .list_records("job", Some("parent ANY_OF [101, 102, 103, 104, 105]"), 0, 1)
        .expect("list")
        .ids;
    let rec = db
        .get_record("job", *id.first().unwrap_or(&0))
        .expect("get");
    assert!(rec["companyName"].is_string() && rec["entityId"].is_string());
    assert!(rec["isInactive"].is_boolean());
    assert!(rec["parent"]["id"].is_string() && rec["parent"]["refName"].is_string());
    assert_eq!(
        rec["subsidiary"]["refName"]
            .as_str()
            .map(|s| s.starts_with("Honeycomb")),
        Some(true)
    );
    let modified = rec["lastModifiedDate"].as_str().expect("date");
    assert!(
        modified.ends_with('Z') && modified.contains('T'),
        "{modified}"
    );
}

#[test]
fn get_of_a_missing_id_is_nonexistent() {
    let e = demo().get_record("customer", 999_999).expect_err("missing");
    assert_eq!(
        (e.http_status(), e.error_code(), e.detail().as_str()),
        (404, "NONEXISTENT_ID", "Record does not exist.")
    );
}

#[test]
fn list_filters_with_q() {
    let db = demo();
    // The demo's 120 customers and its 8 leads and prospects: one record type.
    let all = db.list_records("customer", None, 0, 1000).expect("all");
    assert_eq!(all.total_results, 128);
    let inactive = db
        .list_records("customer", Some("isInactive IS true"), 0, 1000)
        .expect("inactive");
    let active = db
        .list_records("customer", Some("isinactive IS false"), 0, 1000)
        .expect("active");
    assert_eq!(inactive.total_results + active.total_results, 128);
    let some = db
        .list_records(
            "customer",
            Some("id ANY_OF [101, 102, 103] AND id EQUAL_NOT 102"),
            0,
            10,
        )
        .expect("any");
    assert_eq!(some.ids, [101, 103]);
    let named = db
        .list_records("customer", Some("companyName START_WITH \"<img\""), 0, 10)
        .expect("start");
    assert_eq!(named.total_results, 1);
}

#[test]
fn list_filters_dates_in_iso_and_us_format() {
    let db = demo();
    let c = NewCustomer {
        company_name: Some("Fresh".into()),
        subsidiary: Some(2),
        ..NewCustomer::default()
    };
    let id = db
        .apply(
            Mutation::CreateCustomer(c),
            at(2026, 3, 15, 12, 0, 0),
            Mode::Strict,
        )
        .expect("create")
        .id;
    for q in [
        "lastModifiedDate ON_OR_AFTER \"2026-03-15T00:00:00Z\"",
        "lastModifiedDate ON_OR_AFTER \"3/15/2026\"",
        "lastModifiedDate ON \"3/15/2026\"",
        "lastModifiedDate AFTER \"3/14/2026\"",
    ] {
        assert_eq!(
            db.list_records("customer", Some(q), 0, 10).expect(q).ids,
            [id],
            "{q}"
        );
    }
    assert!(
        db.list_records(
            "customer",
            Some("lastModifiedDate BEFORE \"3/15/2026\" AND id EQUAL 101"),
            0,
            10
        )
        .expect("before")
        .total_results
            == 1
    );
}

#[test]
fn an_unparseable_date_is_refused() {
    let e = demo()
        .list_records(
            "customer",
            Some("lastModifiedDate AFTER \"15.03.2026\""),
            0,
            10,
        )
        .expect_err("bad");
    assert_eq!(
        e,
        RecordError::InvalidQuery("Unparseable date: \"15.03.2026\"".into())
    );
    assert_eq!(e.http_status(), 400);
}

#[test]
fn list_pages_by_offset() {
    let db = demo();
    let a = db.list_records("job", None, 0, 100).expect("a");
    let b = db.list_records("job", None, 100, 100).expect("b");
    assert_eq!((a.ids.len(), b.ids.len(), a.total_results), (100, 100, 300));
    assert!(a.ids.last() < b.ids.first());
}

#[test]
fn relationships_and_subsidiaries_are_records_too() {
    let db = demo();
    let rel = db
        .list_records(
            "customersubsidiaryrelationship",
            Some("entity EQUAL 101"),
            0,
            10,
        )
        .expect("rel");
    assert!(rel.total_results >= 1);
    let r = db
        .get_record("customersubsidiaryrelationship", rel.ids[0])
        .expect("get");
    assert_eq!(r["entity"]["id"], "101");
    assert!(db.get_record("subsidiary", 1).expect("sub")["isElimination"] == false);
}
