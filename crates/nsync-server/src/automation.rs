//! Updates nobody clicks: the scheduler queues each due slot of an integration's automatic
//! update once, and the worker runs queued jobs under a lease.
//!
//! Once per slot across any number of processes: a slot is claimed by moving the integration's
//! `schedule_after_ms` forward in the same transaction that queues its job, so only one claim
//! wins. Only the latest due slot is claimed, so slots missed while no process ran are owed
//! once, not once each.
//!
//! A worker leases a job for `lease`, renews the lease while the run goes on, and completes it,
//! queues it again with a backoff after a transient failure (NetSuite throttling or down, the
//! integration busy with another run, the database unreachable), or fails it for good with the
//! reason. A process that dies leaves its lease to run out; another worker then takes the job
//! over, and the run it left "running" is marked interrupted by the next run, which converges
//! (runs are all or nothing).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use netsuite::Clock;
use nsync_core::{IntegrationId, JobId, RunTrigger};
use nsync_store::{LeasedJob, NewJob, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::{Engine, EngineError, JobOutcome, RefreshMode, RunOptions};

/// The kind of the only job there is: an update of one integration.
pub const UPDATE_JOB: &str = "update";

/// The arguments of an update job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateJob {
    /// The integration to update.
    pub integration: IntegrationId,
    /// What asked for it (the schedule or a NetSuite notification).
    pub trigger: RunTrigger,
}

/// How the scheduler and the worker behave.
#[derive(Debug, Clone)]
pub struct AutomationConfig {
    /// Jobs one process runs at once.
    pub concurrency: usize,
    /// How long a lease lasts without a heartbeat (renewed every third of it).
    pub lease: Duration,
    /// How long an idle worker waits before looking for a job again.
    pub poll: Duration,
    /// How often the scheduler looks for due slots.
    pub tick: Duration,
    /// Attempts of a job before it fails for good.
    pub max_attempts: u32,
    /// The delay before the first retry; it doubles with each attempt, up to `max_backoff`.
    pub backoff: Duration,
    /// The longest delay between attempts.
    pub max_backoff: Duration,
    /// How long change feed entries and finished webhook deliveries are kept.
    pub retention: Duration,
}

impl Default for AutomationConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            tick: Duration::from_secs(30),
            max_attempts: 6,
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(30 * 60),
            retention: Duration::from_secs(90 * 24 * 60 * 60),
        }
    }
}

/// The scheduler and the worker of one process, over its engine.
pub struct Automation {
    engine: Arc<Engine>,
    clock: Arc<dyn Clock>,
    config: AutomationConfig,
}

/// What to do with a job after its attempt.
enum Verdict {
    Done,
    Retry(String),
    Fail(String),
    /// The lease was lost (taken over after it ran out): the job is not ours to finish.
    Abandoned,
}

impl Automation {
    /// A scheduler and worker reading time from `clock` (the system clock in production, a
    /// controlled one in tests).
    pub fn new(engine: Arc<Engine>, clock: Arc<dyn Clock>, config: AutomationConfig) -> Self {
        Self {
            engine,
            clock,
            config,
        }
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Claims every due slot and queues its update. Returns how many were queued. An
    /// integration whose settings cannot be read is skipped with a warning; the others go on.
    pub async fn schedule_due(&self) -> Result<usize, EngineError> {
        let now = self.clock.now();
        let mut queued = 0;
        for entry in self.engine.store().scheduled_integrations().await? {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    tracing::warn!(error = %err, "skipping an integration whose schedule cannot be read");
                    continue;
                }
            };
            let after = DateTime::<Utc>::from_timestamp_millis(entry.after_ms).unwrap_or_default();
            let Some(slot) = entry.auto_update.due_slot(entry.time_zone.tz(), after, now) else {
                continue;
            };
            let payload = job_payload(entry.integration, RunTrigger::Schedule);
            let key = format!("slot:{}:{}", entry.integration, slot.date);
            let job = NewJob {
                kind: UPDATE_JOB,
                payload: &payload,
                dedup_key: &key,
            };
            let claimed = self
                .engine
                .store()
                .claim_slot(
                    entry.integration,
                    slot.starts_at.timestamp_millis(),
                    job,
                    now.timestamp_millis(),
                )
                .await?;
            if claimed.is_some() {
                tracing::info!(integration = %entry.integration, slot = %slot.date, "automatic update queued");
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// The lease length as the store counts it.
    fn lease_ms(&self) -> i64 {
        i64::try_from(self.config.lease.as_millis()).unwrap_or(i64::MAX)
    }

    /// Leases one due job and runs it to its end. Returns whether there was one.
    pub async fn work_once(&self) -> Result<bool, EngineError> {
        let Some(lease) = self
            .engine
            .store()
            .lease_job(self.now_ms(), self.lease_ms())
            .await?
        else {
            return Ok(false);
        };
        let waited = self.now_ms().saturating_sub(lease.job.run_at_ms).max(0);
        self.engine
            .metrics()
            .job_leased(Duration::from_millis(u64::try_from(waited).unwrap_or(0)));
        if lease.recovered {
            tracing::warn!(job = %lease.job.id, "took over a job whose lease ran out");
            self.engine.metrics().lease_expired();
        }
        let verdict = self.attempt(&lease).await;
        self.settle(&lease, verdict).await?;
        Ok(true)
    }

    /// Runs the job while renewing its lease; gives the job up if the lease is lost.
    async fn attempt(&self, lease: &LeasedJob) -> Verdict {
        let job: UpdateJob = match (
            lease.job.kind.as_str(),
            serde_json::from_value(lease.job.payload.clone()),
        ) {
            (UPDATE_JOB, Ok(job)) => job,
            _ => {
                return Verdict::Fail(format!(
                    "job {} of kind {:?} cannot be read",
                    lease.job.id, lease.job.kind
                ))
            }
        };
        let options = RunOptions {
            preview: false,
            refresh: RefreshMode::Incremental,
            trigger: job.trigger,
            job: Some(lease.job.id),
        };
        let run = self.engine.update(job.integration, options);
        tokio::select! {
            result = run => verdict(result),
            () = self.keep_leased(lease) => Verdict::Abandoned,
        }
    }

    /// Renews the lease every third of its length; returns only when it was lost.
    async fn keep_leased(&self, lease: &LeasedJob) {
        let lease_ms = self.lease_ms();
        loop {
            tokio::time::sleep(self.config.lease / 3).await;
            match self
                .engine
                .store()
                .heartbeat_job(lease, self.now_ms(), lease_ms)
                .await
            {
                Ok(_) => {}
                Err(StoreError::LeaseLost(_)) => {
                    tracing::warn!(job = %lease.job.id, "lost the lease of a running job; abandoning it");
                    return;
                }
                // The database may be back at the next beat; the lease has slack for it.
                Err(err) => {
                    tracing::warn!(job = %lease.job.id, error = %err, "job heartbeat failed")
                }
            }
        }
    }

    async fn settle(&self, lease: &LeasedJob, verdict: Verdict) -> Result<(), EngineError> {
        let store = self.engine.store();
        let now = self.now_ms();
        let metrics = self.engine.metrics();
        let written = match verdict {
            Verdict::Done => {
                metrics.job_finished(JobOutcome::Completed);
                store.complete_job(lease, now).await
            }
            Verdict::Retry(reason) if lease.job.attempts < self.config.max_attempts => {
                let delay = self.backoff(lease.job.attempts);
                tracing::info!(job = %lease.job.id, attempt = lease.job.attempts, delay_s = delay.as_secs(), reason = %reason, "job will be retried");
                metrics.job_finished(JobOutcome::Retried);
                let at = now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
                store.fail_job(lease, now, &reason, Some(at)).await
            }
            Verdict::Retry(reason) => {
                let reason = format!("gave up after {} attempts: {reason}", lease.job.attempts);
                tracing::warn!(job = %lease.job.id, reason = %reason, "job failed");
                metrics.job_finished(JobOutcome::Failed);
                store.fail_job(lease, now, &reason, None).await
            }
            Verdict::Fail(reason) => {
                tracing::warn!(job = %lease.job.id, reason = %reason, "job failed");
                metrics.job_finished(JobOutcome::Failed);
                store.fail_job(lease, now, &reason, None).await
            }
            Verdict::Abandoned => return Ok(()),
        };
        match written {
            Ok(()) => Ok(()),
            // Taken over while finishing: the other worker owns it now.
            Err(StoreError::LeaseLost(job)) => {
                tracing::warn!(job, "the job's lease ran out before it was settled");
                Ok(())
            }
            Err(err) => Err(err.into()),
        }
    }

    fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(20);
        (self.config.backoff * 2u32.pow(doublings)).min(self.config.max_backoff)
    }

    /// Marks runs whose process is gone as failed, with the reason (see
    /// [`nsync_store::Store::interrupt_orphaned_runs`]). Returns how many.
    pub async fn interrupt_orphaned_runs(&self) -> Result<usize, EngineError> {
        let runs = self
            .engine
            .store()
            .interrupt_orphaned_runs(self.now_ms())
            .await?;
        for run in &runs {
            tracing::warn!(run = %run, "a run whose process is gone was marked interrupted");
        }
        Ok(runs.len())
    }

    /// Drops change feed entries and finished webhook deliveries older than the retention.
    /// Returns how many feed entries went.
    pub async fn prune(&self) -> Result<u64, EngineError> {
        let before = self.now_ms()
            - i64::try_from(self.config.retention.as_millis()).unwrap_or(i64::MAX / 2);
        let store = self.engine.store();
        let entries = store.prune_field_changes(before).await?;
        let deliveries = store.prune_webhook_deliveries(before).await?;
        if entries + deliveries > 0 {
            tracing::info!(
                entries,
                deliveries,
                "pruned the change feed and the webhook delivery log"
            );
        }
        Ok(entries)
    }

    /// Runs the scheduler until `stop` completes: at once, then every `tick`, it marks runs
    /// left running by a dead process as interrupted, looks for due slots, and prunes what is
    /// past its retention.
    pub async fn run_scheduler(self: Arc<Self>, stop: impl Future<Output = ()>) {
        let work = async {
            loop {
                if let Err(err) = self.interrupt_orphaned_runs().await {
                    tracing::warn!(error = %err, "the scheduler could not look for interrupted runs");
                }
                if let Err(err) = self.schedule_due().await {
                    tracing::warn!(error = %err, "the scheduler could not queue due updates");
                }
                if let Err(err) = self.prune().await {
                    tracing::warn!(error = %err, "the scheduler could not prune the change feed");
                }
                tokio::time::sleep(self.config.tick).await;
            }
        };
        tokio::select! {
            () = work => {}
            () = stop => {}
        }
    }

    /// Runs `concurrency` workers until `stop` completes. A job in progress at that moment is
    /// dropped with nothing of it applied; its lease runs out and a worker takes it over.
    pub async fn run_workers(self: Arc<Self>, stop: impl Future<Output = ()>) {
        let slots = (0..self.config.concurrency.max(1)).map(|_| {
            let this = Arc::clone(&self);
            async move {
                loop {
                    match this.work_once().await {
                        Ok(true) => {}
                        Ok(false) => tokio::time::sleep(this.config.poll).await,
                        Err(err) => {
                            tracing::warn!(error = %err, "the worker could not take or settle a job");
                            tokio::time::sleep(this.config.poll).await;
                        }
                    }
                }
            }
        });
        tokio::select! {
            _ = futures::future::join_all(slots) => {}
            () = stop => {}
        }
    }
}

/// Queues an update asked for by a NetSuite notification: at most one waits per integration
/// (behind the one that may be running), and they start at least `gap` apart. Returns the
/// job and whether it is new.
pub async fn queue_notified_update(
    store: &Store,
    integration: IntegrationId,
    now_ms: i64,
    gap: Duration,
) -> Result<(JobId, bool), EngineError> {
    let payload = job_payload(integration, RunTrigger::Notification);
    let key = format!("notified:{integration}");
    let job = NewJob {
        kind: UPDATE_JOB,
        payload: &payload,
        dedup_key: &key,
    };
    let gap_ms = i64::try_from(gap.as_millis()).unwrap_or(i64::MAX);
    Ok(store.enqueue_debounced(job, now_ms, gap_ms).await?)
}

fn job_payload(integration: IntegrationId, trigger: RunTrigger) -> serde_json::Value {
    serde_json::to_value(UpdateJob {
        integration,
        trigger,
    })
    .unwrap_or_default()
}

/// Transient failures are worth another attempt; the rest need a person.
fn verdict(result: Result<crate::RunReport, EngineError>) -> Verdict {
    let err = match result {
        Ok(_) => return Verdict::Done,
        Err(err) => err,
    };
    let message = err.to_string();
    if is_transient(&err) {
        Verdict::Retry(message)
    } else {
        Verdict::Fail(message)
    }
}

fn is_transient(err: &EngineError) -> bool {
    match err {
        EngineError::Busy { .. } | EngineError::SuspiciousRead(_) => true,
        EngineError::NetSuite(e) => e.is_retryable(),
        EngineError::Store(e) => !matches!(e, StoreError::NotFound { .. } | StoreError::Decrypt(_)),
        EngineError::RunFailed { source, .. } => is_transient(source),
        EngineError::Config(_)
        | EngineError::SubsidiaryGone(_)
        | EngineError::NothingToConfirm(_)
        | EngineError::Stale { .. } => false,
    }
}
