//! The change feed of a field: every change to its options, numbered per field in the order
//! the changes committed, written in the transaction of the change itself.
//!
//! Numbers come from the field's row (`custom_fields.feed_seq`), taken by an `UPDATE` just
//! before the entries are written. On PostgreSQL the update locks the row until commit, so a
//! second writer to the same field waits, and takes its numbers only after the first has
//! committed or rolled back: numbers are handed out in commit order, and a rollback gives its
//! numbers back. No gaps, no reordering, however many processes write. SQLite has one writer
//! at a time anyway.

use nsync_core::{
    ChangeKind, CustomFieldId, OptionId, RecordId, RunId, UpstreamKey, UpstreamKind, UserId,
};

use crate::row::{opt_id, Cols};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// One entry of a field's change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// Its number in the field's feed: 1, 2, 3, ... without gaps.
    pub seq: i64,
    /// The option changed.
    pub option: Option<OptionId>,
    /// The NetSuite record behind it, for an integrated option.
    pub upstream: Option<UpstreamKey>,
    /// What happened.
    pub kind: ChangeKind,
    /// The option's full path when the change was made: `Customer : Project`.
    pub label: String,
    /// The value before, where it makes sense (old name, old parent, old number).
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
    /// Why, in plain words (a deactivation's reason).
    pub reason: Option<String>,
    /// What caused it.
    pub cause: ChangeCause,
    /// When it was written, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// What caused a change: a run, or an administrator's action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeCause {
    /// A run (import, update, confirmation of a held update).
    Run(RunId),
    /// An action by hand, as its audit entry names it (`remove_option`), with who did it.
    Action {
        /// The action.
        action: String,
        /// The user, when a person did it.
        actor: Option<UserId>,
    },
}

/// Where a field's feed stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedPosition {
    /// The number of the last entry written (0 before the first).
    pub last: i64,
    /// Entries up to this number were pruned.
    pub pruned_through: i64,
}

/// A page of a field's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// Entries after the one asked for, in order.
    pub changes: Vec<FieldChange>,
    /// Where the feed stood when the page was read.
    pub position: FeedPosition,
}

/// Takes `$2` numbers of field `$1`'s feed; returns the last one taken.
pub(crate) const TAKE_NUMBERS: &str =
    "UPDATE custom_fields SET feed_seq = feed_seq + $2 WHERE id = $1 RETURNING feed_seq";

/// The full path of option `o` from its ancestors `a1` (parent) to `a4`, written once for the
/// inserts of both backends (levels go to 5, so four ancestors at most).
macro_rules! path_label {
    () => {
        "coalesce(a4.name || ' : ', '') || coalesce(a3.name || ' : ', '') || \
         coalesce(a2.name || ' : ', '') || coalesce(a1.name || ' : ', '') || o.name"
    };
}
macro_rules! ancestors {
    () => {
        " LEFT JOIN options AS a1 ON a1.id = o.parent_id LEFT JOIN options AS a2 ON a2.id = a1.parent_id \
          LEFT JOIN options AS a3 ON a3.id = a2.parent_id LEFT JOIN options AS a4 ON a4.id = a3.parent_id"
    };
}

/// A run's entries, from its change list as just written (`run_changes`), rejections left
/// out: `$1` field, `$2` the number before the first, `$3` run, `$4` time.
pub(crate) const FEED_FROM_RUN: &str = concat!(
    "INSERT INTO field_changes (field_id, seq, option_id, upstream_kind, upstream_id, kind, \
       label, old_value, new_value, reason, run_id, action, actor_user_id, at_ms) \
     SELECT $1, $2 + row_number() OVER (ORDER BY rc.seq), rc.option_id, rc.upstream_kind, \
       rc.upstream_id, rc.kind, coalesce(",
    path_label!(),
    ", ''), rc.old_value, rc.new_value, rc.reason, $3, NULL, NULL, $4 \
     FROM run_changes AS rc LEFT JOIN options AS o ON o.id = rc.option_id",
    ancestors!(),
    " WHERE rc.run_id = $3 AND rc.kind <> 'rejected' ORDER BY rc.seq"
);

/// One entry of an action by hand, for option `$3`: `$1` field, `$2` number, `$4` kind,
/// `$5` old value, `$6` new value, `$7` reason, `$8` action, `$9` actor, `$10` time.
pub(crate) const FEED_FROM_ACTION: &str = concat!(
    "INSERT INTO field_changes (field_id, seq, option_id, upstream_kind, upstream_id, kind, \
       label, old_value, new_value, reason, run_id, action, actor_user_id, at_ms) \
     SELECT $1, $2, o.id, o.upstream_kind, o.upstream_id, $4, ",
    path_label!(),
    ", $5, $6, $7, NULL, $8, $9, $10 FROM options AS o",
    ancestors!(),
    " WHERE o.id = $3"
);

/// An entry an action by hand is about to write.
#[derive(Debug, Clone)]
pub(crate) struct ActionChange {
    pub option: OptionId,
    pub kind: ChangeKind,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// Appends the entries of an action by hand through `$conn` (a transaction, inside
/// `with_pool!`), numbered after what the field has, and queues the `field.changed` event that
/// announces them: `$field` (`CustomFieldId`), `$changes` (`&[ActionChange]`), `$audit`
/// (`&Audit`). Writes nothing when there are no changes.
macro_rules! append_feed_in {
    ($conn:expr, $field:expr, $changes:expr, $audit:expr) => {{
        let changes: &[$crate::feed::ActionChange] = $changes;
        let audit: &$crate::audit::Audit = $audit;
        let field: nsync_core::CustomFieldId = $field;
        if !changes.is_empty() {
            let n = i64::try_from(changes.len()).unwrap_or(i64::MAX);
            let last: i64 = sqlx::query_scalar($crate::feed::TAKE_NUMBERS)
                .bind(field.get())
                .bind(n)
                .fetch_one($conn)
                .await?;
            let first = last - n + 1;
            for (i, change) in (first..).zip(changes) {
                let written = sqlx::query($crate::feed::FEED_FROM_ACTION)
                    .bind(field.get())
                    .bind(i)
                    .bind(change.option.get())
                    .bind(change.kind.as_str())
                    .bind(&change.old_value)
                    .bind(&change.new_value)
                    .bind(None::<String>)
                    .bind(audit.action)
                    .bind(audit.actor.map(nsync_core::UserId::get))
                    .bind(audit.at_ms)
                    .execute($conn)
                    .await?
                    .rows_affected();
                if written != 1 {
                    return Err($crate::StoreError::OptionNotFound(change.option));
                }
            }
            let payload = $crate::feed::action_payload(field, first, last, changes, audit);
            $crate::webhooks::emit_event_in!(
                $conn,
                audit.company.get(),
                nsync_core::WebhookEvent::FieldChanged,
                &payload,
                audit.at_ms
            );
        }
    }};
}
pub(crate) use append_feed_in;

const FEED_PAGE: &str = "SELECT seq, option_id, upstream_kind, upstream_id, kind, label, \
     old_value, new_value, reason, run_id, action, actor_user_id, at_ms FROM field_changes \
     WHERE field_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
const POSITION: &str = "SELECT feed_seq, feed_pruned_through FROM custom_fields WHERE id = $1";

impl Store {
    /// Where a field's feed stands.
    pub async fn feed_position(&self, field: CustomFieldId) -> Result<FeedPosition, StoreError> {
        let not_found = StoreError::NotFound {
            what: "custom field",
            id: field.get(),
        };
        with_pool!(self, pool => {
            let row = sqlx::query(POSITION).bind(field.get()).fetch_optional(pool).await?.ok_or(not_found)?;
            position_from_row(&row)
        })
    }

    /// The entries of a field's feed after number `after` (0 for the beginning), at most
    /// `limit`, in order. `FeedPruned` when entries after `after` were pruned: the reader
    /// missed them and must start again from the options as they are.
    pub async fn field_changes(
        &self,
        field: CustomFieldId,
        after: i64,
        limit: u32,
    ) -> Result<FeedPage, StoreError> {
        let not_found = StoreError::NotFound {
            what: "custom field",
            id: field.get(),
        };
        // One read transaction on SQLite, a consistent snapshot on PostgreSQL: the position and
        // the entries agree (the prune cannot slip between them).
        let (position, rows) = with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if matches!(self.backend(), crate::Backend::Postgres) {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
            }
            let row = sqlx::query(POSITION).bind(field.get()).fetch_optional(&mut *tx).await?.ok_or(not_found)?;
            let position = position_from_row(&row)?;
            if after < position.pruned_through {
                return Err(StoreError::FeedPruned { field, after, pruned_through: position.pruned_through });
            }
            let rows = sqlx::query(FEED_PAGE).bind(field.get()).bind(after).bind(i64::from(limit))
                .fetch_all(&mut *tx).await?;
            let rows = rows.iter().map(change_from_row).collect::<Result<Vec<_>, _>>()?;
            tx.commit().await?;
            (position, rows)
        });
        Ok(FeedPage {
            changes: rows,
            position,
        })
    }

    /// Drops every field's entries written before `before_ms` (and everything numbered before
    /// them, so that what is left has no holes). Returns how many entries went.
    pub async fn prune_field_changes(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mark = "UPDATE custom_fields SET feed_pruned_through = (SELECT max(seq) FROM field_changes \
               WHERE field_id = custom_fields.id AND at_ms < $1) \
             WHERE EXISTS (SELECT 1 FROM field_changes WHERE field_id = custom_fields.id AND at_ms < $1)";
        let delete = "DELETE FROM field_changes WHERE seq <= (SELECT feed_pruned_through \
             FROM custom_fields WHERE custom_fields.id = field_changes.field_id)";
        let removed = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            sqlx::query(mark).bind(before_ms).execute(&mut *tx).await?;
            let removed = sqlx::query(delete).execute(&mut *tx).await?.rows_affected();
            tx.commit().await?;
            removed
        });
        Ok(removed)
    }
}

fn position_from_row(row: &impl Cols) -> Result<FeedPosition, StoreError> {
    Ok(FeedPosition {
        last: row.int("feed_seq")?,
        pruned_through: row.int("feed_pruned_through")?,
    })
}

fn change_from_row(row: &impl Cols) -> Result<FieldChange, StoreError> {
    let upstream = match (row.opt_text("upstream_kind")?, row.opt_int("upstream_id")?) {
        (Some(kind), Some(id)) => Some(UpstreamKey {
            kind: UpstreamKind::parse(&kind).map_err(StoreError::corrupt)?,
            id: RecordId::new(id).map_err(StoreError::corrupt)?,
        }),
        _ => None,
    };
    let cause = match opt_id::<RunId>(row, "run_id")? {
        Some(run) => ChangeCause::Run(run),
        None => ChangeCause::Action {
            action: row.opt_text("action")?.unwrap_or_default(),
            actor: opt_id(row, "actor_user_id")?,
        },
    };
    Ok(FieldChange {
        seq: row.int("seq")?,
        option: opt_id(row, "option_id")?,
        upstream,
        kind: ChangeKind::parse(&row.text("kind")?).map_err(StoreError::corrupt)?,
        label: row.text("label")?,
        old_value: row.opt_text("old_value")?,
        new_value: row.opt_text("new_value")?,
        reason: row.opt_text("reason")?,
        cause,
        at_ms: row.int("at_ms")?,
    })
}

/// What a run puts in its field's feed: one entry per change but rejections.
pub(crate) struct FeedOfRun {
    /// How many entries.
    pub entries: u64,
    /// When they are written.
    pub at_ms: i64,
    /// How many of each kind, for the event that announces them.
    counts: std::collections::BTreeMap<&'static str, u64>,
}

impl FeedOfRun {
    pub(crate) fn of(plan: &nsync_core::Plan) -> Self {
        let mut counts = std::collections::BTreeMap::new();
        for change in &plan.changes {
            if change.kind != ChangeKind::Rejected {
                *counts.entry(change.kind.as_str()).or_insert(0) += 1;
            }
        }
        Self {
            entries: counts.values().sum(),
            at_ms: plan.run.finished_at_ms,
            counts,
        }
    }

    /// The `field.changed` event of entries `first..=last`.
    pub(crate) fn payload(&self, plan: &nsync_core::Plan, first: i64, last: i64) -> String {
        crate::webhooks::field_changed_payload(
            plan.field,
            first,
            last,
            &self.counts,
            serde_json::json!({ "run_id": plan.run.id.get(), "integration_id": plan.integration.get() }),
            self.at_ms,
        )
    }
}

impl ActionChange {
    pub(crate) fn new(option: OptionId, kind: ChangeKind) -> Self {
        Self {
            option,
            kind,
            old_value: None,
            new_value: None,
        }
    }

    pub(crate) fn values(mut self, old: Option<String>, new: Option<String>) -> Self {
        self.old_value = old;
        self.new_value = new;
        self
    }
}

/// The `field.changed` event of an action by hand.
pub(crate) fn action_payload(
    field: CustomFieldId,
    first: i64,
    last: i64,
    changes: &[ActionChange],
    audit: &crate::Audit,
) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for change in changes {
        *counts.entry(change.kind.as_str()).or_insert(0) += 1;
    }
    let cause = serde_json::json!({
        "action": audit.action,
        "actor_user_id": audit.actor.map(UserId::get),
    });
    crate::webhooks::field_changed_payload(field, first, last, &counts, cause, audit.at_ms)
}
