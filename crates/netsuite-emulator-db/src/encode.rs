//! NetSuite's encoding of SuiteQL rows: lowercase keys, every value a string, NULL (and Oracle's
//! empty string, which is NULL) left out, datetimes date-only in the user's format and zone.

use crate::schema::Kind;
use crate::time;
use crate::SchemaOptions;
use rusqlite::types::ValueRef;
use serde_json::{Map, Value};

/// One column of the result: its NetSuite key and how to render it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OutCol {
    pub name: String,
    pub kind: Kind,
}

pub(crate) fn row(
    row: &rusqlite::Row<'_>,
    cols: &[OutCol],
    opts: &SchemaOptions,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (i, col) in cols.iter().enumerate() {
        let Ok(v) = row.get_ref(i) else { continue };
        if let Some(text) = value(v, col.kind, opts) {
            out.insert(col.name.clone(), Value::String(text));
        }
    }
    out
}

fn value(v: ValueRef<'_>, kind: Kind, opts: &SchemaOptions) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(real(f)),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            let s = String::from_utf8_lossy(t);
            if s.is_empty() {
                return None;
            }
            if kind == Kind::DateTime {
                if let Some(at) = time::from_storage(&s) {
                    return Some(
                        opts.date_format
                            .format(at.with_timezone(&opts.time_zone).date_naive()),
                    );
                }
            }
            Some(s.into_owned())
        }
    }
}

/// Whole numbers without a fraction, others as Rust prints them.
fn real(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}
