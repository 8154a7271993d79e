//! One run, start to end: take the integration's run lock and begin the run (`start`), read
//! NetSuite and plan (`prepare`), then apply or hold the plan, count the run and release the
//! lock (`complete`).

use std::time::{Duration, Instant};

use netsuite::{Cursor, Stages};
use nsync_core::planner::{plan, PlanInput, Planned, Request};
use nsync_core::reads::Delta;
use nsync_core::{
    IntegrationId, Plan, Run, RunId, RunKind, RunOutcome, RunPhase, RunStatus, StatusPolicy,
    StoredOption,
};
use nsync_store::{Audit, Integration, RunLock, State};

use super::progress::Progress;
use super::refresh::{self, RefreshMode};
use super::warm::Applying;
use super::{lock, mirror, Engine, Phases, RunOptions, RunReport};
use crate::EngineError;

/// How [`Engine::start`] ended.
pub(super) enum Start {
    /// The run is recorded (unless a preview) and holds the lock.
    Begun(Started),
    /// The job's run had already succeeded: its report, and no new run.
    AlreadyDone(RunReport),
}

/// A run between its two halves: it holds the integration's run lock.
pub(super) struct Started {
    lock: RunLock,
    integration: Integration,
    pub(super) run: Option<RunId>,
    kind: RunKind,
    options: RunOptions,
    started: Instant,
}

/// Everything read and planned, before anything is written.
struct Prepared {
    refreshed: refresh::Refreshed,
    planned: Planned,
    phases: Phases,
    /// The state version the prior mirror and options were read at.
    version: i64,
    prior: mirror::Mirror,
    options: Vec<StoredOption>,
    /// Says where the run is until it is dropped.
    progress: Progress,
}

impl Engine {
    #[tracing::instrument(skip_all, fields(integration = %integration, kind = %kind, preview = options.preview))]
    pub(super) async fn execute(
        &self,
        integration: IntegrationId,
        kind: RunKind,
        request: Option<Request>,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        match self.start(integration, kind, options, None).await? {
            Start::Begun(started) => self.complete(started, request).await,
            Start::AlreadyDone(report) => Ok(report),
        }
    }

    /// The first half of every run: takes the integration's run lock, answers a job whose run
    /// already succeeded with that run, and begins the run. Releases the lock on failure.
    pub(super) async fn start(
        &self,
        integration: IntegrationId,
        kind: RunKind,
        options: RunOptions,
        audit: Option<&Audit>,
    ) -> Result<Start, EngineError> {
        let started = Instant::now();
        let lock = self.store.lock_integration(integration).await?;
        // Under the lock, so no run of this job can commit between the check and the run.
        let done = match options.job {
            Some(job) if !options.preview => self.store.run_of_job(job).await,
            _ => Ok(None),
        };
        let begun = match done {
            Ok(Some(run)) => {
                lock.release().await?;
                tracing::info!(run = %run.id, "the job's run had already succeeded; not running it again");
                return Ok(Start::AlreadyDone(report_of(&run)));
            }
            Ok(None) => self.begin(&lock, kind, options, audit).await,
            Err(err) => Err(err.into()),
        };
        match begun {
            Ok((integration, run)) => Ok(Start::Begun(Started {
                lock,
                integration,
                run,
                kind,
                options,
                started,
            })),
            Err(err) => {
                lock.release().await?;
                Err(err)
            }
        }
    }

    /// The second half: reads, plans and applies (or holds), counts the run and releases the
    /// lock, whether the run succeeded or not.
    pub(super) async fn complete(
        &self,
        started: Started,
        request: Option<Request>,
    ) -> Result<RunReport, EngineError> {
        let Started {
            lock,
            integration,
            run,
            kind,
            options,
            started,
        } = started;
        let result = self
            .finish(integration, request.as_ref(), options, run, started)
            .await;
        self.count_run(kind, &result, started);
        lock.release().await?;
        result
    }

    /// Counts a recorded run's end in the metrics (previews and refused requests are not runs).
    fn count_run(&self, kind: RunKind, result: &Result<RunReport, EngineError>, started: Instant) {
        let status = match result {
            Ok(RunReport {
                run: Some(_),
                status,
                ..
            }) => *status,
            Err(EngineError::RunFailed { .. }) => RunStatus::Failed,
            _ => return,
        };
        self.metrics.run_finished(kind, status, started.elapsed());
    }

    /// Under the lock: fails runs a dead process left running, loads the integration and
    /// records the run (unless it is a preview), with `audit` when a person started it.
    async fn begin(
        &self,
        lock: &RunLock,
        kind: RunKind,
        options: RunOptions,
        audit: Option<&Audit>,
    ) -> Result<(Integration, Option<RunId>), EngineError> {
        let now = self.now_ms();
        // Holding the lock proves a run still marked running belongs to a process that died.
        self.store.fail_interrupted_runs(lock, now).await?;
        let integration = self.store.integration(lock.integration()).await?;
        let run = match options.preview {
            true => None,
            false => Some(
                self.store
                    .start_run(lock, kind, options.trigger, options.job, now, audit)
                    .await?,
            ),
        };
        Ok((integration, run))
    }

    /// Under the lock, after [`Engine::begin`]: reads, plans, and applies or holds the plan.
    async fn finish(
        &self,
        integration: Integration,
        request: Option<&Request>,
        options: RunOptions,
        run: Option<RunId>,
        started: Instant,
    ) -> Result<RunReport, EngineError> {
        let mut requests = 0;
        let prepared = self
            .prepare(&integration, request, options.refresh, run, &mut requests)
            .await;
        let prepared = match (prepared, run) {
            (Ok(prepared), _) => prepared,
            (Err(err), None) => return Err(err),
            (Err(err), Some(run)) => {
                tracing::warn!(run = %run, error = %err, "run failed; nothing of it applied");
                self.store
                    .fail_run(run, requests, &err.to_string(), self.now_ms())
                    .await?;
                return Err(EngineError::RunFailed {
                    run,
                    source: Box::new(err),
                });
            }
        };
        let held = prepared.planned.held;
        let status = if held {
            RunStatus::NeedsConfirmation
        } else {
            RunStatus::Succeeded
        };
        let Prepared {
            refreshed,
            planned,
            mut phases,
            version,
            prior,
            options: stored,
            progress,
            ..
        } = prepared;
        let mut counts = planned.counts;
        counts.rejected += u32::try_from(refreshed.rejected.len()).unwrap_or(u32::MAX);
        let mut changes = refreshed.rejected;
        changes.extend(planned.changes);
        let deactivations = planned.deactivations;
        let report = |run, changes, phases| RunReport {
            run,
            status,
            counts,
            changes,
            deactivations,
            netsuite_requests: requests,
            duration: started.elapsed(),
            phases,
        };
        let Some(run) = run else {
            self.keep_warm(integration.id, version, prior, stored);
            return Ok(report(None, changes, phases));
        };
        let mut plan = Plan {
            integration: integration.id,
            field: integration.field,
            mirror_upserts: refreshed.delta.upserts,
            mirror_removals: refreshed.delta.removals,
            options: planned.options,
            changes,
            run: RunOutcome {
                id: run,
                status,
                counts,
                netsuite_requests: requests,
                finished_at_ms: self.now_ms(),
                error: None,
            },
            cursor: Some(cursor_json(&refreshed.cursor)?),
        };
        let clock = Instant::now();
        progress.set(RunPhase::Writing);
        if held {
            tracing::info!(run = %run, deactivations, "update held for confirmation");
            self.store
                .hold_for_confirmation(&plan, self.now_ms())
                .await?;
            phases.apply = clock.elapsed();
            self.keep_warm(integration.id, version, prior, stored);
        } else {
            let applied = self.store.apply_plan(&plan).await?;
            phases.apply = clock.elapsed();
            let kept = Applying {
                version,
                applied,
                prior,
                delta: Delta {
                    upserts: std::mem::take(&mut plan.mirror_upserts),
                    removals: std::mem::take(&mut plan.mirror_removals),
                },
                options: stored,
            };
            self.keep_applied(integration.id, kept);
        }
        Ok(report(Some(run), plan.changes, phases))
    }

    /// Reads NetSuite into a new mirror and plans the request against it. Writes nothing.
    async fn prepare(
        &self,
        integration: &Integration,
        request: Option<&Request>,
        mode: RefreshMode,
        run: Option<RunId>,
        requests: &mut u32,
    ) -> Result<Prepared, EngineError> {
        let client = self.client(integration).await?;
        let progress = Progress::start(&self.store, run, &client);
        let before = client.requests_made();
        let mut phases = Phases::default();
        let clock = Instant::now();
        let filling = lock(&self.filling).remove(&integration.id);
        if let Some(task) = filling {
            // Its copy is most of the way there; loading from the store would take longer.
            let _ = task.await;
        }
        // The version first: what is read after it is at least that new.
        let State { version, kept } = self.store.take_state(integration.id).await?;
        let (prior, options) = match kept {
            Some(kept) => (kept.mirror, kept.options),
            None => {
                let prior: mirror::Mirror = self
                    .store
                    .mirror(integration.id)
                    .await?
                    .into_iter()
                    .map(|r| (r.key, r))
                    .collect();
                let options = self.store.integrated_options(integration.field).await?;
                (prior, options)
            }
        };
        phases.load = clock.elapsed();
        progress.set(RunPhase::Reading);
        let cursor: Option<Cursor> = integration
            .cursor
            .clone()
            .and_then(|c| serde_json::from_value(c).ok());
        let clock = Instant::now();
        let settings = &integration.settings;
        let stages = Stages {
            prospects: settings.include_prospects,
            leads: settings.include_leads,
        };
        let refreshed = refresh::refresh(
            &client,
            integration.subsidiary,
            stages,
            &prior,
            &options,
            cursor,
            mode,
        )
        .await;
        *requests = u32::try_from(client.requests_made() - before).unwrap_or(u32::MAX);
        let refreshed = refreshed?;
        // Each project carries its status's name: the policy needs no list of statuses.
        let policy = StatusPolicy::new(settings.closed_project_statuses.as_deref());
        phases.read = clock.elapsed();
        progress.set(RunPhase::Planning);
        let clock = Instant::now();
        let planned = match request {
            Some(request) => {
                let mirror = refreshed.delta.view(&prior);
                let input = PlanInput {
                    settings: &integration.settings,
                    scope: integration.subsidiary,
                    options: &options,
                    mirror: &mirror,
                    statuses: &policy,
                };
                plan(input, request)
            }
            None => Planned::default(),
        };
        phases.plan = clock.elapsed();
        Ok(Prepared {
            refreshed,
            planned,
            phases,
            version,
            prior,
            options,
            progress,
        })
    }
}

/// The report of a run already recorded (its change list stays in the store).
fn report_of(run: &Run) -> RunReport {
    let took = run.finished_at_ms.unwrap_or(run.started_at_ms) - run.started_at_ms;
    RunReport {
        run: Some(run.id),
        status: run.status,
        counts: run.counts,
        changes: Vec::new(),
        deactivations: run.counts.deactivated,
        netsuite_requests: run.netsuite_requests,
        duration: Duration::from_millis(u64::try_from(took).unwrap_or(0)),
        phases: Phases::default(),
    }
}

/// The cursor as the store keeps it.
fn cursor_json(cursor: &Cursor) -> Result<serde_json::Value, EngineError> {
    serde_json::to_value(cursor).map_err(|e| EngineError::Config(format!("cursor: {e}")))
}
