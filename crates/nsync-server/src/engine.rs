//! The engine: one run at a time per integration; read NetSuite into the mirror, plan with the
//! pure planner, hand the store one plan to apply in one transaction.

mod candidates;
mod mirror;
mod refresh;
mod warm;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use netsuite::{Client, Cursor, Stages};
use nsync_core::planner::{plan, PlanInput, Planned, Request, Selection};
use nsync_core::reads::Delta;
use nsync_core::{
    Change, CustomFieldId, IntegrationId, JobId, OptionUpsert, Plan, Run, RunCounts, RunId,
    RunKind, RunOutcome, RunStatus, RunTrigger, StatusPolicy, StoredOption, UserId,
};
use nsync_store::{Applied, Integration, MasterKey, NewAuditEntry, RunLock, Store};

pub use candidates::{Candidate, CandidatePage, CandidateQuery, CandidateStatus, ParentFilter};
pub use refresh::RefreshMode;

use crate::{Connector, EngineError, Metrics};

/// How a run is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// A dry run: read and plan, write nothing, return exactly the changes.
    pub preview: bool,
    /// How to refresh the mirror first.
    pub refresh: RefreshMode,
    /// Who asked.
    pub trigger: RunTrigger,
    /// The job this run does, when a worker runs it: a job whose run already succeeded is not
    /// run again (its worker may have died between the run and settling the job).
    pub job: Option<JobId>,
}

impl RunOptions {
    /// An incremental, applied run.
    pub fn new(trigger: RunTrigger) -> Self {
        Self {
            preview: false,
            refresh: RefreshMode::Incremental,
            trigger,
            job: None,
        }
    }
}

/// What a run did (or, for a preview, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// The recorded run; `None` for a preview.
    pub run: Option<RunId>,
    /// Succeeded, or waiting for a confirmation (a preview says what applying would end in).
    pub status: RunStatus,
    /// Counts by kind.
    pub counts: RunCounts,
    /// The change list, rejections included.
    pub changes: Vec<Change>,
    /// Options that would go from active to inactive.
    pub deactivations: u32,
    /// NetSuite requests this run made.
    pub netsuite_requests: u32,
    /// Wall time.
    pub duration: Duration,
    /// Where the wall time went.
    pub phases: Phases,
}

/// Where a run's wall time went: what the benchmarks weigh against their bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Phases {
    /// Loading the mirror and the options from the store (zero when they were still warm).
    pub load: Duration,
    /// Reading NetSuite and computing the new mirror.
    pub read: Duration,
    /// Planning.
    pub plan: Duration,
    /// Writing the plan in one transaction.
    pub apply: Duration,
}

/// A run that goes on in the background once started (see [`Engine::spawn`]): the planner's
/// request.
pub type RunRequest = Request;

/// How [`Engine::start`] ended.
enum Start {
    /// The run is recorded (unless a preview) and holds the lock.
    Begun(Started),
    /// The job's run had already succeeded: its report, and no new run.
    AlreadyDone(RunReport),
}

/// A run between its two halves: it holds the integration's run lock.
struct Started {
    lock: RunLock,
    integration: Integration,
    run: Option<RunId>,
    kind: RunKind,
    options: RunOptions,
    started: Instant,
}

/// Runs imports, updates and refreshes. Cheap to share behind an `Arc`; keeps one NetSuite
/// client per integration so the account facts are probed once, not on every run.
pub struct Engine {
    store: Store,
    key: MasterKey,
    connector: Arc<dyn Connector>,
    clients: Mutex<HashMap<IntegrationId, Client>>,
    warm: Arc<Mutex<warm::WarmCache>>,
    /// Copies being computed after a run applied (see [`Engine::keep_applied`]): the run has
    /// ended; the next run of the integration waits for its copy instead of loading.
    filling: Mutex<HashMap<IntegrationId, tokio::task::JoinHandle<()>>>,
    metrics: Arc<Metrics>,
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
}

impl Engine {
    /// An engine over `store`, opening credentials with `key` and reaching NetSuite through
    /// `connector`.
    pub fn new(store: Store, key: MasterKey, connector: Arc<dyn Connector>) -> Self {
        Self {
            store,
            key,
            connector,
            clients: Mutex::default(),
            warm: Arc::default(),
            filling: Mutex::default(),
            metrics: Arc::default(),
        }
    }

    /// The metrics its runs and NetSuite requests are counted in.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The store it writes to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The key credentials are sealed with (to store new ones).
    pub fn master_key(&self) -> &MasterKey {
        &self.key
    }

    /// Forgets the cached client of an integration (after its credentials changed).
    pub fn forget_client(&self, integration: IntegrationId) {
        lock(&self.clients).remove(&integration);
    }

    /// Refreshes the mirror only (what the Import Customers list is served from).
    pub async fn refresh(
        &self,
        integration: IntegrationId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        self.execute(integration, RunKind::Refresh, None, options)
            .await
    }

    /// Imports the selected records (and their ancestors).
    pub async fn import(
        &self,
        integration: IntegrationId,
        selection: Selection,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        let request = Request::Import(selection);
        self.execute(integration, RunKind::Import, Some(request), options)
            .await
    }

    /// Re-projects every imported option from NetSuite. Past the mass-deactivation guard it
    /// stops in "needs confirmation" with its plan held for [`Engine::confirm`].
    pub async fn update(
        &self,
        integration: IntegrationId,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        self.execute(integration, RunKind::Update, Some(Request::Update), options)
            .await
    }

    /// Starts an applied import or update and returns its run id as soon as the run is recorded;
    /// the rest goes on in a background task that holds the integration's run lock until done.
    /// A failure after that point is recorded on the run (read it with the store).
    pub async fn spawn(
        self: &Arc<Self>,
        integration: IntegrationId,
        request: RunRequest,
        trigger: RunTrigger,
        refresh: RefreshMode,
    ) -> Result<RunId, EngineError> {
        let kind = request.kind();
        let options = RunOptions {
            preview: false,
            refresh,
            trigger,
            job: None,
        };
        let started = match self.start(integration, kind, options).await? {
            Start::Begun(started) => started,
            // Only a run of a job can have happened already, and this one has none.
            Start::AlreadyDone(report) => return Ok(report.run.expect("a recorded run")),
        };
        let run = started.run.expect("an applied run is always recorded");
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(err) = engine.complete(started, Some(request)).await {
                tracing::info!(run = %run, error = %err, "background run ended with an error");
            }
        });
        Ok(run)
    }

    /// What NetSuite says about the integration's account and credentials ("Test connection").
    pub async fn probe(
        &self,
        integration: IntegrationId,
    ) -> Result<netsuite::AccountFacts, EngineError> {
        let integration = self.store.integration(integration).await?;
        Ok(self.client(&integration).await?.probe().await?)
    }

    /// The subsidiaries of the integration's account (empty for an account without OneWorld).
    pub async fn subsidiaries(
        &self,
        integration: IntegrationId,
    ) -> Result<Vec<netsuite::Subsidiary>, EngineError> {
        let integration = self.store.integration(integration).await?;
        let client = self.client(&integration).await?;
        if !client.probe().await?.one_world {
            return Ok(Vec::new());
        }
        Ok(client.subsidiaries().await?)
    }

    /// The account's project statuses (empty without the Projects feature), for the page where
    /// an administrator picks which of them count as closed.
    pub async fn project_statuses(
        &self,
        integration: IntegrationId,
    ) -> Result<Vec<netsuite::ProjectStatus>, EngineError> {
        let integration = self.store.integration(integration).await?;
        let client = self.client(&integration).await?;
        Ok(client.project_statuses().await?)
    }

    /// Applies the plan a run holds for confirmation, exactly as it was shown, and audits who
    /// confirmed it.
    #[tracing::instrument(skip_all, fields(integration = %integration, run = %run))]
    pub async fn confirm(
        &self,
        integration: IntegrationId,
        run: RunId,
        actor: Option<UserId>,
    ) -> Result<RunReport, EngineError> {
        let started = Instant::now();
        let lock = self.store.lock_integration(integration).await?;
        let result = self.confirm_locked(integration, run, actor, started).await;
        lock.release().await?;
        result
    }

    async fn confirm_locked(
        &self,
        integration: IntegrationId,
        run: RunId,
        actor: Option<UserId>,
        started: Instant,
    ) -> Result<RunReport, EngineError> {
        let mut plan = match self.store.pending_plan(run).await? {
            Some(plan) if plan.integration == integration => plan,
            _ => return Err(EngineError::NothingToConfirm(run)),
        };
        if let Some(newer) = self.store.newer_succeeded_run(integration, run).await? {
            return Err(EngineError::Stale { run, newer });
        }
        plan.run.status = RunStatus::Succeeded;
        plan.run.finished_at_ms = now_ms();
        self.store.apply_plan(&plan).await?;
        let company = self.store.integration(integration).await?.company;
        self.store
            .append_audit(&NewAuditEntry {
                company,
                actor,
                action: "confirm_update".to_owned(),
                target: Some(format!("run {run}")),
                detail: serde_json::json!({
                    "integration": integration.get(),
                    "deactivated": plan.run.counts.deactivated,
                }),
                at_ms: now_ms(),
            })
            .await?;
        Ok(RunReport {
            run: Some(run),
            status: RunStatus::Succeeded,
            counts: plan.run.counts,
            deactivations: plan.run.counts.deactivated,
            changes: plan.changes,
            netsuite_requests: 0,
            duration: started.elapsed(),
            phases: Phases::default(),
        })
    }

    #[tracing::instrument(skip_all, fields(integration = %integration, kind = %kind, preview = options.preview))]
    async fn execute(
        &self,
        integration: IntegrationId,
        kind: RunKind,
        request: Option<Request>,
        options: RunOptions,
    ) -> Result<RunReport, EngineError> {
        match self.start(integration, kind, options).await? {
            Start::Begun(started) => self.complete(started, request).await,
            Start::AlreadyDone(report) => Ok(report),
        }
    }

    /// The first half of every run: takes the integration's run lock, answers a job whose run
    /// already succeeded with that run, and begins the run. Releases the lock on failure.
    async fn start(
        &self,
        integration: IntegrationId,
        kind: RunKind,
        options: RunOptions,
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
            Ok(None) => self.begin(&lock, kind, options).await,
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
    async fn complete(
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
    /// records the run (unless it is a preview).
    async fn begin(
        &self,
        lock: &RunLock,
        kind: RunKind,
        options: RunOptions,
    ) -> Result<(Integration, Option<RunId>), EngineError> {
        let now = now_ms();
        // Holding the lock proves a run still marked running belongs to a process that died.
        self.store.fail_interrupted_runs(lock, now).await?;
        let integration = self.store.integration(lock.integration()).await?;
        let run = match options.preview {
            true => None,
            false => Some(
                self.store
                    .start_run(lock, kind, options.trigger, options.job, now)
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
            .prepare(&integration, request, options.refresh, &mut requests)
            .await;
        let prepared = match (prepared, run) {
            (Ok(prepared), _) => prepared,
            (Err(err), None) => return Err(err),
            (Err(err), Some(run)) => {
                tracing::warn!(run = %run, error = %err, "run failed; nothing of it applied");
                self.store
                    .fail_run(run, requests, &err.to_string(), now_ms())
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
                finished_at_ms: now_ms(),
                error: None,
            },
            cursor: Some(cursor_json(&refreshed.cursor)?),
        };
        let clock = Instant::now();
        if held {
            tracing::info!(run = %run, deactivations, "update held for confirmation");
            self.store.hold_for_confirmation(&plan, now_ms()).await?;
            phases.apply = clock.elapsed();
            self.keep_warm(integration.id, version, prior, stored);
        } else {
            let applied = self.store.apply_plan(&plan).await?;
            phases.apply = clock.elapsed();
            let kept = Applying {
                field: integration.field,
                version,
                applied,
                prior,
                delta: Delta {
                    upserts: std::mem::take(&mut plan.mirror_upserts),
                    removals: std::mem::take(&mut plan.mirror_removals),
                },
                options: stored,
                upserts: std::mem::take(&mut plan.options),
                added: plan.run.counts.added,
            };
            self.keep_applied(integration.id, kept);
        }
        Ok(report(Some(run), plan.changes, phases))
    }

    /// Keeps a state that nothing of this run changed, for the next run.
    fn keep_warm(
        &self,
        integration: IntegrationId,
        version: i64,
        mirror: mirror::Mirror,
        options: Vec<StoredOption>,
    ) {
        let warm = warm::Warm {
            version,
            mirror,
            options,
        };
        lock(&self.warm).put(integration, warm);
    }

    /// Keeps the state an applied plan left, computed in memory, for the next run. The run has
    /// ended by then (its plan is committed), so this goes on in a task of its own, and the next
    /// run of the integration waits for it (see [`Engine::prepare`]). Never fails anything: at
    /// worst the next run loads from the store.
    fn keep_applied(&self, integration: IntegrationId, kept: Applying) {
        let (store, warm) = (self.store.clone(), Arc::clone(&self.warm));
        let task = tokio::spawn(async move {
            if let Some(state) = kept.state_after(&store).await {
                lock(&warm).put(integration, state);
            }
        });
        if let Some(earlier) = lock(&self.filling).insert(integration, task) {
            // Runs of one integration are one at a time, so an earlier copy has long been kept.
            earlier.abort();
        }
    }

    /// Reads NetSuite into a new mirror and plans the request against it. Writes nothing.
    async fn prepare(
        &self,
        integration: &Integration,
        request: Option<&Request>,
        mode: RefreshMode,
        requests: &mut u32,
    ) -> Result<Prepared, EngineError> {
        let client = self.client(integration).await?;
        let before = client.requests_made();
        let mut phases = Phases::default();
        let clock = Instant::now();
        let filling = lock(&self.filling).remove(&integration.id);
        if let Some(task) = filling {
            // Its copy is most of the way there; loading from the store would take longer.
            let _ = task.await;
        }
        // The version first: what is read after it is at least that new (see `warm`).
        let version = self.store.state_version(integration.id).await?;
        let kept = lock(&self.warm).take(integration.id, version);
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
        })
    }

    async fn client(&self, integration: &Integration) -> Result<Client, EngineError> {
        if let Some(client) = lock(&self.clients).get(&integration.id) {
            return Ok(client.clone());
        }
        let credentials = self.store.credentials(&self.key, integration.id).await?;
        let observer: Arc<dyn netsuite::Observer> = self.metrics.clone();
        let client = self
            .connector
            .connect(integration, &credentials, observer)?;
        lock(&self.clients).insert(integration.id, client.clone());
        Ok(client)
    }
}

/// What a run that applied leaves for the in-memory copy of its integration.
struct Applying {
    field: CustomFieldId,
    /// The state version the run read its state at.
    version: i64,
    applied: Applied,
    /// The mirror the run read, and what the run changed in it.
    prior: mirror::Mirror,
    delta: Delta,
    /// The options as the run read them.
    options: Vec<StoredOption>,
    upserts: Vec<OptionUpsert>,
    added: u32,
}

impl Applying {
    /// The state after the plan, computed in memory, when the store confirms that this plan was
    /// the only change since the state was read.
    async fn state_after(self, store: &Store) -> Option<warm::Warm> {
        // Any other version means another change (a removal here, say) came between: what this
        // process holds would miss it.
        let changed = i64::from(self.applied.state_changed);
        if self.applied.state_version != self.version + changed {
            return None;
        }
        // Ids of options this plan added: the store gave them, above every id known here. (Should
        // the count ever disagree with the upserts, `options_after` refuses to guess.)
        let new_ids = if self.added == 0 {
            Vec::new()
        } else {
            let after = self.options.iter().map(|o| o.id).max();
            match store.integrated_option_ids_after(self.field, after).await {
                Ok(ids) => ids,
                Err(err) => {
                    tracing::debug!(error = %err, "options not kept in memory");
                    return None;
                }
            }
        };
        let options = warm::options_after(self.field, self.options, &self.upserts, &new_ids)?;
        let mut mirror = self.prior;
        self.delta.apply(&mut mirror);
        Some(warm::Warm {
            version: self.applied.state_version,
            mirror,
            options,
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
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

/// Active and not removed here: what the mass-deactivation guard weighs against.
fn cursor_json(cursor: &Cursor) -> Result<serde_json::Value, EngineError> {
    serde_json::to_value(cursor).map_err(|e| EngineError::Config(format!("cursor: {e}")))
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
