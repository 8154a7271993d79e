//! Writing a plan's options: only the rows that differ from what is stored.
//!
//! The field's integrated options are read once, a page at a time, and compared here: a plan
//! applied again sends no row at all, and the database does no per-row conflict check for
//! rows that did not change. Parents are resolved to option ids here too (from what was read
//! and from the ids the inserts return), so the statements need no parent join and a missing
//! parent is found before anything of its level is written.

use std::collections::HashMap;

use nsync_core::{fold_for_search, OptionUpsert, Plan, RecordId, UpstreamKey, UpstreamKind};
use sqlx::{PgConnection, SqliteConnection};

use super::sql;
use crate::row::Cols;
use crate::StoreError;

/// Rows read per page of the stored state: bounds the memory of one result set.
const READ_PAGE: i64 = 50_000;
/// Rows written per batch (one PostgreSQL statement): amortises a round trip, bounds memory.
const BATCH_ROWS: usize = 10_000;
/// Rows per SQLite statement: 11 parameters each stays under SQLite's limit of 32,766.
const SQLITE_ROWS: usize = 1_000;

/// What a plan can change of a stored integrated option.
pub(super) struct Stored {
    id: i64,
    parent_id: Option<i64>,
    level: i64,
    name: String,
    number: Option<String>,
    active: bool,
    inactive_reason: Option<String>,
    removed_here: bool,
}

impl Stored {
    fn read(row: &impl Cols) -> Result<(UpstreamKey, Self), StoreError> {
        let key = UpstreamKey {
            kind: UpstreamKind::parse(&row.text("upstream_kind")?).map_err(StoreError::corrupt)?,
            id: RecordId::new(row.int("upstream_id")?).map_err(StoreError::corrupt)?,
        };
        let stored = Self {
            id: row.int("id")?,
            parent_id: row.opt_int("parent_id")?,
            level: row.int("level")?,
            name: row.text("name")?,
            number: row.opt_text("number")?,
            active: row.flag("active")?,
            inactive_reason: row.opt_text("inactive_reason")?,
            removed_here: row.flag("removed_here")?,
        };
        Ok((key, stored))
    }

    /// The same comparison as the upsert's `WHERE ... IS DISTINCT FROM` (the search key is
    /// derived from the name, so it is not compared).
    fn matches(&self, row: &Row<'_>) -> bool {
        let o = row.option;
        self.parent_id == row.parent_id
            && self.level == i64::from(o.level)
            && self.name == o.name.as_str()
            && self.number == o.number
            && self.active == o.state.is_active()
            && self.inactive_reason.as_deref() == o.state.reason().map(|r| r.as_str())
            && self.removed_here == o.removed_here
    }

    fn written(id: i64, row: &Row<'_>) -> Self {
        let o = row.option;
        Self {
            id,
            parent_id: row.parent_id,
            level: i64::from(o.level),
            name: o.name.as_str().to_owned(),
            number: o.number.clone(),
            active: o.state.is_active(),
            inactive_reason: o.state.reason().map(|r| r.as_str().to_owned()),
            removed_here: o.removed_here,
        }
    }
}

/// One option to write, its parent resolved to an option id.
pub(super) struct Row<'a> {
    option: &'a OptionUpsert,
    parent_id: Option<i64>,
}

/// The two things the option writer needs from a backend's connection.
pub(super) trait OptionStore {
    /// One page of the field's integrated options, in upstream key order, after `after`.
    async fn stored_page(
        &mut self,
        field: i64,
        after: (&str, i64),
    ) -> Result<Vec<(UpstreamKey, Stored)>, StoreError>;

    /// Upserts `rows` (each new or changed); returns the key and id of every row written.
    async fn upsert(
        &mut self,
        field: i64,
        rows: &[Row<'_>],
    ) -> Result<Vec<(UpstreamKey, i64)>, StoreError>;
}

/// Writes the plan's options that differ from the stored ones; returns how many were written.
pub(super) async fn write(conn: &mut impl OptionStore, plan: &Plan) -> Result<u64, StoreError> {
    let field = plan.field.get();
    let mut stored = read_stored(conn, field).await?;
    // Shallowest level first, so that every parent is written before its children.
    let mut order: Vec<&OptionUpsert> = plan.options.iter().collect();
    order.sort_by_key(|o| o.level);
    let mut written = 0;
    let mut batch: Vec<Row<'_>> = Vec::new();
    let mut level = None;
    for option in order {
        if level != Some(option.level) {
            // Children look their parents up among what the previous level wrote.
            written += flush(conn, field, &mut batch, &mut stored).await?;
            level = Some(option.level);
        }
        let parent_id = match option.parent {
            None => None,
            Some(parent) => Some(
                stored
                    .get(&parent)
                    .ok_or(StoreError::MissingParent(parent))?
                    .id,
            ),
        };
        let row = Row { option, parent_id };
        if stored
            .get(&option.upstream)
            .is_some_and(|s| s.matches(&row))
        {
            continue;
        }
        batch.push(row);
        if batch.len() == BATCH_ROWS {
            written += flush(conn, field, &mut batch, &mut stored).await?;
        }
    }
    written += flush(conn, field, &mut batch, &mut stored).await?;
    Ok(written)
}

async fn read_stored(
    conn: &mut impl OptionStore,
    field: i64,
) -> Result<HashMap<UpstreamKey, Stored>, StoreError> {
    let mut stored = HashMap::new();
    let mut after = (String::new(), 0);
    loop {
        let page = conn.stored_page(field, (&after.0, after.1)).await?;
        let full = page.len() as i64 == READ_PAGE;
        if let Some((last, _)) = page.last() {
            after = (last.kind.as_str().to_owned(), last.id.get());
        }
        stored.extend(page);
        if !full {
            return Ok(stored);
        }
    }
}

async fn flush<'a>(
    conn: &mut impl OptionStore,
    field: i64,
    batch: &mut Vec<Row<'a>>,
    stored: &mut HashMap<UpstreamKey, Stored>,
) -> Result<u64, StoreError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let ids = conn.upsert(field, batch).await?;
    let written = ids.len() as u64;
    let ids: HashMap<UpstreamKey, i64> = ids.into_iter().collect();
    for row in batch.drain(..) {
        if let Some(&id) = ids.get(&row.option.upstream) {
            stored.insert(row.option.upstream, Stored::written(id, &row));
        }
    }
    Ok(written)
}

fn written_keys(rows: Vec<impl Cols>) -> Result<Vec<(UpstreamKey, i64)>, StoreError> {
    rows.iter()
        .map(|r| {
            let key = UpstreamKey {
                kind: UpstreamKind::parse(&r.text("upstream_kind")?)
                    .map_err(StoreError::corrupt)?,
                id: RecordId::new(r.int("upstream_id")?).map_err(StoreError::corrupt)?,
            };
            Ok((key, r.int("id")?))
        })
        .collect()
}

impl OptionStore for SqliteConnection {
    async fn stored_page(
        &mut self,
        field: i64,
        after: (&str, i64),
    ) -> Result<Vec<(UpstreamKey, Stored)>, StoreError> {
        let rows = sqlx::query(sql::STORED_OPTIONS)
            .bind(field)
            .bind(after.0)
            .bind(after.1)
            .bind(READ_PAGE)
            .fetch_all(&mut *self)
            .await?;
        rows.iter().map(Stored::read).collect()
    }

    /// Multi-row `VALUES` with bound parameters: SQLite has no arrays, and extracting each
    /// column from JSON re-parses the row's text once per column.
    async fn upsert(
        &mut self,
        field: i64,
        rows: &[Row<'_>],
    ) -> Result<Vec<(UpstreamKey, i64)>, StoreError> {
        let mut ids = Vec::with_capacity(rows.len());
        for part in rows.chunks(SQLITE_ROWS) {
            let values = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; part.len()].join(", ");
            let statement = format!(
                "{} VALUES {values} {} RETURNING id, upstream_kind, upstream_id",
                sql::OPTION_INSERT,
                sql::OPTION_CONFLICT
            );
            let mut query = sqlx::query(&statement);
            for row in part {
                let o = row.option;
                query = query
                    .bind(field)
                    .bind(row.parent_id)
                    .bind(i64::from(o.level))
                    .bind(o.name.as_str())
                    .bind(fold_for_search(o.name.as_str()))
                    .bind(o.number.as_deref())
                    .bind(o.state.is_active())
                    .bind(o.state.reason().map(|r| r.as_str()))
                    .bind(o.removed_here)
                    .bind(o.upstream.kind.as_str())
                    .bind(o.upstream.id.get());
            }
            ids.extend(written_keys(query.fetch_all(&mut *self).await?)?);
        }
        Ok(ids)
    }
}

impl OptionStore for PgConnection {
    async fn stored_page(
        &mut self,
        field: i64,
        after: (&str, i64),
    ) -> Result<Vec<(UpstreamKey, Stored)>, StoreError> {
        let rows = sqlx::query(sql::STORED_OPTIONS)
            .bind(field)
            .bind(after.0)
            .bind(after.1)
            .bind(READ_PAGE)
            .fetch_all(&mut *self)
            .await?;
        rows.iter().map(Stored::read).collect()
    }

    /// One typed array per column, `UNNEST`ed: binary arrays cost the server far less than
    /// extracting fields from JSON.
    async fn upsert(
        &mut self,
        field: i64,
        rows: &[Row<'_>],
    ) -> Result<Vec<(UpstreamKey, i64)>, StoreError> {
        let names: Vec<&str> = rows.iter().map(|r| r.option.name.as_str()).collect();
        let search_keys: Vec<String> = names.iter().map(|n| fold_for_search(n)).collect();
        let statement = format!(
            "{} {} {} RETURNING id, upstream_kind, upstream_id",
            sql::OPTION_INSERT,
            sql::POSTGRES_OPTION_ROWS,
            sql::OPTION_CONFLICT
        );
        let result = sqlx::query(&statement)
            .bind(field)
            .bind(rows.iter().map(|r| r.parent_id).collect::<Vec<_>>())
            .bind(
                rows.iter()
                    .map(|r| i64::from(r.option.level))
                    .collect::<Vec<_>>(),
            )
            .bind(&names)
            .bind(&search_keys)
            .bind(
                rows.iter()
                    .map(|r| r.option.number.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|r| r.option.state.is_active())
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|r| r.option.state.reason().map(|r| r.as_str()))
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|r| r.option.removed_here)
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|r| r.option.upstream.kind.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                rows.iter()
                    .map(|r| r.option.upstream.id.get())
                    .collect::<Vec<_>>(),
            )
            .fetch_all(&mut *self)
            .await?;
        written_keys(result)
    }
}
