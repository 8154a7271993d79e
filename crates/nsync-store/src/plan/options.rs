//! Writing a plan's options: one statement per chunk of rows, grouped by level so that
//! parents are written before their children.
//!
//! Rows travel as bound values (typed arrays on PostgreSQL, a multi-row `VALUES` on SQLite):
//! extracting columns from JSON cost the database more than the writes themselves. Each
//! statement joins the stored row and lets through only rows that are new or differ, so an
//! unchanged row costs a lookup and no conflict handling (on PostgreSQL, `ON CONFLICT` locks
//! every conflicting row even when its `WHERE` then skips the update).

use std::collections::HashMap;

use nsync_core::{
    fold_for_search, CustomFieldId, OptionId, OptionUpsert, Plan, RecordId, StoredOption,
    UpstreamKey, UpstreamKind,
};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, SqliteConnection};

use super::sql;
use crate::row::Cols;
use crate::StoreError;

/// Rows per PostgreSQL statement (one array per column): large, so that a statement's hash
/// joins over the field's options serve many rows, and bounded, for memory.
const POSTGRES_ROWS: usize = 100_000;
/// Rows per SQLite statement: 13 parameters each stays under SQLite's limit of 32,766.
const SQLITE_ROWS: usize = 1_000;

/// Writing one chunk of options, per backend.
pub(super) trait OptionStore {
    /// Rows per call of `upsert`.
    const ROWS: usize;

    /// Upserts the rows that are new or differ; returns them as written. Fails with
    /// `MissingParent`, writing nothing, when a row's parent has no option.
    async fn upsert(
        &mut self,
        field: i64,
        rows: &[&OptionUpsert],
    ) -> Result<Vec<StoredOption>, StoreError>;

    /// The rows that are new or differ, when the backend can tell more cheaply than by
    /// upserting them all; `None` to upsert them all (the default: SQLite's upserts probe the
    /// unique index row by row, and a pre-check would do the same work).
    async fn changed<'a>(
        &mut self,
        _field: i64,
        _rows: &[&'a OptionUpsert],
    ) -> Result<Option<Vec<&'a OptionUpsert>>, StoreError> {
        Ok(None)
    }

    /// Inserts rows into a field that had no options when the plan began, each parent's id
    /// taken from `ids` (the rows written before, parents first). Fails with `MissingParent`
    /// when a parent is not there; the caller's transaction then writes nothing.
    async fn insert_new(
        &mut self,
        field: i64,
        rows: &[&OptionUpsert],
        ids: &HashMap<UpstreamKey, OptionId>,
    ) -> Result<Vec<StoredOption>, StoreError>;
}

/// Plans with fewer options than this are upserted as they are: the pre-check pays off only
/// where the upserts would take several statements.
const PRECHECK_FROM: usize = 20_000;

/// Writes the plan's options; returns the rows inserted or updated, as written. `new`: the
/// field had no options when the plan began (a first import), so every row is new.
pub(super) async fn write<C: OptionStore>(
    conn: &mut C,
    plan: &Plan,
    new: bool,
) -> Result<Vec<StoredOption>, StoreError> {
    let field = plan.field.get();
    let mut order: Vec<&OptionUpsert> = plan.options.iter().collect();
    if !new && order.len() >= PRECHECK_FROM {
        if let Some(changed) = conn.changed(field, &order).await? {
            order = changed;
        }
    }
    order.sort_by_key(|o| o.level);
    let mut written = Vec::new();
    let mut ids = HashMap::new();
    for level in order.chunk_by(|a, b| a.level == b.level) {
        for part in level.chunks(C::ROWS) {
            if new {
                let rows = conn.insert_new(field, part, &ids).await?;
                ids.extend(rows.iter().filter_map(|o| Some((o.upstream?, o.id))));
                written.extend(rows);
            } else {
                written.extend(conn.upsert(field, part).await?);
            }
        }
    }
    Ok(written)
}

/// The written rows as options: the ids the database gave (the option's, its parent's) and the
/// values of the upsert it wrote them from, which it stores as bound.
fn written_options<R: Cols>(
    rows: &[R],
    upserts: &[&OptionUpsert],
    field: i64,
) -> Result<Vec<StoredOption>, StoreError> {
    let field = CustomFieldId::new(field).map_err(StoreError::corrupt)?;
    let by_key: HashMap<UpstreamKey, &OptionUpsert> =
        upserts.iter().map(|o| (o.upstream, *o)).collect();
    rows.iter()
        .map(|row| {
            let upstream = key(&row.text("upstream_kind")?, row.int("upstream_id")?)?;
            let upsert = by_key.get(&upstream).ok_or_else(|| {
                StoreError::corrupt(format!("{upstream} written but not asked for"))
            })?;
            Ok(StoredOption {
                id: OptionId::new(row.int("id")?).map_err(StoreError::corrupt)?,
                field,
                parent: row
                    .opt_int("parent_id")?
                    .map(OptionId::new)
                    .transpose()
                    .map_err(StoreError::corrupt)?,
                level: upsert.level,
                name: upsert.name.clone(),
                number: upsert.number.clone(),
                state: upsert.state,
                removed_here: upsert.removed_here,
                upstream: Some(upstream),
                upstream_parent: upsert.parent,
                flaw: upsert.flaw.clone(),
            })
        })
        .collect()
}

impl OptionStore for PgConnection {
    const ROWS: usize = POSTGRES_ROWS;

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

/// A digest of everything an option row holds but its record's key: its parent's record,
/// level, name, number, state, removed-here mark and flaw. Stored beside the row, it lets a
/// re-applied plan find its unchanged rows by one narrow comparison (see
/// `POSTGRES_OPTIONS_CHANGED`). SHA-256, not a fast hash: names come from NetSuite, and a
/// crafted collision must not let a rename pass as unchanged. Every field is length-prefixed
/// or fixed-size, so two different rows never encode the same.
pub(super) fn content_hash(o: &OptionUpsert) -> i64 {
    fn text(digest: &mut Sha256, value: Option<&str>) {
        match value {
            None => digest.update([0]),
            Some(v) => {
                digest.update([1]);
                digest.update((v.len() as u64).to_le_bytes());
                digest.update(v.as_bytes());
            }
        }
    }
    let mut digest = Sha256::new();
    text(&mut digest, o.parent.map(|p| p.kind.as_str()));
    digest.update(o.parent.map_or(0, |p| p.id.get()).to_le_bytes());
    digest.update([o.level.get()]);
    text(&mut digest, Some(o.name.as_str()));
    text(&mut digest, o.number.as_deref());
    digest.update([u8::from(o.state.is_active())]);
    text(&mut digest, o.state.reason().map(|r| r.as_str()));
    digest.update([u8::from(o.removed_here)]);
    text(&mut digest, o.flaw.as_deref());
    let bytes = digest.finalize();
    i64::from_le_bytes(bytes[..8].try_into().unwrap_or_default())
}

fn add<'q, T>(args: &mut PgArguments, value: T) -> Result<(), StoreError>
where
    T: sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + 'q,
{
    args.add(value)
        .map_err(|e| StoreError::from(sqlx::Error::Encode(e)))
}

/// The parents' ids of rows written into a field that had no options, from the rows written
/// before them; `MissingParent` for the first parent that is not among them.
fn parent_ids(
    rows: &[&OptionUpsert],
    ids: &HashMap<UpstreamKey, OptionId>,
) -> Result<Vec<Option<i64>>, StoreError> {
    rows.iter()
        .map(|o| match o.parent {
            None => Ok(None),
            Some(key) => ids
                .get(&key)
                .map(|id| Some(id.get()))
                .ok_or(StoreError::MissingParent(key)),
        })
        .collect()
}

impl OptionStore for SqliteConnection {
    const ROWS: usize = SQLITE_ROWS;

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
            query = query
                .bind(field)
                .bind(parent)
                .bind(i64::from(o.level))
                .bind(o.name.as_str())
                .bind(fold_for_search(o.name.as_str()))
                .bind(o.number.as_deref())
                .bind(o.state.is_active())
                .bind(o.state.reason().map(|r| r.as_str()))
                .bind(o.removed_here)
                .bind(o.flaw.as_deref())
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
            query = query
                .bind(o.upstream.kind.as_str())
                .bind(o.upstream.id.get())
                .bind(o.parent.map(|p| p.kind.as_str()))
                .bind(o.parent.map(|p| p.id.get()))
                .bind(i64::from(o.level))
                .bind(o.name.as_str())
                .bind(fold_for_search(o.name.as_str()))
                .bind(o.number.as_deref())
                .bind(o.state.is_active())
                .bind(o.state.reason().map(|r| r.as_str()))
                .bind(o.removed_here)
                .bind(o.flaw.as_deref())
                .bind(content_hash(o));
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

fn key(kind: &str, id: i64) -> Result<UpstreamKey, StoreError> {
    Ok(UpstreamKey {
        kind: UpstreamKind::parse(kind).map_err(StoreError::corrupt)?,
        id: RecordId::new(id).map_err(StoreError::corrupt)?,
    })
}
