//! Options: reads for the picker (children, paths, typeahead search) and manual edits.

use nsync_core::{
    fold_for_search, rules, CustomFieldId, InactiveReason, Level, OptionId, OptionName,
    OptionState, RecordId, StoredOption, UpstreamKey, UpstreamKind,
};

use crate::audit::{append_audit_in, Audit};
use crate::plan::STATE_BUMP_OF_OPTION;
use crate::row::{id, opt_id, Cols};
use crate::store::{with_pool, Pool};
use crate::{Store, StoreError};

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

/// The share of the options table's pages a PostgreSQL search scans before it turns to the
/// trigram index: about a millisecond's worth at 300,000 options.
const SEARCH_SAMPLE_PERCENT: f32 = 2.0;

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
        let mut sql = format!("SELECT {OPTION_COLUMNS} FROM options o LEFT JOIN options p ON p.id = o.parent_id WHERE o.field_id = $1");
        sql.push_str(if parent.is_some() {
            " AND o.parent_id = $2"
        } else {
            " AND o.parent_id IS NULL AND $2 IS NULL"
        });
        if active_only {
            sql.push_str(" AND o.active AND NOT o.removed_here");
        }
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
        if options.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=options.len()).map(|i| format!("${i}")).collect();
        // Each step looks a parent up by its id. On PostgreSQL through LATERAL: a plain join
        // lets the planner guess the chain large and hash the whole table at every step
        // (20 ms for a page of search hits over 300,000 options, instead of a fraction of one).
        let step = match self.backend() {
            crate::Backend::Postgres => {
                "FROM chain c CROSS JOIN LATERAL (SELECT o.id, o.parent_id, o.name FROM options o \
                 WHERE o.id = c.parent_id) AS o WHERE c.depth < 8"
            }
            crate::Backend::Sqlite => {
                "FROM options o JOIN chain c ON o.id = c.parent_id WHERE c.depth < 8"
            }
        };
        let sql = format!(
            "WITH RECURSIVE chain (start_id, id, parent_id, name, depth) AS ( \
               SELECT id, id, parent_id, name, CAST(0 AS BIGINT) FROM options WHERE id IN ({}) \
               UNION ALL \
               SELECT c.start_id, o.id, o.parent_id, o.name, c.depth + 1 {step}) \
             SELECT start_id, name, depth FROM chain ORDER BY start_id, depth DESC",
            placeholders.join(", ")
        );
        let rows: Vec<(i64, String)> = with_pool!(self, pool => {
            let mut q = sqlx::query(&sql);
            for option in options {
                q = q.bind(option.get());
            }
            let rows = q.fetch_all(pool).await?;
            rows.iter().map(|r| Ok((r.int("start_id")?, r.text("name")?))).collect::<Result<_, StoreError>>()?
        });
        let mut labels: Vec<(OptionId, String)> = Vec::with_capacity(options.len());
        for (start, name) in rows {
            match labels.last_mut() {
                Some((last, label)) if last.get() == start => {
                    label.push_str(PATH_SEPARATOR);
                    label.push_str(&name);
                }
                _ => labels.push((OptionId::new(start).map_err(StoreError::corrupt)?, name)),
            }
        }
        // Back in the caller's order.
        let mut ordered = Vec::with_capacity(labels.len());
        for option in options {
            if let Some(found) = labels.iter().find(|(id, _)| id == option) {
                ordered.push(found.clone());
            }
        }
        Ok(ordered)
    }
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

/// An FTS5 phrase matching `text` literally.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Escapes LIKE wildcards so user text matches literally (backslash is the escape).
fn like_pattern(folded: &str) -> String {
    let mut pattern = String::with_capacity(folded.len() + 2);
    pattern.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Typeahead: active options of a field whose name contains `query`, ignoring case and
    /// accents; at most `limit`, ordered by full path label.
    pub async fn search(
        &self,
        field: CustomFieldId,
        query: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        // No option name holds a control character (names are checked on the way in), and a
        // NUL breaks both backends' queries (FTS5 cuts the phrase short, PostgreSQL refuses the
        // text): such a query matches nothing.
        let query = query.trim();
        if query.chars().any(char::is_control) {
            return Ok(Vec::new());
        }
        let folded = fold_for_search(query);
        if folded.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // A trigram phrase needs three characters; see the SQLite migration for shorter ones.
        let long = folded.chars().count() >= 3;
        let found: Vec<(i64, i64)> = match &self.pool {
            Pool::Sqlite(pool) => {
                let expr = if long {
                    fts_phrase(&folded)
                } else {
                    // Shorter than a trigram: match any indexed trigram it begins.
                    let terms: Vec<String> = sqlx::query_scalar(
                        "SELECT term FROM options_fts_terms WHERE term >= $1 AND term < $2",
                    )
                    .bind(&folded)
                    .bind(format!("{folded}{}", char::MAX))
                    .fetch_all(pool)
                    .await?;
                    if terms.is_empty() {
                        return Ok(Vec::new());
                    }
                    terms
                        .iter()
                        .map(|t| fts_phrase(t))
                        .collect::<Vec<_>>()
                        .join(" OR ")
                };
                // CROSS JOIN keeps the trigram index as the outer loop: otherwise SQLite may
                // walk the field's options and run the MATCH once per option.
                let sql = "SELECT o.id, o.level FROM options_fts f CROSS JOIN options o ON o.id = f.rowid \
                           WHERE options_fts MATCH $2 AND o.field_id = $1 AND o.active AND NOT o.removed_here LIMIT $3";
                let rows = sqlx::query(sql)
                    .bind(field.get())
                    .bind(expr)
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.int("id")?, r.int("level")?)))
                    .collect::<Result<_, StoreError>>()?
            }
            Pool::Postgres(pool) => {
                // A common substring is found at once in a fixed sample of the table's pages
                // (the same sample every time, so the answer does not flicker); the trigram
                // index would first collect every row that holds its trigrams (tens of
                // milliseconds for a trigram in thousands of names). Only a substring too rare
                // for the sample goes to the index. Either way: matching options, in no set order.
                macro_rules! matching {
                    () => {
                        " WHERE field_id = $1 AND active AND NOT removed_here AND search_key LIKE $2 LIMIT $3"
                    };
                }
                let head = concat!(
                    "SELECT id, level FROM options TABLESAMPLE SYSTEM ($4) REPEATABLE (0)",
                    matching!()
                );
                let indexed = concat!("SELECT id, level FROM options", matching!());
                let pattern = like_pattern(&folded);
                let mut rows = sqlx::query(head)
                    .bind(field.get())
                    .bind(&pattern)
                    .bind(i64::from(limit))
                    .bind(SEARCH_SAMPLE_PERCENT)
                    .fetch_all(pool)
                    .await?;
                if rows.len() < limit as usize {
                    rows = sqlx::query(indexed)
                        .bind(field.get())
                        .bind(&pattern)
                        .bind(i64::from(limit))
                        .fetch_all(pool)
                        .await?;
                }
                rows.iter()
                    .map(|r| Ok((r.int("id")?, r.int("level")?)))
                    .collect::<Result<_, StoreError>>()?
            }
        };
        let ids: Vec<OptionId> = found
            .iter()
            .map(|(id, _)| OptionId::new(*id))
            .collect::<Result<_, _>>()
            .map_err(StoreError::corrupt)?;
        let labels = self.path_labels(&ids).await?;
        let mut hits: Vec<SearchHit> = labels
            .into_iter()
            .zip(found)
            .map(|((id, label), (_, level))| {
                Ok(SearchHit {
                    id,
                    label,
                    level: Level::new(level).map_err(StoreError::corrupt)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        hits.sort_by(|a, b| a.label.cmp(&b.label).then(a.id.cmp(&b.id)));
        Ok(hits)
    }

    /// Adds an option by hand to a manual field (refused on an integrated one), audited.
    pub async fn add_manual_option(
        &self,
        field: CustomFieldId,
        parent: Option<OptionId>,
        name: &OptionName,
        audit: &Audit,
    ) -> Result<OptionId, StoreError> {
        rules::add_by_hand(self.field(field).await?.kind, name)?;
        let level = match parent {
            None => Level::TOP,
            Some(parent) => {
                let parent = self.option(parent).await?;
                if parent.field != field {
                    return Err(StoreError::InvalidPlan(format!(
                        "option {} belongs to another field",
                        parent.id
                    )));
                }
                parent
                    .level
                    .child()
                    .ok_or(nsync_core::Error::InvalidLevel(i64::from(Level::MAX) + 1))?
            }
        };
        let sql = "INSERT INTO options (field_id, parent_id, level, name, search_key, active, removed_here) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let audit = audit.clone().with("field", field.get());
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let id = sqlx::query(sql).bind(field.get()).bind(parent.map(OptionId::get))
                .bind(i64::from(level)).bind(name.as_str()).bind(fold_for_search(name.as_str()))
                .bind(true).bind(false).fetch_one(&mut *tx).await?.int("id")?;
            append_audit_in!(&mut *tx, &audit.entry(format!("option {id}")));
            tx.commit().await?;
            id
        });
        OptionId::new(id).map_err(StoreError::corrupt)
    }

    /// Renames an option of a manual field (refused on an integrated one), audited.
    pub async fn rename_option(
        &self,
        option: OptionId,
        name: &OptionName,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let current = self.option(option).await?;
        rules::rename_by_hand(self.field(current.field).await?.kind, &current.name, name)?;
        let sql =
            "UPDATE options SET name = $2, search_key = $3, content_hash = NULL WHERE id = $1";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            sqlx::query(sql).bind(option.get()).bind(name.as_str())
                .bind(fold_for_search(name.as_str())).execute(&mut *tx).await?;
            append_audit_in!(&mut *tx, &audit.entry(format!("option {option}")));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Deactivates or reactivates an option of a manual field (refused on an integrated one),
    /// audited.
    pub async fn set_option_active(
        &self,
        option: OptionId,
        active: bool,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let current = self.option(option).await?;
        rules::set_active_by_hand(self.field(current.field).await?.kind, &current.name, active)?;
        let reason = (!active).then_some(InactiveReason::DeactivatedHere.as_str());
        let sql = "UPDATE options SET active = $2, inactive_reason = $3, content_hash = NULL WHERE id = $1";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            sqlx::query(sql).bind(option.get()).bind(active).bind(reason).execute(&mut *tx).await?;
            append_audit_in!(&mut *tx, &audit.entry(format!("option {option}")));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes an option here, with everything below it: marked removed, never deleted, and
    /// NetSuite is not touched. Importing the record again restores the same option.
    /// Returns how many options were marked. Audited, with that count.
    pub async fn remove_option_here(
        &self,
        option: OptionId,
        audit: &Audit,
    ) -> Result<u64, StoreError> {
        let current = self.option(option).await?;
        rules::remove_here(self.field(current.field).await?.kind)?;
        let sql = "WITH RECURSIVE sub (id) AS (SELECT id FROM options WHERE id = $1 \
                   UNION ALL SELECT o.id FROM options o JOIN sub ON o.parent_id = sub.id) \
                   UPDATE options SET removed_here = $2, content_hash = NULL WHERE id IN (SELECT id FROM sub) AND NOT removed_here";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(sql).bind(option.get()).bind(true).execute(&mut *tx).await?.rows_affected();
            if done > 0 {
                sqlx::query(STATE_BUMP_OF_OPTION).bind(option.get()).execute(&mut *tx).await?;
            }
            append_audit_in!(&mut *tx, &audit.clone().with("marked", done).entry(format!("option {option}")));
            tx.commit().await?;
            done
        });
        Ok(done)
    }

    /// Brings back an option removed here, with everything below it and every ancestor (an
    /// option cannot come back under a removed parent). Returns how many options were marked.
    /// Audited, with that count.
    pub async fn restore_option_here(
        &self,
        option: OptionId,
        audit: &Audit,
    ) -> Result<u64, StoreError> {
        self.option(option).await?;
        let below = "WITH RECURSIVE sub (id) AS (SELECT id FROM options WHERE id = $1 \
                     UNION ALL SELECT o.id FROM options o JOIN sub ON o.parent_id = sub.id) \
                     UPDATE options SET removed_here = $2, content_hash = NULL WHERE id IN (SELECT id FROM sub) AND removed_here";
        let above = "WITH RECURSIVE up (id, parent_id) AS (SELECT id, parent_id FROM options WHERE id = $1 \
                     UNION ALL SELECT o.id, o.parent_id FROM options o JOIN up ON o.id = up.parent_id) \
                     UPDATE options SET removed_here = $2, content_hash = NULL WHERE id IN (SELECT id FROM up) AND removed_here";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let a = sqlx::query(below).bind(option.get()).bind(false).execute(&mut *tx).await?.rows_affected();
            let b = sqlx::query(above).bind(option.get()).bind(false).execute(&mut *tx).await?.rows_affected();
            if a + b > 0 {
                sqlx::query(STATE_BUMP_OF_OPTION).bind(option.get()).execute(&mut *tx).await?;
            }
            append_audit_in!(&mut *tx, &audit.clone().with("marked", a + b).entry(format!("option {option}")));
            tx.commit().await?;
            a + b
        });
        Ok(done)
    }

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
