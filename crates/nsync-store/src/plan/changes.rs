//! Writing a run's change list, per backend: typed arrays on PostgreSQL and a multi-row
//! `VALUES` on SQLite (extracting columns from JSON cost both more than the writes
//! themselves). Changes are numbered by their position, the
//! changes to options first and the rejections after them, so that the run's entries in the
//! field's feed are its first positions (see `feed.rs`); inserting the same list again is a
//! no-op.

use std::collections::HashMap;

use nsync_core::{Change, ChangeKind, StoredOption, UpstreamKey};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, SqliteConnection};

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

/// SQLite: changes bound as a multi-row `VALUES` (binds cost it less than extracting columns
/// from JSON), in chunks under its limit of 32,766 parameters.
const SQLITE_ROWS: usize = 3_000;

/// SQLite: the option ids of run `$1`'s changes the plan did not write (a rejection of a
/// record that has an option), looked up once the list is in; `$2` the field.
const SQLITE_OPTION_IDS: &str =
    "UPDATE run_changes SET option_id = (SELECT o.id FROM options AS o \
       WHERE o.field_id = $2 AND o.upstream_kind = run_changes.upstream_kind \
       AND o.upstream_id = run_changes.upstream_id) \
     WHERE run_id = $1 AND option_id IS NULL";

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
        for part in rows.chunks(SQLITE_ROWS) {
            let statement = format!(
                "INSERT INTO run_changes (run_id, seq, option_id, upstream_kind, upstream_id, kind, \
                   old_value, new_value, reason) VALUES {} ON CONFLICT (run_id, seq) DO NOTHING",
                super::sql::sqlite_rows(part.len(), 9)
            );
            let mut query = sqlx::query(&statement);
            for r in part {
                query = query
                    .bind(run)
                    .bind(r.seq)
                    .bind(r.option)
                    .bind(r.change.upstream.kind.as_str())
                    .bind(r.change.upstream.id.get())
                    .bind(r.change.kind.as_str())
                    .bind(r.change.old_value.as_deref())
                    .bind(r.change.new_value.as_deref())
                    .bind(r.change.reason.as_deref());
            }
            inserted += query.execute(&mut *self).await?.rows_affected();
        }
        if rows.iter().any(|r| r.option.is_none()) {
            sqlx::query(SQLITE_OPTION_IDS)
                .bind(run)
                .bind(field)
                .execute(&mut *self)
                .await?;
        }
        Ok(inserted)
    }
}
