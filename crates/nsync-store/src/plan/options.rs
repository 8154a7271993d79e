//! Writing a plan's options: one statement per chunk of rows, grouped by level so that
//! parents are written before their children.
//!
//! Rows travel as bound values (typed arrays on PostgreSQL, a multi-row `VALUES` on SQLite):
//! extracting columns from JSON cost the database more than the writes themselves. Each
//! statement joins the stored row and lets through only rows that are new or differ, so an
//! unchanged row costs a lookup and no conflict handling (on PostgreSQL, `ON CONFLICT` locks
//! every conflicting row even when its `WHERE` then skips the update). Into a field without
//! options (a first import) rows are inserted without looking for stored ones. A large plan on
//! PostgreSQL first asks which rows differ, by the content hash stored with each row.
//! `postgres.rs` and `sqlite.rs` hold each backend's statements' parameters.

use std::collections::HashMap;

use nsync_core::{
    CustomFieldId, OptionId, OptionUpsert, Plan, RecordId, StoredOption, UpstreamKey, UpstreamKind,
};
use sha2::{Digest, Sha256};

use crate::row::Cols;
use crate::StoreError;

mod postgres;
mod sqlite;

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

fn key(kind: &str, id: i64) -> Result<UpstreamKey, StoreError> {
    Ok(UpstreamKey {
        kind: UpstreamKind::parse(kind).map_err(StoreError::corrupt)?,
        id: RecordId::new(id).map_err(StoreError::corrupt)?,
    })
}
