//! The engine: one run at a time per integration; read NetSuite into the mirror, plan with the
//! pure planner, hand the store one plan to apply in one transaction.

mod candidates;
mod mirror;
mod progress;
mod refresh;
mod run;
mod warm;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use netsuite::{Client, Clock, SystemClock};
use nsync_core::planner::{Request, Selection};
use nsync_core::{Change, IntegrationId, JobId, RunCounts, RunId, RunKind, RunStatus, RunTrigger};
use nsync_store::{Audit, Integration, MasterKey, Store};

pub use candidates::{Candidate, CandidatePage, CandidateQuery, CandidateStatus, ParentFilter};
pub use refresh::RefreshMode;
use run::Start;

use crate::webhooks::WebhookPolicy;
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

/// Runs imports, updates and refreshes. Cheap to share behind an `Arc`; keeps one NetSuite
/// client per integration so the account facts are probed once, not on every run.
pub struct Engine {
    store: Store,
    key: MasterKey,
    connector: Arc<dyn Connector>,
    clients: Mutex<HashMap<IntegrationId, ([u8; 32], Client)>>,
    /// Copies being computed after a run applied (see [`Engine::keep_applied`]): the run has
    /// ended; the next run of the integration waits for its copy instead of loading.
    filling: Mutex<HashMap<IntegrationId, tokio::task::JoinHandle<()>>>,
    metrics: Arc<Metrics>,
    /// Where every time it records (runs, audit entries) is read.
    clock: Arc<dyn Clock>,
    /// Where webhooks may go.
    webhooks: WebhookPolicy,
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
            filling: Mutex::default(),
            metrics: Arc::default(),
            clock: Arc::new(SystemClock),
            webhooks: WebhookPolicy::default(),
        }
    }

    /// The same engine with this webhook policy.
    #[must_use]
    pub fn with_webhook_policy(mut self, policy: WebhookPolicy) -> Self {
        self.webhooks = policy;
        self
    }

    /// Where webhooks may go.
    pub fn webhook_policy(&self) -> WebhookPolicy {
        self.webhooks
    }

    /// The same engine reading time from `clock` (a controlled one in tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The clock it reads time from.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.clock)
    }

    /// Now, by its clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Now, in milliseconds since the Unix epoch, by its clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
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
        audit: Audit,
    ) -> Result<RunId, EngineError> {
        let kind = request.kind();
        let options = RunOptions {
            preview: false,
            refresh,
            trigger,
            job: None,
        };
        let started = match self.start(integration, kind, options, Some(&audit)).await? {
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

    /// What NetSuite says about the integration's account and credentials ("Test connection"):
    /// asked by a new client, so the answer is today's and not what a kept client learnt.
    pub async fn probe(
        &self,
        integration: IntegrationId,
    ) -> Result<netsuite::AccountFacts, EngineError> {
        let integration = self.store.integration(integration).await?;
        Ok(self.client_with(&integration, true).await?.probe().await?)
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

    /// Applies the plan a run holds for confirmation, exactly as it was shown; `audit` (who
    /// confirmed it) commits with it, done to the run.
    #[tracing::instrument(skip_all, fields(integration = %integration, run = %run))]
    pub async fn confirm(
        &self,
        integration: IntegrationId,
        run: RunId,
        audit: Audit,
    ) -> Result<RunReport, EngineError> {
        let started = Instant::now();
        let lock = self.store.lock_integration(integration).await?;
        let result = self.confirm_locked(integration, run, audit, started).await;
        lock.release().await?;
        result
    }

    async fn confirm_locked(
        &self,
        integration: IntegrationId,
        run: RunId,
        audit: Audit,
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
        plan.run.finished_at_ms = audit.at_ms;
        let audit = audit
            .with("integration", integration.get())
            .with("deactivated", plan.run.counts.deactivated);
        self.store.apply_plan_audited(&plan, &audit).await?;
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

    /// Discards the plan the guard held for `run`: nothing of it is applied, and the run says so.
    /// Under the integration's run lock, so it cannot race a confirmation of the same run.
    pub async fn discard(
        &self,
        integration: IntegrationId,
        run: RunId,
        audit: Audit,
    ) -> Result<(), EngineError> {
        let lock = self.store.lock_integration(integration).await?;
        let audit = audit.with("integration", integration.get());
        let result = self.store.discard_held(run, &audit).await;
        lock.release().await?;
        match result? {
            true => Ok(()),
            false => Err(EngineError::NothingToConfirm(run)),
        }
    }

    /// The changes a run made (of one kind, or all), or for a run held for confirmation the
    /// changes it would make, skipping the first `skip`.
    pub async fn run_changes(
        &self,
        run: &nsync_core::Run,
        kind: Option<nsync_core::ChangeKind>,
        skip: u64,
        limit: u32,
    ) -> Result<Vec<nsync_core::Change>, EngineError> {
        if run.status == RunStatus::NeedsConfirmation {
            let plan = self.store.pending_plan(run.id).await?;
            let changes = plan.map(|p| p.changes).unwrap_or_default();
            let skip = usize::try_from(skip).unwrap_or(usize::MAX);
            return Ok(changes
                .into_iter()
                .filter(|c| kind.is_none_or(|k| c.kind == k))
                .skip(skip)
                .take(limit as usize)
                .collect());
        }
        Ok(match kind {
            Some(kind) => {
                self.store
                    .changes_of_kind(run.id, kind, skip, limit)
                    .await?
            }
            None => self.store.changes(run.id, skip, limit).await?,
        })
    }

    /// The integration's client, kept while what it was built from stays the same: the
    /// credentials are read from the store every time, so a change made by any process (this
    /// one's API, another server, the CLI) takes effect at the next run without anyone having
    /// to tell this engine.
    async fn client(&self, integration: &Integration) -> Result<Client, EngineError> {
        self.client_with(integration, false).await
    }

    /// The kept client, or (when `fresh`, or when it was built from other credentials) a new
    /// one that is kept instead.
    async fn client_with(
        &self,
        integration: &Integration,
        fresh: bool,
    ) -> Result<Client, EngineError> {
        let credentials = self.store.credentials(&self.key, integration.id).await?;
        let stamp = client_stamp(integration, &credentials);
        if let Some((kept, client)) = lock(&self.clients).get(&integration.id) {
            if *kept == stamp && !fresh {
                return Ok(client.clone());
            }
        }
        let observer = self.metrics.for_account(integration.account.as_str());
        let client = self
            .connector
            .connect(integration, &credentials, observer)?;
        lock(&self.clients).insert(integration.id, (stamp, client.clone()));
        Ok(client)
    }
}

/// A digest of what a client is built from (the account and the credentials), so that the
/// kept client is compared without keeping a second copy of the secrets.
fn client_stamp(integration: &Integration, credentials: &nsync_core::Credentials) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut digest = Sha256::new();
    digest.update(integration.account.as_str().as_bytes());
    digest.update([0]);
    digest.update(credentials.to_plaintext());
    digest.finalize().into()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
