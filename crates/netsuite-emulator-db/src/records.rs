//! The REST record layer: list (ids, `q` filter) and get by id (camelCase JSON).

mod qfilter;

use crate::schema::Kind;
use crate::time::from_storage;
use crate::{AccountData, IdPage, RecordError};
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::{json, Map, Value};

/// One field of a record type: REST name, SQLite column, kind.
pub(crate) struct Field {
    pub name: &'static str,
    pub column: &'static str,
    pub kind: Kind,
    pub one_world: bool,
}

const fn f(name: &'static str, column: &'static str, kind: Kind) -> Field {
    Field {
        name,
        column,
        kind,
        one_world: false,
    }
}

const fn ow(name: &'static str, column: &'static str, kind: Kind) -> Field {
    Field {
        name,
        column,
        kind,
        one_world: true,
    }
}

use Kind::{Bool, DateTime, Int, Ref, Text};

const CUSTOMER: &[Field] = &[
    f("id", "id", Int),
    f("entityId", "entityid", Text),
    f("companyName", "companyname", Text),
    f("altName", "altname", Text),
    f("isPerson", "isperson", Bool),
    f("firstName", "firstname", Text),
    f("middleName", "middlename", Text),
    f("lastName", "lastname", Text),
    f("isInactive", "isinactive", Bool),
    f("parent", "parent", Ref("customer")),
    ow("subsidiary", "subsidiary", Ref("subsidiary")),
    f("email", "email", Text),
    f("dateCreated", "datecreated", DateTime),
    f("lastModifiedDate", "lastmodifieddate", DateTime),
];

const JOB: &[Field] = &[
    f("id", "id", Int),
    f("entityId", "entityid", Text),
    f("companyName", "companyname", Text),
    f("altName", "altname", Text),
    f("parent", "parent", Ref("entity")),
    ow("subsidiary", "subsidiary", Ref("subsidiary")),
    f("isInactive", "isinactive", Bool),
    f("dateCreated", "datecreated", DateTime),
    f("lastModifiedDate", "lastmodifieddate", DateTime),
];

const SUBSIDIARY: &[Field] = &[
    f("id", "id", Int),
    f("name", "name", Text),
    f("fullName", "fullname", Text),
    f("parent", "parent", Ref("subsidiary")),
    f("isInactive", "isinactive", Bool),
    f("isElimination", "iselimination", Bool),
    f("country", "country", Text),
    f("lastModifiedDate", "lastmodifieddate", DateTime),
];

const RELATIONSHIP: &[Field] = &[
    f("id", "id", Int),
    f("entity", "entity", Ref("customer")),
    f("subsidiary", "subsidiary", Ref("subsidiary")),
    f("isPrimarySub", "isprimarysub", Bool),
    f("name", "name", Text),
    f("lastModifiedDate", "lastmodifieddate", DateTime),
];

/// The SQLite table and fields of a record type this account has.
fn record_type(
    db: &AccountData,
    record_type: &str,
) -> Result<(&'static str, Vec<&'static Field>), RecordError> {
    let (table, fields): (&str, &[Field]) = match record_type.to_ascii_lowercase().as_str() {
        "customer" => ("customer", CUSTOMER),
        "job" if db.opts.projects_enabled => ("job", JOB),
        "subsidiary" if db.opts.one_world => ("subsidiary", SUBSIDIARY),
        "customersubsidiaryrelationship" if db.opts.one_world => {
            ("customersubsidiaryrelationship", RELATIONSHIP)
        }
        _ => return Err(RecordError::UnknownRecordType(record_type.to_owned())),
    };
    Ok((
        table,
        fields
            .iter()
            .filter(|f| db.opts.one_world || !f.one_world)
            .collect(),
    ))
}

pub(crate) fn list(
    db: &AccountData,
    rt: &str,
    q: Option<&str>,
    offset: usize,
    limit: usize,
) -> Result<IdPage, RecordError> {
    let (table, fields) = record_type(db, rt)?;
    let (cond, values) = match q.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => qfilter::translate(q, &fields, &db.opts)?,
        None => ("1".to_owned(), Vec::new()),
    };
    let sql =
        format!("SELECT id FROM {table} WHERE {cond} ORDER BY id LIMIT {limit} OFFSET {offset}");
    let count_sql = format!("SELECT COUNT(*) FROM {table} WHERE {cond}");
    db.store
        .read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let ids = stmt
                .query_map(rusqlite::params_from_iter(values.iter()), |r| {
                    r.get::<_, i64>(0)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let total: i64 =
                conn.query_row(&count_sql, rusqlite::params_from_iter(values.iter()), |r| {
                    r.get(0)
                })?;
            Ok(IdPage {
                ids,
                total_results: usize::try_from(total).unwrap_or(0),
            })
        })
        .map_err(|e: rusqlite::Error| RecordError::InvalidQuery(e.to_string()))
}

pub(crate) fn get(db: &AccountData, rt: &str, id: i64) -> Result<Value, RecordError> {
    let (table, fields) = record_type(db, rt)?;
    let cols = fields
        .iter()
        .map(|f| f.column)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {cols} FROM {table} WHERE id = ?1");
    let row: Option<Vec<SqlValue>> = db
        .store
        .read(|conn| {
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([id])?;
            match rows.next()? {
                Some(r) => (0..fields.len())
                    .map(|i| r.get::<_, SqlValue>(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                None => Ok(None),
            }
        })
        .map_err(|e: rusqlite::Error| RecordError::InvalidQuery(e.to_string()))?;
    let row = row.ok_or(RecordError::NotFound)?;
    let mut out = Map::new();
    for (field, value) in fields.iter().zip(row) {
        if let Some(v) = render(db, field.kind, value) {
            out.insert(field.name.to_owned(), v);
        }
    }
    Ok(Value::Object(out))
}

/// REST values: JSON booleans, ISO UTC datetimes, references as `{id, refName}`, ids as strings.
fn render(db: &AccountData, kind: Kind, value: SqlValue) -> Option<Value> {
    let text = match &value {
        SqlValue::Null => return None,
        SqlValue::Integer(n) => n.to_string(),
        SqlValue::Real(f) => f.to_string(),
        SqlValue::Text(t) => t.clone(),
        SqlValue::Blob(b) => String::from_utf8_lossy(b).into_owned(),
    };
    Some(match kind {
        Kind::Bool => Value::Bool(text == "T"),
        Kind::DateTime => match from_storage(&text) {
            Some(t) => Value::String(t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            None => Value::String(text),
        },
        Kind::Ref(table) => {
            let mut r = json!({ "id": text });
            if let Some(name) = ref_name(db, table, &value) {
                r["refName"] = Value::String(name);
            }
            r
        }
        _ => Value::String(text),
    })
}

fn ref_name(db: &AccountData, table: &str, id: &SqlValue) -> Option<String> {
    let col = if table == "subsidiary" {
        "name"
    } else {
        "entitytitle"
    };
    let sql = format!("SELECT {col} FROM {table} WHERE id = ?1");
    db.store
        .read(|conn| {
            conn.query_row(&sql, [id], |r| {
                r.get_ref(0).map(|v| match v {
                    ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                    _ => None,
                })
            })
        })
        .ok()
        .flatten()
}
