//! Options: reads for the picker (children, paths, typeahead search); the edits made by hand
//! are in `options/by_hand.rs`.

use nsync_core::{
    CustomFieldId, InactiveReason, Level, OptionId, OptionName, OptionState, RecordId,
    StoredOption, UpstreamKey, UpstreamKind,
};

use crate::row::{id, opt_id, Cols};
use crate::store::with_pool;
use crate::{Store, StoreError};

mod by_hand;
mod search;

/// Where a page of children ended: the last (name, id) seen. Keyset paging keeps every page
/// as fast as the first, however deep into 20,000 children it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildCursor {
    /// Name of the last option of the previous page.
    pub name: String,
    /// Its id (breaks ties between equal names).
    pub id: OptionId,
}

/// One page of children, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildrenPage {
    /// The options.
    pub options: Vec<StoredOption>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<ChildCursor>,
}

/// One typeahead result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// The option.
    pub id: OptionId,
    /// Its depth.
    pub level: Level,
    /// Its full path, `Customer : Project : Sub-project`.
    pub label: String,
}

pub(crate) const OPTION_COLUMNS: &str =
    "o.id, o.field_id, o.parent_id, o.level, o.name, o.number, \
     o.active, o.inactive_reason, o.removed_here, o.flaw, o.upstream_kind, o.upstream_id, \
     p.upstream_kind AS parent_kind, p.upstream_id AS parent_upstream_id";

/// The separator of a full path label.
pub const PATH_SEPARATOR: &str = " : ";

impl Store {
    /// An option by id, whatever its state (inactive and removed options still resolve).
    pub async fn option(&self, option: OptionId) -> Result<StoredOption, StoreError> {
        let sql = format!("SELECT {OPTION_COLUMNS} FROM options o LEFT JOIN options p ON p.id = o.parent_id WHERE o.id = $1");
        let found = with_pool!(self, pool => {
            sqlx::query(&sql).bind(option.get()).fetch_optional(pool).await?.map(|r| option_from_row(&r)).transpose()?
        });
        found.ok_or(StoreError::OptionNotFound(option))
    }

    /// Every integrated option of a field, whatever its state: the planner's input.
    pub async fn integrated_options(
        &self,
        field: CustomFieldId,
    ) -> Result<Vec<StoredOption>, StoreError> {
        let sql = format!(
            "SELECT {OPTION_COLUMNS} FROM options o LEFT JOIN options p ON p.id = o.parent_id \
             WHERE o.field_id = $1 AND o.upstream_kind IS NOT NULL ORDER BY o.id"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(field.get()).fetch_all(pool).await?;
            rows.iter().map(option_from_row).collect()
        })
    }

    /// One page of the children of `parent` (the top level when `None`), in name order.
    /// `active_only` leaves out inactive and removed options (the picker's view).
    pub async fn children(
        &self,
        field: CustomFieldId,
        parent: Option<OptionId>,
        after: Option<&ChildCursor>,
        limit: u32,
        active_only: bool,
    ) -> Result<ChildrenPage, StoreError> {
        let shown = if active_only {
            Shown::Active
        } else {
            Shown::All
        };
        self.children_in(field, parent, after, limit, shown).await
    }

    /// The field's options in one state at every level, in id order after `after`: the
    /// tree's filter ("everything removed here").
    pub async fn options_in(
        &self,
        field: CustomFieldId,
        shown: Shown,
        after: Option<OptionId>,
        limit: u32,
    ) -> Result<Vec<StoredOption>, StoreError> {
        let state = shown.condition();
        let sql = format!(
            "SELECT {OPTION_COLUMNS} FROM options o LEFT JOIN options p ON p.id = o.parent_id \
             WHERE o.field_id = $1 AND o.id > $2{state} ORDER BY o.id LIMIT $3"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(field.get()).bind(after.map_or(0, OptionId::get))
                .bind(i64::from(limit)).fetch_all(pool).await?;
            rows.iter().map(option_from_row).collect()
        })
    }

    /// [`Store::children`] in one state.
    pub async fn children_in(
        &self,
        field: CustomFieldId,
        parent: Option<OptionId>,
        after: Option<&ChildCursor>,
        limit: u32,
        shown: Shown,
    ) -> Result<ChildrenPage, StoreError> {
        let mut sql = format!("SELECT {OPTION_COLUMNS} FROM options o LEFT JOIN options p ON p.id = o.parent_id WHERE o.field_id = $1");
        sql.push_str(if parent.is_some() {
            " AND o.parent_id = $2"
        } else {
            " AND o.parent_id IS NULL AND $2 IS NULL"
        });
        sql.push_str(shown.condition());
        if after.is_some() {
            // A row value, so that both planners seek the index to the cursor instead of
            // filtering every earlier child.
            sql.push_str(" AND (o.name, o.id) > ($4, $5)");
        }
        sql.push_str(" ORDER BY o.name, o.id LIMIT $3");
        let (after_name, after_id) =
            after.map_or((None, None), |c| (Some(c.name.clone()), Some(c.id.get())));
        let options: Vec<StoredOption> = with_pool!(self, pool => {
            let mut q = sqlx::query(&sql).bind(field.get()).bind(parent.map(OptionId::get)).bind(i64::from(limit));
            if after.is_some() {
                q = q.bind(after_name.clone()).bind(after_id);
            }
            let rows = q.fetch_all(pool).await?;
            rows.iter().map(option_from_row).collect::<Result<_, StoreError>>()?
        });
        let next = (options.len() == limit as usize && limit > 0)
            .then(|| {
                options.last().map(|o| ChildCursor {
                    name: o.name.as_str().to_owned(),
                    id: o.id,
                })
            })
            .flatten();
        Ok(ChildrenPage { options, next })
    }

    /// How many children each of `parents` has (those with none are left out); with
    /// `active_only`, only the active options not removed here count (the picker's view).
    pub async fn child_counts(
        &self,
        field: CustomFieldId,
        parents: &[OptionId],
        active_only: bool,
    ) -> Result<Vec<(OptionId, u64)>, StoreError> {
        let mut found = Vec::new();
        for chunk in parents.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|n| format!("${}", n + 2)).collect();
            let sql = format!(
                "SELECT parent_id, COUNT(*) AS n FROM options WHERE field_id = $1 \
                 AND parent_id IN ({}){} GROUP BY parent_id",
                placeholders.join(", "),
                if active_only {
                    " AND active AND NOT removed_here"
                } else {
                    ""
                }
            );
            let rows: Vec<(i64, i64)> = with_pool!(self, pool => {
                let mut q = sqlx::query(&sql).bind(field.get());
                for parent in chunk {
                    q = q.bind(parent.get());
                }
                let rows = q.fetch_all(pool).await?;
                rows.iter().map(|r| Ok((r.int("parent_id")?, r.int("n")?))).collect::<Result<_, StoreError>>()?
            });
            for (parent, n) in rows {
                found.push((
                    OptionId::new(parent).map_err(StoreError::corrupt)?,
                    u64::try_from(n).map_err(StoreError::corrupt)?,
                ));
            }
        }
        Ok(found)
    }

    /// The field's options counted by level and state, for the totals above the tree.
    pub async fn option_totals(&self, field: CustomFieldId) -> Result<OptionTotals, StoreError> {
        let sql = "SELECT level, active, removed_here, COUNT(*) AS n FROM options \
                   WHERE field_id = $1 GROUP BY level, active, removed_here";
        let rows: Vec<(i64, bool, bool, i64)> = with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(field.get()).fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.int("level")?, r.flag("active")?, r.flag("removed_here")?, r.int("n")?)))
                .collect::<Result<_, StoreError>>()?
        });
        let mut totals = OptionTotals::default();
        for (level, active, removed, n) in rows {
            let n = u64::try_from(n).map_err(StoreError::corrupt)?;
            let at = usize::try_from(level.clamp(1, 3) - 1).unwrap_or(0);
            totals.by_level[at] += n;
            match (removed, active) {
                (true, _) => totals.removed_here += n,
                (false, true) => totals.active += n,
                (false, false) => totals.inactive += n,
            }
        }
        Ok(totals)
    }

    /// The full path of an option, from the top: `Customer : Project : Sub-project`.
    pub async fn path_label(&self, option: OptionId) -> Result<String, StoreError> {
        let labels = self.path_labels(&[option]).await?;
        labels
            .into_iter()
            .next()
            .map(|(_, label)| label)
            .ok_or(StoreError::OptionNotFound(option))
    }

    /// Full path labels of several options at once (one recursive query).
    pub async fn path_labels(
        &self,
        options: &[OptionId],
    ) -> Result<Vec<(OptionId, String)>, StoreError> {
        let paths = self.paths(options).await?;
        Ok(paths
            .into_iter()
            .map(|(id, label, _)| (id, label))
            .collect())
    }

    /// [`Store::path_labels`], each with whether the option can be picked: it and every option
    /// above it active and not removed here (a sub-project under an inactive project cannot).
    pub(crate) async fn paths(
        &self,
        options: &[OptionId],
    ) -> Result<Vec<(OptionId, String, bool)>, StoreError> {
        if options.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=options.len()).map(|i| format!("${i}")).collect();
        // Each step looks a parent up by its id. On PostgreSQL through LATERAL: a plain join
        // lets the planner guess the chain large and hash the whole table at every step
        // (20 ms for a page of search hits over 300,000 options, instead of a fraction of one).
        let step = match self.backend() {
            crate::Backend::Postgres => {
                "FROM chain c CROSS JOIN LATERAL (SELECT o.id, o.parent_id, o.name, o.active, \
                 o.removed_here FROM options o WHERE o.id = c.parent_id) AS o WHERE c.depth < 8"
            }
            crate::Backend::Sqlite => {
                "FROM options o JOIN chain c ON o.id = c.parent_id WHERE c.depth < 8"
            }
        };
        let sql = format!(
            "WITH RECURSIVE chain (start_id, id, parent_id, name, open, depth) AS ( \
               SELECT id, id, parent_id, name, active AND NOT removed_here, CAST(0 AS BIGINT) \
               FROM options WHERE id IN ({}) \
               UNION ALL \
               SELECT c.start_id, o.id, o.parent_id, o.name, o.active AND NOT o.removed_here, \
               c.depth + 1 {step}) \
             SELECT start_id, name, open, depth FROM chain ORDER BY start_id, depth DESC",
            placeholders.join(", ")
        );
        let rows: Vec<(i64, String, bool)> = with_pool!(self, pool => {
            let mut q = sqlx::query(&sql);
            for option in options {
                q = q.bind(option.get());
            }
            let rows = q.fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.int("start_id")?, r.text("name")?, r.flag("open")?))).collect::<Result<_, StoreError>>()?
        });
        let mut labels: Vec<(OptionId, String, bool)> = Vec::with_capacity(options.len());
        for (start, name, open) in rows {
            match labels.last_mut() {
                Some((last, label, all_open)) if last.get() == start => {
                    label.push_str(PATH_SEPARATOR);
                    label.push_str(&name);
                    *all_open &= open;
                }
                _ => labels.push((
                    OptionId::new(start).map_err(StoreError::corrupt)?,
                    name,
                    open,
                )),
            }
        }
        // Back in the caller's order.
        let mut ordered = Vec::with_capacity(labels.len());
        for option in options {
            if let Some(found) = labels.iter().find(|(id, _, _)| id == option) {
                ordered.push(found.clone());
            }
        }
        Ok(ordered)
    }
}

/// Which options a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// Every option.
    All,
    /// Active and not removed here (what a person can pick).
    Active,
    /// Inactive, not removed here.
    Inactive,
    /// Removed here, whatever their state.
    RemovedHere,
}

impl Shown {
    /// The condition on `o`, with its leading `AND`.
    fn condition(self) -> &'static str {
        match self {
            Shown::All => "",
            Shown::Active => " AND o.active AND NOT o.removed_here",
            Shown::Inactive => " AND NOT o.active AND NOT o.removed_here",
            Shown::RemovedHere => " AND o.removed_here",
        }
    }
}

/// A field's options counted for people: by state, and by level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OptionTotals {
    /// Active options (not removed here).
    pub active: u64,
    /// Inactive options (not removed here).
    pub inactive: u64,
    /// Options removed here, whatever their state in NetSuite.
    pub removed_here: u64,
    /// Options at levels 1, 2 and 3.
    pub by_level: [u64; 3],
}

pub(crate) fn option_from_row(row: &impl Cols) -> Result<StoredOption, StoreError> {
    let state = if row.flag("active")? {
        OptionState::Active
    } else {
        let reason = row.opt_text("inactive_reason")?.unwrap_or_default();
        OptionState::Inactive(InactiveReason::parse(&reason).map_err(StoreError::corrupt)?)
    };
    Ok(StoredOption {
        id: id(row, "id")?,
        field: id(row, "field_id")?,
        parent: opt_id(row, "parent_id")?,
        level: Level::new(row.int("level")?).map_err(StoreError::corrupt)?,
        name: OptionName::from_stored(row.text("name")?),
        number: row.opt_text("number")?,
        state,
        removed_here: row.flag("removed_here")?,
        upstream: upstream_key(row.opt_text("upstream_kind")?, row.opt_int("upstream_id")?)?,
        upstream_parent: upstream_key(
            row.opt_text("parent_kind")?,
            row.opt_int("parent_upstream_id")?,
        )?,
        flaw: row.opt_text("flaw")?,
    })
}

fn upstream_key(kind: Option<String>, id: Option<i64>) -> Result<Option<UpstreamKey>, StoreError> {
    match (kind, id) {
        (Some(kind), Some(id)) => Ok(Some(UpstreamKey {
            kind: UpstreamKind::parse(&kind).map_err(StoreError::corrupt)?,
            id: nsync_core::RecordId::new(id).map_err(StoreError::corrupt)?,
        })),
        _ => Ok(None),
    }
}

impl Store {
    /// Which of these upstream records have an option in `field`, and whether it is removed
    /// here: the Import Customers list marks one page without reading every option.
    pub async fn upstream_options(
        &self,
        field: CustomFieldId,
        keys: &[UpstreamKey],
    ) -> Result<Vec<(UpstreamKey, bool)>, StoreError> {
        let mut found = Vec::new();
        // One query per kind and per chunk keeps the placeholder count well under both
        // backends' limits.
        for kind in [UpstreamKind::Customer, UpstreamKind::Project] {
            let ids: Vec<i64> = keys
                .iter()
                .filter(|k| k.kind == kind)
                .map(|k| k.id.get())
                .collect();
            for chunk in ids.chunks(500) {
                let placeholders: Vec<String> =
                    (0..chunk.len()).map(|n| format!("${}", n + 3)).collect();
                let sql = format!(
                    "SELECT upstream_id, removed_here FROM options \
                     WHERE field_id = $1 AND upstream_kind = $2 AND upstream_id IN ({})",
                    placeholders.join(", ")
                );
                let rows: Vec<(i64, bool)> = with_pool!(self, pool => {
                    let mut query = sqlx::query(&sql).bind(field.get()).bind(kind.as_str());
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    query.fetch_all(pool).await?.iter()
                        .map(|r| Ok((r.int("upstream_id")?, r.flag("removed_here")?)))
                        .collect::<Result<_, StoreError>>()?
                });
                for (id, removed) in rows {
                    let id = RecordId::new(id).map_err(StoreError::corrupt)?;
                    found.push((UpstreamKey { kind, id }, removed));
                }
            }
        }
        Ok(found)
    }
}
