//! Runs and their change lists.

use nsync_core::{
    Change, ChangeKind, IntegrationId, JobId, Plan, RecordId, Run, RunCounts, RunId, RunKind,
    RunProgress, RunStatus, RunTrigger, UpstreamKey, UpstreamKind, WebhookEvent,
};

use crate::audit::{append_audit_in, Audit};
use crate::row::{id, opt_id, Cols};
use crate::store::with_pool;
use crate::webhooks::announce_run_in;
use crate::{RunLock, Store, StoreError};

const RUN_COLUMNS: &str = "id, integration_id, kind, triggered_by, status, started_at_ms, finished_at_ms, \
     added, renamed, moved, deactivated, reactivated, rejected, unchanged, netsuite_requests, error, \
     progress, restored, deleted";

impl Store {
    /// Records the start of a run (status running), with its audit entry when a person started
    /// it. Call it while holding the integration's [`RunLock`], so at most one run per
    /// integration is ever running.
    pub async fn start_run(
        &self,
        lock: &RunLock,
        kind: RunKind,
        trigger: RunTrigger,
        job: Option<JobId>,
        now_ms: i64,
        audit: Option<&Audit>,
    ) -> Result<RunId, StoreError> {
        let sql =
            "INSERT INTO runs (integration_id, kind, triggered_by, status, started_at_ms, job_id) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let id = sqlx::query(sql).bind(lock.integration().get()).bind(kind.as_str())
                .bind(trigger.as_str()).bind(RunStatus::Running.as_str()).bind(now_ms)
                .bind(job.map(JobId::get)).fetch_one(&mut *tx).await?.int("id")?;
            if let Some(audit) = audit {
                append_audit_in!(&mut *tx, &audit.entry(format!("run {id}")));
            }
            tx.commit().await?;
            id
        });
        RunId::new(id).map_err(StoreError::corrupt)
    }

    /// The run that did a job's work (succeeded, or stopped for a confirmation), if one did.
    pub async fn run_of_job(&self, job: JobId) -> Result<Option<Run>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE job_id = $1 AND status IN ($2, $3) ORDER BY id DESC LIMIT 1"
        );
        with_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(job.get()).bind(RunStatus::Succeeded.as_str())
                .bind(RunStatus::NeedsConfirmation.as_str()).fetch_optional(pool).await?;
            row.map(|r| run_from_row(&r)).transpose()
        })
    }

    /// Marks as failed every run of the locked integration still marked running: holding the
    /// lock proves their process is gone (it died mid-run; its transaction never committed).
    pub async fn fail_interrupted_runs(
        &self,
        lock: &RunLock,
        now_ms: i64,
    ) -> Result<Vec<RunId>, StoreError> {
        let sql = "UPDATE runs SET status = $2, finished_at_ms = $3, error = $4, progress = NULL \
                   WHERE integration_id = $1 AND status = $5 RETURNING id";
        let message = "the run was interrupted (the process stopped before it finished); nothing of it was applied";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let rows = sqlx::query(sql).bind(lock.integration().get()).bind(RunStatus::Failed.as_str())
                .bind(now_ms).bind(message).bind(RunStatus::Running.as_str()).fetch_all(&mut *tx).await?;
            let runs = rows.iter().map(|r| id(r, "id")).collect::<Result<Vec<RunId>, StoreError>>()?;
            for run in &runs {
                announce_run_in!(&mut *tx, *run, WebhookEvent::RunFailed, Some(message), now_ms);
            }
            tx.commit().await?;
            Ok(runs)
        })
    }

    /// Marks as failed every run still marked running whose owner is gone, in every
    /// integration: a run is recorded only under its integration's [`RunLock`], so a lock this
    /// call can take proves no live process is running that integration (the lock dies with its
    /// process: a PostgreSQL session, or this process's memory on SQLite). Integrations whose
    /// lock is held are left alone. Serve and worker call it at start and then periodically, so
    /// a crash does not leave a run "running" until the integration's next run.
    pub async fn interrupt_orphaned_runs(&self, now_ms: i64) -> Result<Vec<RunId>, StoreError> {
        let sql = "SELECT DISTINCT integration_id FROM runs WHERE status = $1";
        let integrations: Vec<IntegrationId> = with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(RunStatus::Running.as_str()).fetch_all(pool).await?;
            rows.iter().map(|r| id(r, "integration_id")).collect::<Result<_, StoreError>>()?
        });
        let mut interrupted = Vec::new();
        for integration in integrations {
            let lock = match self.lock_integration(integration).await {
                Ok(lock) => lock,
                Err(StoreError::Busy { .. }) => continue,
                Err(err) => return Err(err),
            };
            let failed = self.fail_interrupted_runs(&lock, now_ms).await;
            lock.release().await?;
            interrupted.extend(failed?);
        }
        Ok(interrupted)
    }

    /// The run of this integration currently marked running, if any.
    pub async fn running_run(
        &self,
        integration: IntegrationId,
    ) -> Result<Option<RunId>, StoreError> {
        let sql = "SELECT id FROM runs WHERE integration_id = $1 AND status = $2 ORDER BY id DESC LIMIT 1";
        with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(integration.get()).bind(RunStatus::Running.as_str()).fetch_optional(pool).await?;
            row.map(|r| id(&r, "id")).transpose()
        })
    }

    /// Ends a run as failed, with its plain-language error and the NetSuite requests it made;
    /// nothing else of it is written (no option, no mirror record, no change, no cursor).
    pub async fn fail_run(
        &self,
        run: RunId,
        netsuite_requests: u32,
        error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE runs SET status = $2, finished_at_ms = $3, added = 0, renamed = 0, \
                   moved = 0, deactivated = 0, reactivated = 0, rejected = 0, unchanged = 0, \
                   restored = 0, deleted = 0, netsuite_requests = $4, error = $5, pending_plan = NULL, progress = NULL WHERE id = $1";
        let updated = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let updated = sqlx::query(sql).bind(run.get()).bind(RunStatus::Failed.as_str())
                .bind(now_ms).bind(i64::from(netsuite_requests)).bind(error).execute(&mut *tx).await?.rows_affected();
            if updated > 0 {
                announce_run_in!(&mut *tx, run, WebhookEvent::RunFailed, Some(error), now_ms);
            }
            tx.commit().await?;
            updated
        });
        if updated == 0 {
            return Err(StoreError::NotFound {
                what: "run",
                id: run.get(),
            });
        }
        Ok(())
    }

    /// The newest run of the integration after `run` that succeeded, if one did: a plan that
    /// `run` holds for confirmation is stale then (it was planned against an older state).
    pub async fn newer_succeeded_run(
        &self,
        integration: IntegrationId,
        run: RunId,
    ) -> Result<Option<RunId>, StoreError> {
        let sql =
            "SELECT max(id) AS id FROM runs WHERE integration_id = $1 AND id > $2 AND status = $3";
        with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(integration.get()).bind(run.get())
                .bind(RunStatus::Succeeded.as_str()).fetch_one(pool).await?;
            opt_id(&row, "id")
        })
    }

    /// A run by id.
    pub async fn run(&self, run: RunId) -> Result<Run, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1");
        let not_found = StoreError::NotFound {
            what: "run",
            id: run.get(),
        };
        with_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(run.get()).fetch_optional(pool).await?.ok_or(not_found)?;
            run_from_row(&row)
        })
    }

    /// Runs of an integration, newest first; pass the last id seen as `before` for the next page.
    pub async fn runs(
        &self,
        integration: IntegrationId,
        before: Option<RunId>,
        limit: u32,
    ) -> Result<Vec<Run>, StoreError> {
        let sql = format!("SELECT {RUN_COLUMNS} FROM runs WHERE integration_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
        let before = before.map_or(i64::MAX, RunId::get);
        with_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(integration.get()).bind(before).bind(i64::from(limit)).fetch_all(pool).await?;
            rows.iter().map(run_from_row).collect()
        })
    }

    /// [`Store::runs`] without the refreshes that succeeded: each opening of Import Customers
    /// reads NetSuite into the mirror as a refresh run, which changes no option; the pages list
    /// them only when they failed.
    pub async fn runs_that_matter(
        &self,
        integration: IntegrationId,
        before: Option<RunId>,
        limit: u32,
    ) -> Result<Vec<Run>, StoreError> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE integration_id = $1 AND id < $2 \
             AND NOT (kind = $4 AND status = $5) ORDER BY id DESC LIMIT $3"
        );
        let before = before.map_or(i64::MAX, RunId::get);
        with_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(integration.get()).bind(before).bind(i64::from(limit))
                .bind(RunKind::Refresh.as_str()).bind(RunStatus::Succeeded.as_str()).fetch_all(pool).await?;
            rows.iter().map(run_from_row).collect()
        })
    }

    /// A page of a run's change list, in order, starting at position `from` (0 for the first
    /// page; the next page starts at `from + returned.len()`).
    pub async fn changes(
        &self,
        run: RunId,
        from: u64,
        limit: u32,
    ) -> Result<Vec<Change>, StoreError> {
        let sql =
            "SELECT option_id, upstream_kind, upstream_id, kind, old_value, new_value, reason \
                   FROM run_changes WHERE run_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3";
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(run.get()).bind(from).bind(i64::from(limit)).fetch_all(pool).await?;
            rows.iter().map(change_from_row).collect()
        })
    }

    /// Says where a running run is; nothing once the run has ended.
    pub async fn set_run_progress(
        &self,
        run: RunId,
        progress: &RunProgress,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(progress).map_err(StoreError::corrupt)?;
        let sql = "UPDATE runs SET progress = $2 WHERE id = $1 AND status = $3";
        with_pool!(self, pool => {
            sqlx::query(sql).bind(run.get()).bind(json).bind(RunStatus::Running.as_str()).execute(pool).await?;
        });
        Ok(())
    }

    /// The run's changes of one kind, in order, skipping the first `skip` of them.
    pub async fn changes_of_kind(
        &self,
        run: RunId,
        kind: ChangeKind,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<Change>, StoreError> {
        let sql =
            "SELECT option_id, upstream_kind, upstream_id, kind, old_value, new_value, reason \
                   FROM run_changes WHERE run_id = $1 AND kind = $2 ORDER BY seq LIMIT $3 OFFSET $4";
        let skip = i64::try_from(skip).unwrap_or(i64::MAX);
        with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(run.get()).bind(kind.as_str()).bind(i64::from(limit))
                .bind(skip).fetch_all(pool).await?;
            rows.iter().map(change_from_row).collect()
        })
    }

    /// Stops a run in "needs confirmation" and keeps its plan, unapplied, for an administrator
    /// to confirm; [`Store::apply_plan`] of that same plan later applies it and clears it.
    pub async fn hold_for_confirmation(&self, plan: &Plan, now_ms: i64) -> Result<(), StoreError> {
        let json = serde_json::to_string(plan).map_err(StoreError::corrupt)?;
        // The counts are what the plan would do, so lists and pages say what waits.
        let sql = "UPDATE runs SET status = $2, finished_at_ms = $3, pending_plan = $4, \
                   added = $6, renamed = $7, moved = $8, deactivated = $9, reactivated = $10, \
                   rejected = $11, unchanged = $12, netsuite_requests = $13, progress = NULL, \
                   restored = $14, deleted = $15 WHERE id = $1 AND integration_id = $5";
        let c = plan.run.counts;
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let done = sqlx::query(sql).bind(plan.run.id.get())
                .bind(RunStatus::NeedsConfirmation.as_str()).bind(now_ms).bind(json)
                .bind(plan.integration.get()).bind(i64::from(c.added)).bind(i64::from(c.renamed))
                .bind(i64::from(c.moved)).bind(i64::from(c.deactivated)).bind(i64::from(c.reactivated))
                .bind(i64::from(c.rejected)).bind(i64::from(c.unchanged))
                .bind(i64::from(plan.run.netsuite_requests)).bind(i64::from(c.restored))
                .bind(i64::from(c.deleted)).execute(&mut *tx).await?.rows_affected();
            if done > 0 {
                announce_run_in!(&mut *tx, plan.run.id, WebhookEvent::RunNeedsConfirmation, None, now_ms);
            }
            tx.commit().await?;
            done
        });
        if done == 0 {
            return Err(StoreError::NotFound {
                what: "run",
                id: plan.run.id.get(),
            });
        }
        Ok(())
    }

    /// Discards the plan `run` holds for confirmation: the run ends as discarded, nothing of it
    /// applied, and the audit entry commits with it. `false` when the run held no plan (already
    /// confirmed, discarded, or never held).
    pub async fn discard_held(&self, run: RunId, audit: &Audit) -> Result<bool, StoreError> {
        let sql = "UPDATE runs SET status = $2, pending_plan = NULL \
                   WHERE id = $1 AND status = $3 AND pending_plan IS NOT NULL";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let done = sqlx::query(sql).bind(run.get()).bind(RunStatus::Discarded.as_str())
                .bind(RunStatus::NeedsConfirmation.as_str()).execute(&mut *tx).await?.rows_affected();
            if done > 0 {
                append_audit_in!(&mut *tx, &audit.entry(format!("run {run}")));
            }
            tx.commit().await?;
            Ok(done > 0)
        })
    }

    /// The plan a run holds for confirmation, if any.
    pub async fn pending_plan(&self, run: RunId) -> Result<Option<Plan>, StoreError> {
        let sql = "SELECT pending_plan FROM runs WHERE id = $1";
        let json = with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(run.get()).fetch_optional(pool).await?;
            row.map(|r| r.opt_text("pending_plan")).transpose()?.flatten()
        });
        json.map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(StoreError::corrupt)
    }
}

fn count(row: &impl Cols, col: &str) -> Result<u32, StoreError> {
    u32::try_from(row.int(col)?).map_err(StoreError::corrupt)
}

fn run_from_row(row: &impl Cols) -> Result<Run, StoreError> {
    Ok(Run {
        id: id(row, "id")?,
        integration: id(row, "integration_id")?,
        kind: RunKind::parse(&row.text("kind")?)?,
        trigger: RunTrigger::parse(&row.text("triggered_by")?)?,
        status: RunStatus::parse(&row.text("status")?)?,
        started_at_ms: row.int("started_at_ms")?,
        finished_at_ms: row.opt_int("finished_at_ms")?,
        counts: RunCounts {
            added: count(row, "added")?,
            renamed: count(row, "renamed")?,
            moved: count(row, "moved")?,
            deactivated: count(row, "deactivated")?,
            reactivated: count(row, "reactivated")?,
            rejected: count(row, "rejected")?,
            unchanged: count(row, "unchanged")?,
            restored: count(row, "restored")?,
            deleted: count(row, "deleted")?,
        },
        netsuite_requests: count(row, "netsuite_requests")?,
        error: row.opt_text("error")?,
        // Progress is a hint for people: one that cannot be read is no progress, not an error.
        progress: row
            .opt_text("progress")?
            .and_then(|p| serde_json::from_str(&p).ok()),
    })
}

fn change_from_row(row: &impl Cols) -> Result<Change, StoreError> {
    Ok(Change {
        upstream: UpstreamKey {
            kind: UpstreamKind::parse(&row.text("upstream_kind")?)?,
            id: RecordId::new(row.int("upstream_id")?).map_err(StoreError::corrupt)?,
        },
        option: opt_id(row, "option_id")?,
        kind: ChangeKind::parse(&row.text("kind")?)?,
        old_value: row.opt_text("old_value")?,
        new_value: row.opt_text("new_value")?,
        reason: row.opt_text("reason")?,
    })
}
