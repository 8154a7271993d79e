//! Black-box tests of the emulated NetSuite database, through its public API only.

mod churn;
mod generator;
mod mutations;
mod records;
mod stages;
mod subsidiaries;
mod suiteql_encoding;
mod suiteql_errors;
mod suiteql_queries;
mod totality;

use chrono::{DateTime, TimeZone, Utc};
use netsuite_emulator_db::{AccountData, Dataset, SchemaOptions};
use serde_json::{Map, Value};

/// A OneWorld account with Projects, loaded with the demo dataset (seed 7).
pub fn demo() -> AccountData {
    demo_with(SchemaOptions::default())
}

/// Like [`demo`], with other schema options (OneWorld or Projects off).
pub fn demo_with(opts: SchemaOptions) -> AccountData {
    let db = AccountData::new(opts).expect("open");
    db.load(&Dataset::demo(7)).expect("load");
    db
}

/// All rows of a query (up to 1000).
pub fn rows(db: &AccountData, q: &str) -> Vec<Map<String, Value>> {
    db.suiteql(q, &[], 0, 1000)
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .items
}

/// A text column of a row; panics with the row when it is missing.
pub fn text<'a>(row: &'a Map<String, Value>, key: &str) -> &'a str {
    row.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {key} in {row:?}"))
}

/// A UTC instant.
pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid time")
}
