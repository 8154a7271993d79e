//! PostgreSQL: rows as one typed array per column, chunks of up to 100,000 rows.

use std::collections::HashMap;

use nsync_core::{fold_for_search, OptionId, OptionUpsert, StoredOption, UpstreamKey};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection};

use super::{content_hash, key, parent_ids, written_options, OptionStore};
use crate::plan::sql;
use crate::row::Cols;
use crate::StoreError;

/// Rows per statement (one array per column): large, so that a statement's hash joins over
/// the field's options serve many rows, and bounded, for memory.
const ROWS: usize = 100_000;

impl OptionStore for PgConnection {
    const ROWS: usize = ROWS;

    async fn changed<'a>(
        &mut self,
        field: i64,
        rows: &[&'a OptionUpsert],
    ) -> Result<Option<Vec<&'a OptionUpsert>>, StoreError> {
        let mut args = PgArguments::default();
        add(&mut args, field)?;
        keys(&mut args, rows)?;
        add(&mut args, hashes(rows))?;
        let positions: Vec<i64> = sqlx::query_scalar_with(sql::POSTGRES_OPTIONS_CHANGED, args)
            .fetch_all(&mut *self)
            .await?;
        let changed = positions
            .into_iter()
            .filter_map(|p| {
                usize::try_from(p - 1)
                    .ok()
                    .and_then(|i| rows.get(i).copied())
            })
            .collect();
        Ok(Some(changed))
    }

    /// No join and no conflict handling: nothing is stored to compare with, and the parents'
    /// ids are known. Integrated options are written only by plans, one at a time per
    /// integration (the run lock), so nothing can come between; were something to, the unique
    /// index would fail the statement and with it the whole plan.
    async fn insert_new(
        &mut self,
        field: i64,
        rows: &[&OptionUpsert],
        ids: &HashMap<UpstreamKey, OptionId>,
    ) -> Result<Vec<StoredOption>, StoreError> {
        let parents = parent_ids(rows, ids)?;
        let mut args = PgArguments::default();
        add(&mut args, field)?;
        add(&mut args, parents)?;
        columns(&mut args, rows)?;
        keys(&mut args, rows)?;
        add(&mut args, hashes(rows))?;
        let written = sqlx::query_with(sql::POSTGRES_OPTION_INSERT, args)
            .fetch_all(&mut *self)
            .await?;
        written_options(&written, rows, field)
    }

    async fn upsert(
        &mut self,
        field: i64,
        rows: &[&OptionUpsert],
    ) -> Result<Vec<StoredOption>, StoreError> {
        let written = sqlx::query_with(sql::POSTGRES_OPTION_UPSERT, pg_rows(field, rows)?)
            .fetch_all(&mut *self)
            .await?;
        // A missing parent comes back as the only row.
        if let Some(first) = written.first() {
            if let Some(kind) = first.opt_text("missing_kind")? {
                return Err(StoreError::MissingParent(key(
                    &kind,
                    first.int("missing_id")?,
                )?));
            }
        }
        written_options(&written, rows, field)
    }
}

/// The parameters of the PostgreSQL upsert: the field, then one array per column of the rows.
fn pg_rows(field: i64, rows: &[&OptionUpsert]) -> Result<PgArguments, StoreError> {
    let mut args = PgArguments::default();
    add(&mut args, field)?;
    keys(&mut args, rows)?;
    add(
        &mut args,
        rows.iter()
            .map(|o| o.parent.map(|p| p.kind.as_str()))
            .collect::<Vec<_>>(),
    )?;
    add(
        &mut args,
        rows.iter()
            .map(|o| o.parent.map(|p| p.id.get()))
            .collect::<Vec<_>>(),
    )?;
    columns(&mut args, rows)?;
    add(&mut args, hashes(rows))?;
    Ok(args)
}

/// The arrays of the records' kinds and ids.
fn keys(args: &mut PgArguments, rows: &[&OptionUpsert]) -> Result<(), StoreError> {
    add(
        args,
        rows.iter()
            .map(|o| o.upstream.kind.as_str())
            .collect::<Vec<_>>(),
    )?;
    add(
        args,
        rows.iter().map(|o| o.upstream.id.get()).collect::<Vec<_>>(),
    )
}

/// The arrays of level, name, search key, number, active, reason, removed here and flaw.
fn columns(args: &mut PgArguments, rows: &[&OptionUpsert]) -> Result<(), StoreError> {
    let names: Vec<&str> = rows.iter().map(|o| o.name.as_str()).collect();
    add(
        args,
        rows.iter().map(|o| i64::from(o.level)).collect::<Vec<_>>(),
    )?;
    add(args, &names)?;
    add(
        args,
        names.iter().map(|n| fold_for_search(n)).collect::<Vec<_>>(),
    )?;
    add(
        args,
        rows.iter().map(|o| o.number.as_deref()).collect::<Vec<_>>(),
    )?;
    add(
        args,
        rows.iter().map(|o| o.state.is_active()).collect::<Vec<_>>(),
    )?;
    add(
        args,
        rows.iter()
            .map(|o| o.state.reason().map(|r| r.as_str()))
            .collect::<Vec<_>>(),
    )?;
    add(
        args,
        rows.iter().map(|o| o.removed_here).collect::<Vec<_>>(),
    )?;
    add(
        args,
        rows.iter().map(|o| o.flaw.as_deref()).collect::<Vec<_>>(),
    )
}

fn hashes(rows: &[&OptionUpsert]) -> Vec<i64> {
    rows.iter().map(|o| content_hash(o)).collect()
}

fn add<'q, T>(args: &mut PgArguments, value: T) -> Result<(), StoreError>
where
    T: sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + 'q,
{
    args.add(value)
        .map_err(|e| StoreError::from(sqlx::Error::Encode(e)))
}
