//! Applying a plan: options, mirror, run record, change list and cursor in one transaction.
//!
//! Options travel as bound rows and only those that are new or differ are written (see
//! `options.rs`). Mirror records and changes travel as JSON arrays, a chunk
//! at a time, upserted by one `INSERT ... SELECT` per chunk: the database does the per-row
//! work in C instead of a round trip per row. Every upsert writes only when something
//! differs, so applying the same plan twice writes nothing the second time.

mod changes;
mod options;
mod sql;

use std::collections::HashSet;

use nsync_core::{IntegrationId, Plan, RunStatus, StoredOption, WebhookEvent};
use serde_json::{json, Value};

use crate::audit::{append_audit_in, Audit};
use crate::feed::{FeedOfRun, FEED_OF_RUN, TAKE_NUMBERS};
use crate::row::Cols;
use crate::store::with_pool;
use crate::webhooks::{emit_event_in, run_event_payload};
use crate::{Store, StoreError};

/// Rows per statement: large enough to amortise a round trip, small enough to keep one
/// statement's JSON to a few megabytes.
const CHUNK: usize = 10_000;

/// Options written by one plan beyond which the planner's statistics are refreshed.
const ANALYZE_AFTER: u64 = 10_000;

/// What applying a plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Rows inserted, updated or deleted (0 when the plan was already applied).
    pub rows_written: u64,
    /// The integration's state version once the plan is in (see [`Store::state_version`]).
    pub state_version: i64,
    /// Whether the plan changed the mirror or the options, and so moved the version by one.
    pub state_changed: bool,
    /// The options the plan inserted or updated, as the database wrote them (`RETURNING`),
    /// parents before children: with the options read before, the field's options now.
    pub options: Vec<StoredOption>,
}

impl Store {
    /// Applies `plan` in one transaction: the database ends up with all of it or none of it.
    /// Idempotent: applying the same plan again writes no row and reports 0.
    pub async fn apply_plan(&self, plan: &Plan) -> Result<Applied, StoreError> {
        self.apply(plan, None).await
    }

    /// Applies `plan` as [`Store::apply_plan`] does, as a person's action (confirming a held
    /// update): its audit entry, done to the run, commits with it.
    pub async fn apply_plan_audited(
        &self,
        plan: &Plan,
        audit: &Audit,
    ) -> Result<Applied, StoreError> {
        self.apply(plan, Some(audit)).await
    }

    #[tracing::instrument(skip_all, fields(integration = %plan.integration, run = %plan.run.id, options = plan.options.len()))]
    async fn apply(&self, plan: &Plan, audit: Option<&Audit>) -> Result<Applied, StoreError> {
        check_unique(plan)?;
        let audit = audit.map(|a| a.entry(format!("run {}", plan.run.id)));
        let sql = sql::Statements::for_backend(self.backend());
        let mirror_chunks = mirror_chunks(plan)?;
        let removal_chunks = chunks_of(&plan.mirror_removals, |k| {
            json!([k.kind.as_str(), k.id.get()])
        });
        let feed = FeedOfRun::of(plan);
        let cursor = plan.cursor.as_ref().map(Value::to_string);
        let (integration, field) = (plan.integration.get(), plan.field.get());
        let run = &plan.run;
        let written = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            for setting in sql.session {
                sqlx::query(setting).execute(&mut *tx).await?;
            }
            let owner = sqlx::query(sql.field_owner).bind(field).fetch_optional(&mut *tx).await?;
            let owner = owner.map(|r| Ok::<_, StoreError>((r.opt_int("integration_id")?, r.int("company_id")?))).transpose()?;
            let Some((Some(owner), company)) = owner else {
                return Err(StoreError::InvalidPlan(format!("field {field} is not the integrated field of integration {integration}")));
            };
            if owner != integration {
                return Err(StoreError::InvalidPlan(format!("field {field} is not the integrated field of integration {integration}")));
            }
            let run_row = sqlx::query(sql.run_owner).bind(run.id.get()).fetch_optional(&mut *tx).await?;
            if run_row.map(|r| r.int("integration_id")).transpose()? != Some(integration) {
                return Err(StoreError::InvalidPlan(format!("run {} is not a run of integration {integration}", run.id)));
            }
            let mut state_written = 0u64;
            for chunk in &mirror_chunks {
                state_written += sqlx::query(sql.mirror_upsert).bind(integration).bind(chunk).execute(&mut *tx).await?.rows_affected();
            }
            for chunk in &removal_chunks {
                state_written += sqlx::query(sql.mirror_remove).bind(integration).bind(chunk).execute(&mut *tx).await?.rows_affected();
            }
            let empty: bool = sqlx::query_scalar(FIELD_EMPTY).bind(field).fetch_one(&mut *tx).await?;
            let options = options::write(&mut *tx, plan, empty).await?;
            let options_written = u64::try_from(options.len()).unwrap_or(u64::MAX);
            if let (Some(analyze), true) = (sql.analyze_options, options_written >= ANALYZE_AFTER) {
                sqlx::query(analyze).execute(&mut *tx).await?;
            }
            state_written += options_written;
            // Only a change moves the version: re-applying a plan writes no row at all.
            let version = sqlx::query(if state_written > 0 { STATE_BUMP } else { STATE_VERSION })
                .bind(integration).fetch_one(&mut *tx).await?.int("state_version")?;
            let mut written = state_written;
            // A run's change list is written once, whole: applied again, its plan skips it.
            let listed: bool = sqlx::query_scalar(CHANGES_LISTED).bind(run.id.get()).fetch_one(&mut *tx).await?;
            let changes_written = if listed {
                0
            } else {
                changes::ChangeStore::insert_changes(&mut *tx, run.id.get(), field, &plan.changes, &options).await?
            };
            written += changes_written;
            // The feed's entries, and the event announcing them, on the first apply only: a
            // re-applied plan writes no change row. Numbers are taken last, so the field's row
            // stays locked (see `feed.rs`) for as short a time as can be.
            if changes_written > 0 && feed.entries > 0 {
                let n = i64::try_from(feed.entries).unwrap_or(i64::MAX);
                let last: i64 = sqlx::query_scalar(TAKE_NUMBERS).bind(field).bind(n).fetch_one(&mut *tx).await?;
                written += sqlx::query(FEED_OF_RUN).bind(field).bind(last - n + 1).bind(last).bind(run.id.get())
                    .bind(feed.at_ms).execute(&mut *tx).await?.rows_affected();
                let payload = feed.payload(plan, last - n + 1, last);
                emit_event_in!(&mut *tx, company, WebhookEvent::FieldChanged, &payload, feed.at_ms);
            }

            if run.status == RunStatus::Failed {
                let payload = run_event_payload(WebhookEvent::RunFailed, plan.integration, run.id, run.error.as_deref(), feed.at_ms);
                emit_event_in!(&mut *tx, company, WebhookEvent::RunFailed, &payload, feed.at_ms);
            }
            written += sqlx::query(sql.run_finish)
                .bind(run.id.get()).bind(run.status.as_str()).bind(run.finished_at_ms)
                .bind(i64::from(run.counts.added)).bind(i64::from(run.counts.renamed)).bind(i64::from(run.counts.moved))
                .bind(i64::from(run.counts.deactivated)).bind(i64::from(run.counts.reactivated))
                .bind(i64::from(run.counts.rejected)).bind(i64::from(run.counts.unchanged))
                .bind(i64::from(run.netsuite_requests)).bind(run.error.as_deref())
                .bind(i64::from(run.counts.restored)).bind(i64::from(run.counts.deleted))
                .execute(&mut *tx).await?.rows_affected();
            if let Some(cursor) = &cursor {
                written += sqlx::query(sql.cursor_update).bind(integration).bind(cursor).execute(&mut *tx).await?.rows_affected();
            }
            if let Some(audit) = &audit {
                append_audit_in!(&mut *tx, audit);
            }
            tx.commit().await?;
            (written, version, state_written > 0, options)
        });
        let (written, state_version, state_changed, options) = written;
        tracing::debug!(rows_written = written, state_version, "plan applied");
        Ok(Applied {
            rows_written: written,
            state_version,
            state_changed,
            options,
        })
    }

    /// The integration's state version: it moves forward in the same transaction as every change
    /// to its mirror or to its field's options, so a copy of them read at version `v` is still
    /// exact while this returns `v`.
    pub async fn state_version(&self, integration: IntegrationId) -> Result<i64, StoreError> {
        let version = with_pool!(self, pool => sqlx::query(STATE_VERSION).bind(integration.get())
            .fetch_optional(pool).await?.map(|r| r.int("state_version")).transpose()?);
        version.ok_or(StoreError::NotFound {
            what: "integration",
            id: integration.get(),
        })
    }
}

/// Whether run `$1` has its change list already.
const CHANGES_LISTED: &str = "SELECT EXISTS (SELECT 1 FROM run_changes WHERE run_id = $1)";

/// Whether a field has no options yet: its first import inserts without looking for any.
const FIELD_EMPTY: &str = "SELECT NOT EXISTS (SELECT 1 FROM options WHERE field_id = $1)";
const STATE_VERSION: &str = "SELECT state_version FROM integrations WHERE id = $1";
const STATE_BUMP: &str =
    "UPDATE integrations SET state_version = state_version + 1 WHERE id = $1 RETURNING state_version";
/// The same, for the integration whose field holds option `$1` (none for a manual field).
pub(crate) const STATE_BUMP_OF_OPTION: &str = "UPDATE integrations SET state_version = state_version + 1 \
     WHERE id = (SELECT f.integration_id FROM options o JOIN custom_fields f ON f.id = o.field_id WHERE o.id = $1)";

/// A plan naming the same record twice is ambiguous (which state wins?): refuse it whole.
fn check_unique(plan: &Plan) -> Result<(), StoreError> {
    let mut seen = HashSet::with_capacity(plan.options.len());
    if let Some(dup) = plan.options.iter().find(|o| !seen.insert(o.upstream)) {
        return Err(StoreError::InvalidPlan(format!(
            "{} appears twice among the options",
            dup.upstream
        )));
    }
    let mut seen = HashSet::with_capacity(plan.mirror_upserts.len());
    if let Some(dup) = plan.mirror_upserts.iter().find(|r| !seen.insert(r.key)) {
        return Err(StoreError::InvalidPlan(format!(
            "{} appears twice among the mirror records",
            dup.key
        )));
    }
    Ok(())
}

fn mirror_chunks(plan: &Plan) -> Result<Vec<String>, StoreError> {
    let mut chunks = Vec::new();
    for part in plan.mirror_upserts.chunks(CHUNK) {
        let rows = part
            .iter()
            .map(|r| {
                let record = serde_json::to_string(r).map_err(StoreError::corrupt)?;
                Ok(json!([
                    r.key.kind.as_str(),
                    r.key.id.get(),
                    r.parent.map(|p| p.kind.as_str()),
                    r.parent.map(|p| p.id.get()),
                    r.name.display(),
                    r.deleted,
                    record,
                ]))
            })
            .collect::<Result<Vec<Value>, StoreError>>()?;
        chunks.push(Value::Array(rows).to_string());
    }
    Ok(chunks)
}

fn chunks_of<T>(items: &[T], row: impl Fn(&T) -> Value) -> Vec<String> {
    items
        .chunks(CHUNK)
        .map(|part| Value::Array(part.iter().map(&row).collect()).to_string())
        .collect()
}
