//! The writes an administrator makes to options by hand: adding, renaming and deactivating
//! options of a manual field (the rules refuse them on an integrated one), and removing an
//! option here or restoring it. Each is audited in its own transaction.

use nsync_core::{
    fold_for_search, rules, ChangeKind, CustomFieldId, InactiveReason, Level, OptionId, OptionName,
};

use crate::audit::{append_audit_in, Audit};
use crate::feed::{append_feed_in, ActionChange};
use crate::plan::STATE_BUMP_OF_OPTION;
use crate::row::Cols;
use crate::store::with_pool;
use crate::{Store, StoreError};

impl Store {
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
            let added = ActionChange::new(OptionId::new(id).map_err(StoreError::corrupt)?, ChangeKind::Added)
                .values(None, Some(name.as_str().to_owned()));
            append_feed_in!(&mut *tx, field, &[added], &audit);
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
            if current.name != *name {
                let renamed = ActionChange::new(option, ChangeKind::Renamed)
                    .values(Some(current.name.as_str().to_owned()), Some(name.as_str().to_owned()));
                append_feed_in!(&mut *tx, current.field, &[renamed], audit);
            }
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
            if current.state.is_active() != active {
                let kind = if active { ChangeKind::Reactivated } else { ChangeKind::Deactivated };
                append_feed_in!(&mut *tx, current.field, &[ActionChange::new(option, kind)], audit);
            }
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
                   UPDATE options SET removed_here = $2, content_hash = NULL WHERE id IN (SELECT id FROM sub) AND NOT removed_here \
                   RETURNING id";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let marked: Vec<i64> = sqlx::query_scalar(sql).bind(option.get()).bind(true).fetch_all(&mut *tx).await?;
            let done = marked.len() as u64;
            if done > 0 {
                sqlx::query(STATE_BUMP_OF_OPTION).bind(option.get()).execute(&mut *tx).await?;
            }
            let changes = action_changes(marked, ChangeKind::RemovedHere)?;
            append_feed_in!(&mut *tx, current.field, &changes, audit);
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
        let current = self.option(option).await?;
        let below = "WITH RECURSIVE sub (id) AS (SELECT id FROM options WHERE id = $1 \
                     UNION ALL SELECT o.id FROM options o JOIN sub ON o.parent_id = sub.id) \
                     UPDATE options SET removed_here = $2, content_hash = NULL WHERE id IN (SELECT id FROM sub) AND removed_here \
                     RETURNING id";
        let above = "WITH RECURSIVE up (id, parent_id) AS (SELECT id, parent_id FROM options WHERE id = $1 \
                     UNION ALL SELECT o.id, o.parent_id FROM options o JOIN up ON o.id = up.parent_id) \
                     UPDATE options SET removed_here = $2, content_hash = NULL WHERE id IN (SELECT id FROM up) AND removed_here \
                     RETURNING id";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut marked: Vec<i64> = sqlx::query_scalar(above).bind(option.get()).bind(false).fetch_all(&mut *tx).await?;
            marked.extend(sqlx::query_scalar::<_, i64>(below).bind(option.get()).bind(false).fetch_all(&mut *tx).await?);
            let done = marked.len() as u64;
            if done > 0 {
                sqlx::query(STATE_BUMP_OF_OPTION).bind(option.get()).execute(&mut *tx).await?;
            }
            let changes = action_changes(marked, ChangeKind::Restored)?;
            append_feed_in!(&mut *tx, current.field, &changes, audit);
            append_audit_in!(&mut *tx, &audit.clone().with("marked", done).entry(format!("option {option}")));
            tx.commit().await?;
            done
        });
        Ok(done)
    }
}

/// One entry per option an action marked, parents first (ids grow down the tree, mostly; the
/// order within one action is the order of the ids).
fn action_changes(mut ids: Vec<i64>, kind: ChangeKind) -> Result<Vec<ActionChange>, StoreError> {
    ids.sort_unstable();
    ids.into_iter()
        .map(|id| {
            Ok(ActionChange::new(
                OptionId::new(id).map_err(StoreError::corrupt)?,
                kind,
            ))
        })
        .collect()
}
