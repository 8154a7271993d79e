//! SuiteQL: parse, check against the account's schema, translate to SQLite, run one page.
//!
//! [`translate`] is total: any input string yields a plan or a [`SuiteQlError`], never a panic.

mod ast;
mod emit;
mod expr;
mod lexer;
mod parser;
mod scope;

use crate::encode;
use crate::schema::Schema;
use crate::store::Store;
use crate::{QueryPage, SchemaOptions, SuiteQlError};
use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;
use serde_json::Value;
use std::time::{Duration, Instant};

use crate::encode::OutCol;

/// Longest a query may run before it is stopped (NetSuite times out too, much later).
const QUERY_BUDGET: Duration = Duration::from_secs(20);

/// A translated query, ready to run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub sql: String,
    pub columns: Vec<OutCol>,
    pub limited: bool,
    /// Number of `?` placeholders.
    pub params: usize,
}

/// SuiteQL text to a SQLite plan, or NetSuite's error.
pub(crate) fn translate(q: &str, schema: &Schema) -> Result<Plan, SuiteQlError> {
    let toks = lexer::lex(q)?;
    let mut parser = parser::Parser::new(toks);
    let query = parser.parse_statement()?;
    let mut emitter = emit::Emitter::new(schema);
    let out = emitter.query(&query)?;
    Ok(Plan {
        sql: out.sql,
        columns: out.columns,
        limited: out.limited,
        params: parser.params,
    })
}

/// NetSuite sends parameters as JSON values; strings stay text (SQLite's column affinity
/// converts them where they meet numeric columns, as Oracle's implicit conversion would).
fn bind_values(params: &[Value]) -> Vec<SqlValue> {
    params
        .iter()
        .map(|p| match p {
            Value::Null => SqlValue::Null,
            Value::Bool(b) => SqlValue::Text(if *b { "T" } else { "F" }.into()),
            Value::Number(n) => n.as_i64().map_or_else(
                || SqlValue::Real(n.as_f64().unwrap_or(0.0)),
                SqlValue::Integer,
            ),
            Value::String(s) => SqlValue::Text(s.clone()),
            other => SqlValue::Text(other.to_string()),
        })
        .collect()
}

pub(crate) fn run(
    store: &Store,
    opts: &SchemaOptions,
    plan: &Plan,
    params: &[Value],
    offset: usize,
    limit: usize,
) -> Result<QueryPage, SuiteQlError> {
    let values = bind_values(params);
    let page_sql = if plan.limited {
        format!("SELECT * FROM ({}) LIMIT {limit} OFFSET {offset}", plan.sql)
    } else {
        format!("{} LIMIT {limit} OFFSET {offset}", plan.sql)
    };
    store.read(|conn| {
        let deadline = Instant::now() + QUERY_BUDGET;
        conn.progress_handler(10_000, Some(move || Instant::now() > deadline));
        let result = page_and_count(conn, opts, plan, &page_sql, &values, offset, limit);
        conn.progress_handler(0, None::<fn() -> bool>);
        result
    })
}

fn page_and_count(
    conn: &Connection,
    opts: &SchemaOptions,
    plan: &Plan,
    page_sql: &str,
    values: &[SqlValue],
    offset: usize,
    limit: usize,
) -> Result<QueryPage, SuiteQlError> {
    let mut stmt = conn.prepare_cached(page_sql).map_err(runtime)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(values.iter()))
        .map_err(runtime)?;
    let mut items = Vec::new();
    while let Some(row) = rows.next().map_err(runtime)? {
        items.push(encode::row(row, &plan.columns, opts));
    }
    // A short first page is the whole result; otherwise count (cheap with the indexes).
    let total_results = if offset == 0 && items.len() < limit {
        items.len()
    } else {
        let count_sql = format!("SELECT COUNT(*) FROM ({})", plan.sql);
        let mut stmt = conn.prepare_cached(&count_sql).map_err(runtime)?;
        let n: i64 = stmt
            .query_row(rusqlite::params_from_iter(values.iter()), |r| r.get(0))
            .map_err(runtime)?;
        usize::try_from(n).unwrap_or(0)
    };
    Ok(QueryPage {
        items,
        total_results,
    })
}

fn runtime(e: rusqlite::Error) -> SuiteQlError {
    let text = match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            "The query took too long.".to_owned()
        }
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    };
    SuiteQlError::Runtime(text)
}
