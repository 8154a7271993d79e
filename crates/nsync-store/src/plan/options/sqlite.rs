//! SQLite: rows as a multi-row `VALUES`, chunks of 1,000 rows.

use std::collections::HashMap;

use nsync_core::{fold_for_search, OptionId, OptionUpsert, StoredOption, UpstreamKey};
use sqlx::SqliteConnection;

use super::{content_hash, key, parent_ids, written_options, OptionStore};
use crate::plan::sql;
use crate::row::Cols;
use crate::StoreError;

/// Rows per statement: 13 parameters each stays under SQLite's limit of 32,766.
const ROWS: usize = 1_000;

impl OptionStore for SqliteConnection {
    const ROWS: usize = ROWS;

    /// A plain multi-row insert: no stored row to compare with, the parents' ids known (see
    /// the PostgreSQL one for why nothing can come between).
    async fn insert_new(
        &mut self,
        field: i64,
        rows: &[&OptionUpsert],
        ids: &HashMap<UpstreamKey, OptionId>,
    ) -> Result<Vec<StoredOption>, StoreError> {
        let parents = parent_ids(rows, ids)?;
        let statement = sql::sqlite_option_insert(rows.len());
        let mut query = sqlx::query(&statement);
        for (o, parent) in rows.iter().zip(parents) {
            query = columns(query.bind(field).bind(parent), o)
                .bind(o.upstream.kind.as_str())
                .bind(o.upstream.id.get())
                .bind(content_hash(o));
        }
        let written = query.fetch_all(&mut *self).await?;
        written_options(&written, rows, field)
    }

    async fn upsert(
        &mut self,
        field: i64,
        rows: &[&OptionUpsert],
    ) -> Result<Vec<StoredOption>, StoreError> {
        let statement = sql::sqlite_option_upsert(rows.len());
        let mut query = sqlx::query(&statement).bind(field);
        for o in rows {
            let query_with_keys = query
                .bind(o.upstream.kind.as_str())
                .bind(o.upstream.id.get())
                .bind(o.parent.map(|p| p.kind.as_str()))
                .bind(o.parent.map(|p| p.id.get()));
            query = columns(query_with_keys, o).bind(content_hash(o));
        }
        match query.fetch_all(&mut *self).await {
            Ok(written) => written_options(&written, rows, field),
            // A missing parent fails the statement on its foreign key (see the statement);
            // SQLite undoes only the statement, so the transaction can still say which.
            Err(err) => match missing_parent_sqlite(self, field, rows).await? {
                Some(parent) => Err(StoreError::MissingParent(parent)),
                None => Err(err.into()),
            },
        }
    }
}

/// The first parent of `rows` that has no option in the field.
async fn missing_parent_sqlite(
    conn: &mut SqliteConnection,
    field: i64,
    rows: &[&OptionUpsert],
) -> Result<Option<UpstreamKey>, StoreError> {
    let parents: Vec<UpstreamKey> = rows.iter().filter_map(|o| o.parent).collect();
    if parents.is_empty() {
        return Ok(None);
    }
    let statement = sql::sqlite_missing_parent(parents.len());
    let mut query = sqlx::query(&statement).bind(field);
    for parent in &parents {
        query = query.bind(parent.kind.as_str()).bind(parent.id.get());
    }
    let row = query.fetch_optional(&mut *conn).await?;
    row.map(|r| key(&r.text("kind")?, r.int("id")?)).transpose()
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds a row's level, name, search key, number, active, reason, removed-here mark and flaw.
fn columns<'q>(query: Query<'q>, o: &'q OptionUpsert) -> Query<'q> {
    query
        .bind(i64::from(o.level))
        .bind(o.name.as_str())
        .bind(fold_for_search(o.name.as_str()))
        .bind(o.number.as_deref())
        .bind(o.state.is_active())
        .bind(o.state.reason().map(|r| r.as_str()))
        .bind(o.removed_here)
        .bind(o.flaw.as_deref())
}
