//! Prometheus metrics: runs by kind and status, run durations, NetSuite requests by outcome
//! (429s among them), jobs by outcome, abandoned leases taken over, the queue depth, and webhook
//! delivery attempts by outcome.
//!
//! Labels carry no tenant ids: the scrape is an operator's view of the whole deployment, and a
//! label per integration would grow without bound. The one exception is 429s by NetSuite
//! account: an operator needs to know which account runs into its limit, and the label exists
//! only for accounts that were throttled.

use std::fmt;
use std::time::Duration;

use netsuite::{Observer, Outcome};
use nsync_core::{RunKind, RunStatus};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    kind: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AccountLabels {
    account: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

type Durations = Family<KindLabels, Histogram, fn() -> Histogram>;

/// How a job ended, for [`Metrics::job_finished`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// Done.
    Completed,
    /// Failed for now; queued again with a delay.
    Retried,
    /// Gave up.
    Failed,
}

/// The metrics of one process. Shared behind an `Arc`; also the NetSuite clients' observer.
pub struct Metrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    run_seconds: Durations,
    netsuite_requests: Family<OutcomeLabels, Counter>,
    throttled: Counter,
    throttled_by_account: Family<AccountLabels, Counter>,
    jobs: Family<OutcomeLabels, Counter>,
    job_wait: Histogram,
    lease_expirations: Counter,
    queue_depth: Gauge,
    webhook_attempts: Family<OutcomeLabels, Counter>,
}

impl Metrics {
    /// Every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("nsync");
        let runs = Family::<RunLabels, Counter>::default();
        let run_seconds: Durations = Family::new_with_constructor(|| {
            // 0.1 s to about 27 minutes.
            Histogram::new(exponential_buckets(0.1, 2.0, 15))
        });
        let netsuite_requests = Family::<OutcomeLabels, Counter>::default();
        let throttled = Counter::default();
        let throttled_by_account = Family::<AccountLabels, Counter>::default();
        let jobs = Family::<OutcomeLabels, Counter>::default();
        // 50 ms to about 14 hours.
        let job_wait = Histogram::new(exponential_buckets(0.05, 2.0, 20));
        let lease_expirations = Counter::default();
        let queue_depth = Gauge::default();
        let webhook_attempts = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhook_attempts",
            "Webhook delivery attempts, by outcome (delivered, failed, disabled: the attempt after which its endpoint was disabled)",
            webhook_attempts.clone(),
        );
        registry.register(
            "runs",
            "Runs recorded, by kind and final status",
            runs.clone(),
        );
        registry.register(
            "run_duration_seconds",
            "Wall time of recorded runs, by kind",
            run_seconds.clone(),
        );
        registry.register(
            "netsuite_requests",
            "Requests sent to NetSuite, by outcome (ok, throttled, server_error, rejected, transport)",
            netsuite_requests.clone(),
        );
        registry.register(
            "netsuite_throttled",
            "Requests NetSuite refused with 429 (over the account's concurrency limit)",
            throttled.clone(),
        );
        registry.register(
            "netsuite_throttled_by_account",
            "Requests NetSuite refused with 429, by NetSuite account (only accounts that were throttled)",
            throttled_by_account.clone(),
        );
        registry.register(
            "job_wait_seconds",
            "How long a job waited between being due and being leased by a worker",
            job_wait.clone(),
        );
        registry.register(
            "jobs",
            "Background jobs finished, by outcome (completed, retried, failed)",
            jobs.clone(),
        );
        registry.register(
            "job_lease_expirations",
            "Jobs taken over after their worker's lease ran out (a dead or stalled process)",
            lease_expirations.clone(),
        );
        registry.register(
            "job_queue_depth",
            "Jobs waiting for a worker, due or not (read at scrape time)",
            queue_depth.clone(),
        );
        Self {
            registry,
            runs,
            run_seconds,
            netsuite_requests,
            throttled,
            throttled_by_account,
            jobs,
            job_wait,
            lease_expirations,
            queue_depth,
            webhook_attempts,
        }
    }

    /// A webhook delivery was tried: `"delivered"`, `"failed"` or `"disabled"`.
    pub fn webhook_attempt(&self, outcome: &'static str) {
        self.webhook_attempts
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// A recorded run ended (or stopped for a confirmation).
    pub fn run_finished(&self, kind: RunKind, status: RunStatus, took: Duration) {
        self.runs
            .get_or_create(&RunLabels {
                kind: kind.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.run_seconds
            .get_or_create(&KindLabels {
                kind: kind.to_string(),
            })
            .observe(took.as_secs_f64());
    }

    /// A job ended so.
    pub fn job_finished(&self, outcome: JobOutcome) {
        let outcome = match outcome {
            JobOutcome::Completed => "completed",
            JobOutcome::Retried => "retried",
            JobOutcome::Failed => "failed",
        };
        self.jobs
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// A worker leased a job that had been due for `waited`.
    pub fn job_leased(&self, waited: Duration) {
        self.job_wait.observe(waited.as_secs_f64());
    }

    /// The observer of one account's client: counts its requests here, and its 429s by account.
    pub fn for_account(self: &std::sync::Arc<Self>, account: &str) -> std::sync::Arc<dyn Observer> {
        std::sync::Arc::new(AccountObserver {
            metrics: std::sync::Arc::clone(self),
            account: account.to_owned(),
        })
    }

    /// A lease that ran out was taken over.
    pub fn lease_expired(&self) {
        self.lease_expirations.inc();
    }

    /// The Prometheus text exposition, with the queue depth as of now.
    pub fn encode(&self, queue_depth: i64) -> String {
        self.queue_depth.set(queue_depth);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Observer for Metrics {
    fn observe(&self, outcome: Outcome) {
        self.netsuite_requests
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str().to_owned(),
            })
            .inc();
        if outcome == Outcome::Throttled {
            self.throttled.inc();
        }
    }
}

/// [`Metrics`] as one account's client sees it.
struct AccountObserver {
    metrics: std::sync::Arc<Metrics>,
    account: String,
}

impl fmt::Debug for AccountObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountObserver")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Observer for AccountObserver {
    fn observe(&self, outcome: Outcome) {
        self.metrics.observe(outcome);
        if outcome == Outcome::Throttled {
            self.metrics
                .throttled_by_account
                .get_or_create(&AccountLabels {
                    account: self.account.clone(),
                })
                .inc();
        }
    }
}
