use crate::{at, demo, demo_with, rows, text};
use netsuite_emulator_db::{AccountData, DateFormat, Mode, Mutation, NewCustomer, SchemaOptions};
use serde_json::Value;

#[test]
fn every_value_is_a_string_and_booleans_are_t_or_f() {
    let db = demo();
    for row in rows(
        &db,
        "SELECT id, isinactive, isperson, parent FROM customer ORDER BY id",
    ) {
        assert!(row.values().all(Value::is_string), "{row:?}");
        assert!(["T", "F"].contains(&text(&row, "isinactive")));
        assert!(text(&row, "id").parse::<i64>().is_ok());
    }
}

#[test]
fn null_columns_are_left_out() {
    let db = demo();
    let people = rows(
        &db,
        "SELECT id, companyname, firstname FROM customer WHERE isperson = 'T'",
    );
    assert!(!people.is_empty());
    assert!(people
        .iter()
        .all(|r| !r.contains_key("companyname") && r.contains_key("firstname")));
}

#[test]
fn keys_are_lowercase_including_aliases() {
    let db = demo();
    let row = &rows(
        &db,
        "SELECT ID AS MyId, CompanyName, COUNT(*) FROM Customer GROUP BY ID, CompanyName",
    )[0];
    assert!(
        row.contains_key("myid") && row.contains_key("expr1"),
        "{row:?}"
    );
    assert!(row.keys().all(|k| k == &k.to_lowercase()));
}

#[test]
fn select_star_lists_the_visible_columns() {
    let db = demo();
    let row = &rows(
        &db,
        "SELECT * FROM customer WHERE isperson = 'F' ORDER BY id",
    )[0];
    for key in [
        "id",
        "entityid",
        "companyname",
        "isinactive",
        "subsidiary",
        "lastmodifieddate",
    ] {
        assert!(row.contains_key(key), "{key} in {row:?}");
    }
    assert!(
        !row.contains_key("toplevelparent"),
        "hidden columns stay hidden"
    );
}

fn account(date_format: &str, tz: chrono_tz::Tz) -> AccountData {
    let opts = SchemaOptions {
        date_format: DateFormat::parse(date_format).expect("format"),
        time_zone: tz,
        ..SchemaOptions::default()
    };
    demo_with(opts)
}

fn create_at(db: &AccountData, name: &str, when: chrono::DateTime<chrono::Utc>) -> i64 {
    let c = NewCustomer {
        company_name: Some(name.into()),
        subsidiary: Some(1),
        ..NewCustomer::default()
    };
    db.apply(Mutation::CreateCustomer(c), when, Mode::Strict)
        .expect("create")
        .id
}

#[test]
fn datetimes_are_date_only_in_the_users_format_and_the_accounts_zone() {
    let us = account("M/D/YYYY", chrono_tz::America::Los_Angeles);
    // 2024-03-05 03:00 UTC is still March 4th in Los Angeles.
    let id = create_at(&us, "Date Co", crate::at(2024, 3, 5, 3, 0, 0));
    let q = format!("SELECT lastmodifieddate, datecreated FROM customer WHERE id = {id}");
    assert_eq!(text(&rows(&us, &q)[0], "lastmodifieddate"), "3/4/2024");
    let iso = account("YYYY-MM-DD", chrono_tz::Europe::Berlin);
    let id = create_at(&iso, "Date Co", at(2024, 3, 5, 3, 0, 0));
    let q = format!("SELECT lastmodifieddate FROM customer WHERE id = {id}");
    assert_eq!(text(&rows(&iso, &q)[0], "lastmodifieddate"), "2024-03-05");
}

#[test]
fn to_char_renders_in_the_accounts_zone_across_a_dst_change() {
    let db = account("M/D/YYYY", chrono_tz::America::Los_Angeles);
    // US DST began 2024-03-10 at 02:00 local (10:00 UTC).
    let before = create_at(&db, "Before", at(2024, 3, 10, 9, 30, 0));
    let after = create_at(&db, "After", at(2024, 3, 10, 10, 30, 0));
    let q = format!(
        "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS t FROM customer WHERE id IN ({before}, {after}) ORDER BY id"
    );
    let got: Vec<String> = rows(&db, &q)
        .iter()
        .map(|r| text(r, "t").to_owned())
        .collect();
    assert_eq!(got, ["2024-03-10 01:30:00", "2024-03-10 03:30:00"]);
}

#[test]
fn to_char_supports_common_format_elements() {
    let db = account("M/D/YYYY", chrono_tz::UTC);
    let id = create_at(&db, "Fmt", at(2024, 1, 7, 15, 4, 5));
    let q = format!("SELECT TO_CHAR(lastmodifieddate, 'DD-MON-YYYY HH12:MI:SS AM \"x\" Day') AS t FROM customer WHERE id = {id}");
    assert_eq!(
        text(&rows(&db, &q)[0], "t"),
        "07-JAN-2024 03:04:05 PM x Sunday   "
    );
}

#[test]
fn to_date_filters_in_the_accounts_zone() {
    let db = account("M/D/YYYY", chrono_tz::America::New_York);
    let id = create_at(&db, "Late", at(2025, 8, 1, 3, 30, 0)); // 2025-07-31 23:30 in New York
    let q = |d: &str| {
        format!("SELECT id FROM customer WHERE id = {id} AND lastmodifieddate >= TO_DATE('{d}', 'YYYY-MM-DD HH24:MI:SS')")
    };
    assert_eq!(rows(&db, &q("2025-07-31 23:00:00")).len(), 1);
    assert_eq!(rows(&db, &q("2025-08-01 00:00:00")).len(), 0);
}

#[test]
fn sysdate_follows_the_emulated_clock() {
    let db = account("YYYY-MM-DD", chrono_tz::UTC);
    db.set_clock(at(2031, 2, 3, 4, 5, 6));
    let row = &rows(
        &db,
        "SELECT TO_CHAR(SYSDATE, 'YYYY-MM-DD HH24:MI:SS') AS now FROM subsidiary WHERE id = 1",
    )[0];
    assert_eq!(text(row, "now"), "2031-02-03 04:05:06");
}
