//! Writing a run's change list, per backend: typed arrays on PostgreSQL (extracting columns
//! from `jsonb` cost it more than the writes themselves), JSON chunks on SQLite (where
//! `json_each` is cheap and binds are not). Changes are numbered by their position, the
//! changes to options first and the rejections after them, so that the run's entries in the
//! field's feed are its first positions (see `feed.rs`); inserting the same list again is a
//! no-op.

use std::collections::HashMap;

use nsync_core::{Change, ChangeKind, StoredOption, UpstreamKey};
use serde_json::{json, Value};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, SqliteConnection};

use super::CHUNK;
use crate::StoreError;

/// A change in its position, with its option's id when the plan just wrote it (otherwise the
/// statement looks it up).
struct Row<'a> {
    seq: i64,
    option: Option<i64>,
    change: &'a Change,
}

fn rows<'a>(changes: &'a [Change], written: &[StoredOption]) -> Vec<Row<'a>> {
    let ids: HashMap<UpstreamKey, i64> = written
        .iter()
        .filter_map(|o| Some((o.upstream?, o.id.get())))
        .collect();
    let (changed, rejected): (Vec<&Change>, Vec<&Change>) =
        changes.iter().partition(|c| c.kind != ChangeKind::Rejected);
    (0..)
        .zip(changed.into_iter().chain(rejected))
        .map(|(seq, change)| Row {
            seq,
            option: ids.get(&change.upstream).copied(),
            change,
        })
        .collect()
}

/// Writing a change list through one backend's connection.
pub(super) trait ChangeStore {
    /// Inserts the run's changes that are not there yet; returns how many were.
    async fn insert_changes(
        &mut self,
        run: i64,
        field: i64,
        changes: &[Change],
        written: &[StoredOption],
    ) -> Result<u64, StoreError>;
}

/// `$1` run, `$2` field, then one array per column.
const POSTGRES_INSERT: &str = "INSERT INTO run_changes (run_id, seq, option_id, upstream_kind, \
       upstream_id, kind, old_value, new_value, reason) \
     SELECT $1, v.seq, coalesce(v.option_id, (SELECT o.id FROM options AS o WHERE o.field_id = $2 \
       AND o.upstream_kind = v.upstream_kind AND o.upstream_id = v.upstream_id)), \
       v.upstream_kind, v.upstream_id, v.kind, v.old_value, v.new_value, v.reason \
     FROM UNNEST($3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::text[], \
       $9::text[], $10::text[]) \
       AS v (seq, option_id, upstream_kind, upstream_id, kind, old_value, new_value, reason) \
     ON CONFLICT (run_id, seq) DO NOTHING";

/// `$1` run, `$2` field, `$3` the chunk: `[seq, kind, id, change kind, old, new, reason,
/// option id]` per row.
const SQLITE_INSERT: &str = "INSERT INTO run_changes (run_id, seq, option_id, upstream_kind, \
       upstream_id, kind, old_value, new_value, reason) \
     SELECT $1, j.value ->> 0, coalesce(j.value ->> 7, (SELECT o.id FROM options AS o \
       WHERE o.field_id = $2 AND o.upstream_kind = j.value ->> 1 AND o.upstream_id = j.value ->> 2)), \
       j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6 \
     FROM json_each($3) AS j WHERE true ON CONFLICT (run_id, seq) DO NOTHING";

fn add<'q, T>(args: &mut PgArguments, value: T) -> Result<(), StoreError>
where
    T: sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + 'q,
{
    args.add(value)
        .map_err(|e| StoreError::from(sqlx::Error::Encode(e)))
}

impl ChangeStore for PgConnection {
    async fn insert_changes(
        &mut self,
        run: i64,
        field: i64,
        changes: &[Change],
        written: &[StoredOption],
    ) -> Result<u64, StoreError> {
        let rows = rows(changes, written);
        let mut inserted = 0;
        for part in rows.chunks(100_000) {
            let mut args = PgArguments::default();
            add(&mut args, run)?;
            add(&mut args, field)?;
            add(&mut args, part.iter().map(|r| r.seq).collect::<Vec<_>>())?;
            add(&mut args, part.iter().map(|r| r.option).collect::<Vec<_>>())?;
            add(
                &mut args,
                part.iter()
                    .map(|r| r.change.upstream.kind.as_str())
                    .collect::<Vec<_>>(),
            )?;
            add(
                &mut args,
                part.iter()
                    .map(|r| r.change.upstream.id.get())
                    .collect::<Vec<_>>(),
            )?;
            add(
                &mut args,
                part.iter()
                    .map(|r| r.change.kind.as_str())
                    .collect::<Vec<_>>(),
            )?;
            for column in [
                |c: &Change| c.old_value.clone(),
                |c: &Change| c.new_value.clone(),
                |c: &Change| c.reason.clone(),
            ] {
                add(
                    &mut args,
                    part.iter().map(|r| column(r.change)).collect::<Vec<_>>(),
                )?;
            }
            inserted += sqlx::query_with(POSTGRES_INSERT, args)
                .execute(&mut *self)
                .await?
                .rows_affected();
        }
        Ok(inserted)
    }
}

impl ChangeStore for SqliteConnection {
    async fn insert_changes(
        &mut self,
        run: i64,
        field: i64,
        changes: &[Change],
        written: &[StoredOption],
    ) -> Result<u64, StoreError> {
        let rows = rows(changes, written);
        let mut inserted = 0;
        for part in rows.chunks(CHUNK) {
            let chunk: Vec<Value> = part
                .iter()
                .map(|r| {
                    json!([
                        r.seq,
                        r.change.upstream.kind.as_str(),
                        r.change.upstream.id.get(),
                        r.change.kind.as_str(),
                        r.change.old_value,
                        r.change.new_value,
                        r.change.reason,
                        r.option,
                    ])
                })
                .collect();
            inserted += sqlx::query(SQLITE_INSERT)
                .bind(run)
                .bind(field)
                .bind(Value::Array(chunk).to_string())
                .execute(&mut *self)
                .await?
                .rows_affected();
        }
        Ok(inserted)
    }
}
