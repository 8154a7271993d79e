//! Reads every customer or project with the crate `netsuite-rs` 1.1.1, the way its README
//! shows: a pool of 5 connections, `query(..).execute()` and `rows()`, which pages limit/offset
//! with `page_concurrency` pages in flight (here 5, the account's limit) and retries NetSuite's
//! concurrency-limit error (`retry_on_concurrency_limit`). Its TBA signing is unmodified; only
//! the `host` option points it at the emulator.
//!
//! Usage: compare-netsuite-rs customers|projects (ready line of the emulator in
//! $EMULATOR_READY). Prints one JSON object per row on stdout.

use std::io::{BufWriter, Write};

use futures_util::TryStreamExt;
use netsuite_rs::{CellValue, Executor, NetsuiteConnectionOptsBuilder};
use serde_json::{Map, Value};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let kind = std::env::args()
        .nth(1)
        .ok_or("usage: compare-netsuite-rs customers|projects")?;
    let ready: Value = serde_json::from_str(&std::env::var("EMULATOR_READY")?)?;
    let queries: Value = serde_json::from_str(include_str!("../../clients/queries.json"))?;
    let query = queries[kind.as_str()].as_str().ok_or("unknown kind")?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let tba = &ready["tba"];
    let opts = NetsuiteConnectionOptsBuilder::default()
        .account_id(text(&ready["account_id"]))
        .consumer_key(text(&tba["consumer_key"]))
        .consumer_secret(text(&tba["consumer_secret"]))
        .token_id(text(&tba["token_id"]))
        .token_secret(text(&tba["token_secret"]))
        .host(text(&ready["base_url"]))
        .pool_size(5usize)
        .page_size(1000)
        .page_concurrency(5usize)
        .retry_on_concurrency_limit(true)
        .build()?;
    let pool = opts.connect().await?;
    let conn = pool.get().await?;
    let results = conn.query(query).await?.execute().await?;
    let mut rows = results.rows();
    let mut out = BufWriter::new(std::io::stdout().lock());
    while let Some(row) = rows.try_next().await? {
        let mut object = Map::new();
        for column in row.columns() {
            let value = match row.get_by_name(&column.name)?.value {
                CellValue::Text(v) => v.map_or(Value::Null, Value::String),
                CellValue::Number(v) => v.map_or(Value::Null, |n| serde_json::json!(n)),
                CellValue::Boolean(v) => v.map_or(Value::Null, Value::Bool),
                CellValue::Json(v) => v.unwrap_or(Value::Null),
                CellValue::Null => Value::Null,
            };
            object.insert(column.name.clone(), value);
        }
        serde_json::to_writer(&mut out, &object)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
