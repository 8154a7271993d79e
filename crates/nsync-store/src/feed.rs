//! The change feed of a field: every change to its options, numbered per field in the order
//! the changes committed, written in the transaction of the change itself.
//!
//! Numbers come from the field's row (`custom_fields.feed_seq`), taken by an `UPDATE` just
//! before the entries are written. On PostgreSQL the update locks the row until commit, so a
//! second writer to the same field waits, and takes its numbers only after the first has
//! committed or rolled back: numbers are handed out in commit order, and a rollback gives its
//! numbers back. No gaps, no reordering, however many processes write. SQLite has one writer
//! at a time anyway.

use std::collections::HashMap;

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
    /// The option's full path as it is now: `Customer : Project`.
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

/// A run's entries `$2` to `$3`: its row, standing for its change list (`$4` run, `$5` time).
pub(crate) const FEED_OF_RUN: &str =
    "INSERT INTO field_changes (field_id, seq, last_seq, kind, run_id, at_ms) \
     VALUES ($1, $2, $3, 'run', $4, $5)";

/// One entry of an action by hand, for option `$3`: `$1` field, `$2` number, `$4` kind,
/// `$5` old value, `$6` new value, `$7` action, `$8` actor, `$9` time.
pub(crate) const FEED_OF_ACTION: &str =
    "INSERT INTO field_changes (field_id, seq, last_seq, option_id, upstream_kind, upstream_id, \
       kind, old_value, new_value, action, actor_user_id, at_ms) \
     SELECT $1, $2, $2, o.id, o.upstream_kind, o.upstream_id, $4, $5, $6, $7, $8, $9 \
     FROM options AS o WHERE o.id = $3";

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
                let written = sqlx::query($crate::feed::FEED_OF_ACTION)
                    .bind(field.get())
                    .bind(i)
                    .bind(change.option.get())
                    .bind(change.kind.as_str())
                    .bind(&change.old_value)
                    .bind(&change.new_value)
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

/// The full path of option `o` from its ancestors `a1` (parent) to `a4` (levels go to 5).
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

/// The feed's rows from the one holding entry `$2 + 1` on, at most `$3`, with an action's
/// option: `$label` and `$parent` name the columns that say its path (see [`Paths`]).
macro_rules! rows {
    ($label:expr, $parent:expr, $joins:expr) => {
        concat!(
            "SELECT f.seq, f.last_seq, f.option_id, f.upstream_kind, f.upstream_id, f.kind, \
               f.old_value, f.new_value, f.reason, f.run_id, f.action, f.actor_user_id, f.at_ms, ",
            $label, " AS option_name, ", $parent, " AS option_parent \
             FROM field_changes AS f LEFT JOIN options AS o ON o.id = f.option_id", $joins,
            " WHERE f.field_id = $1 AND f.seq >= coalesce((SELECT CASE WHEN s.last_seq > $2 THEN s.seq END \
                 FROM field_changes AS s WHERE s.field_id = $1 AND s.seq <= $2 ORDER BY s.seq DESC LIMIT 1), $2 + 1) \
             ORDER BY f.seq LIMIT $3"
        )
    };
}
/// Changes `$2` to `$3` of run `$1`'s list, with their options (as in [`rows!`]).
macro_rules! run_entries {
    ($label:expr, $parent:expr, $joins:expr) => {
        concat!(
            "SELECT rc.seq, rc.option_id, rc.upstream_kind, rc.upstream_id, rc.kind, \
               rc.old_value, rc.new_value, rc.reason, ",
            $label,
            " AS option_name, ",
            $parent,
            " AS option_parent \
             FROM run_changes AS rc LEFT JOIN options AS o ON o.id = rc.option_id",
            $joins,
            " WHERE rc.run_id = $1 AND rc.seq >= $2 AND rc.seq <= $3 ORDER BY rc.seq"
        )
    };
}

/// How a page's paths are found, per backend, as measured (`bench/store.sh`): SQLite follows
/// the parents by rowid in the query itself, four joins a row being cheapest there; PostgreSQL
/// answers each option's name and parent, and the page's ancestors are then read a level at a
/// time, one query each, which costs it less than four nested-loop probes a row.
struct Paths {
    rows: &'static str,
    run_entries: &'static str,
    /// Options `$1` (a JSON array of ids), for PostgreSQL's levels.
    parents: &'static str,
}

const SQLITE_PATHS: Paths = Paths {
    rows: rows!(path_label!(), "NULL", ancestors!()),
    run_entries: run_entries!(path_label!(), "NULL", ancestors!()),
    parents:
        "SELECT id, parent_id, name FROM options WHERE id IN (SELECT value FROM json_each($1))",
};

const POSTGRES_PATHS: Paths = Paths {
    rows: rows!("o.name", "o.parent_id", ""),
    run_entries: run_entries!("o.name", "o.parent_id", ""),
    parents: "SELECT id, parent_id, name FROM options \
         WHERE id IN (SELECT (jsonb_array_elements_text($1::jsonb))::bigint)",
};
/// The rows that are no more than pruned entries.
const PRUNED: &str = "last_seq <= (SELECT feed_pruned_through FROM custom_fields \
     WHERE custom_fields.id = field_changes.field_id)";
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
        let limit_rows = i64::from(limit);
        let (begin, paths) = match self.backend() {
            crate::Backend::Sqlite => ("BEGIN", SQLITE_PATHS),
            crate::Backend::Postgres => (
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                POSTGRES_PATHS,
            ),
        };
        let (position, changes) = with_pool!(self, pool => {
            let mut tx = pool.begin_with(begin).await?;
            let row = sqlx::query(POSITION).bind(field.get()).fetch_optional(&mut *tx).await?.ok_or(not_found)?;
            let position = position_from_row(&row)?;
            if after < position.pruned_through {
                return Err(StoreError::FeedPruned { field, after, pruned_through: position.pruned_through });
            }
            let rows = sqlx::query(paths.rows).bind(field.get()).bind(after).bind(limit_rows).fetch_all(&mut *tx).await?;
            let mut changes: Vec<(FieldChange, Option<i64>)> = Vec::new();
            for row in rows {
                let row = Row::read(&row)?;
                let room = limit_rows - changes.len() as i64;
                if room <= 0 {
                    break;
                }
                match row.entry {
                    Some(entry) => changes.push(entry),
                    None => {
                        let (Some(run), first) = (row.run, row.first) else {
                            return Err(StoreError::Corrupt(format!("feed row {} names no run", row.first)));
                        };
                        let lo = (after + 1).max(first);
                        let hi = row.last.min(lo + room - 1);
                        let entries = sqlx::query(paths.run_entries).bind(run.get()).bind(lo - first).bind(hi - first)
                            .fetch_all(&mut *tx).await?;
                        if entries.len() as i64 != hi - lo + 1 {
                            return Err(StoreError::Corrupt(format!("run {run} lists {} of its feed entries {lo} to {hi}", entries.len())));
                        }
                        for entry in &entries {
                            let seq = first + entry.int("seq")?;
                            changes.push(change_from_row(entry, seq, ChangeCause::Run(run), row.at_ms)?);
                        }
                    }
                }
            }
            // PostgreSQL's paths: each level of ancestors of the page's options in one query.
            let mut known: HashMap<i64, (Option<i64>, String)> = HashMap::new();
            let mut wanted: Vec<i64> = changes.iter().filter_map(|(_, parent)| *parent).collect();
            for _ in 0..usize::from(nsync_core::Level::MAX) {
                wanted.sort_unstable();
                wanted.dedup();
                wanted.retain(|id| !known.contains_key(id));
                if wanted.is_empty() {
                    break;
                }
                let ids = serde_json::to_string(&wanted).map_err(StoreError::corrupt)?;
                let found = sqlx::query(paths.parents).bind(ids).fetch_all(&mut *tx).await?;
                wanted.clear();
                for row in &found {
                    let parent = row.opt_int("parent_id")?;
                    wanted.extend(parent);
                    known.insert(row.int("id")?, (parent, row.text("name")?));
                }
            }
            tx.commit().await?;
            let changes = changes.into_iter().map(|(change, parent)| complete_label(change, parent, &known)).collect();
            (position, changes)
        });
        Ok(FeedPage { changes, position })
    }

    /// Drops every field's entries written before `before_ms` (and everything numbered before
    /// them, so that what is left has no holes). Returns how many entries went.
    pub async fn prune_field_changes(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mark = "UPDATE custom_fields SET feed_pruned_through = (SELECT max(last_seq) FROM field_changes \
               WHERE field_id = custom_fields.id AND at_ms < $1) \
             WHERE EXISTS (SELECT 1 FROM field_changes WHERE field_id = custom_fields.id AND at_ms < $1)";
        let removed = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            sqlx::query(mark).bind(before_ms).execute(&mut *tx).await?;
            let removed: i64 = sqlx::query_scalar(&format!("SELECT CAST(coalesce(sum(last_seq - seq + 1), 0) AS BIGINT) FROM field_changes WHERE {PRUNED}"))
                .fetch_one(&mut *tx).await?;
            sqlx::query(&format!("DELETE FROM field_changes WHERE {PRUNED}")).execute(&mut *tx).await?;
            tx.commit().await?;
            removed
        });
        Ok(u64::try_from(removed).unwrap_or_default())
    }
}

fn position_from_row(row: &impl Cols) -> Result<FeedPosition, StoreError> {
    Ok(FeedPosition {
        last: row.int("feed_seq")?,
        pruned_through: row.int("feed_pruned_through")?,
    })
}

/// A row of `field_changes`: one entry of an action, or a run's range of entries.
struct Row {
    first: i64,
    last: i64,
    run: Option<RunId>,
    at_ms: i64,
    /// The entry and its option's parent, for an action's row.
    entry: Option<(FieldChange, Option<i64>)>,
}

impl Row {
    fn read(row: &impl Cols) -> Result<Self, StoreError> {
        let (first, at_ms) = (row.int("seq")?, row.int("at_ms")?);
        let run = opt_id::<RunId>(row, "run_id")?;
        let entry = match run {
            Some(_) => None,
            None => {
                let cause = ChangeCause::Action {
                    action: row.opt_text("action")?.unwrap_or_default(),
                    actor: opt_id(row, "actor_user_id")?,
                };
                Some(change_from_row(row, first, cause, at_ms)?)
            }
        };
        Ok(Self {
            first,
            last: row.int("last_seq")?,
            run,
            at_ms,
            entry,
        })
    }
}

/// An entry as read, labelled with its option's own name, and that option's parent.
fn change_from_row(
    row: &impl Cols,
    seq: i64,
    cause: ChangeCause,
    at_ms: i64,
) -> Result<(FieldChange, Option<i64>), StoreError> {
    let upstream = match (row.opt_text("upstream_kind")?, row.opt_int("upstream_id")?) {
        (Some(kind), Some(id)) => Some(UpstreamKey {
            kind: UpstreamKind::parse(&kind).map_err(StoreError::corrupt)?,
            id: RecordId::new(id).map_err(StoreError::corrupt)?,
        }),
        _ => None,
    };
    let change = FieldChange {
        seq,
        option: opt_id(row, "option_id")?,
        upstream,
        kind: ChangeKind::parse(&row.text("kind")?).map_err(StoreError::corrupt)?,
        label: row.opt_text("option_name")?.unwrap_or_default(),
        old_value: row.opt_text("old_value")?,
        new_value: row.opt_text("new_value")?,
        reason: row.opt_text("reason")?,
        cause,
        at_ms,
    };
    Ok((change, row.opt_int("option_parent")?))
}

/// The entry's label, its option's name, with its ancestors' names in front.
fn complete_label(
    mut change: FieldChange,
    mut parent: Option<i64>,
    known: &HashMap<i64, (Option<i64>, String)>,
) -> FieldChange {
    let mut names = Vec::new();
    while let Some((above, name)) = parent.and_then(|p| known.get(&p)) {
        names.push(name.as_str());
        parent = *above;
        if names.len() >= usize::from(nsync_core::Level::MAX) {
            break;
        }
    }
    if !names.is_empty() {
        names.reverse();
        names.push(&change.label);
        change.label = names.join(crate::PATH_SEPARATOR);
    }
    change
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
