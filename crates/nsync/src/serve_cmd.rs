//! `nsync serve` and `nsync worker`: configuration from flags and environment, wiring of store,
//! engine, the HTTP layer, the scheduler and the worker. Behaviour lives in `nsync-server`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures::FutureExt;
use nsync_server::automation::{Automation, AutomationConfig};
use nsync_server::http::{AppState, HttpConfig, SessionKey};
use nsync_server::webhooks::{Deliverer, DeliveryConfig, WebhookPolicy};
use nsync_server::{ClientSettings, Engine};
use nsync_store::{MasterKey, Store, StoreConfig};

/// What `serve` and `worker` share: the database, the master key, where NetSuite is.
#[derive(clap::Args)]
pub struct Common {
    /// Database: sqlite://PATH or postgres://USER@HOST/DB; default: SQLite in the data directory.
    #[arg(long, env = "NSYNC_DATABASE_URL")]
    database_url: Option<String>,
    /// Database connections this process opens at most. Over PostgreSQL each running job holds
    /// one (its run lock) for its whole length: --workers of them (and 2 more for runs started
    /// from the pages in `serve`) are kept for that, the rest serve queries.
    #[arg(long, env = "NSYNC_DATABASE_POOL", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    database_pool: u32,
    /// Where the default SQLite database lives.
    #[arg(long, env = "NSYNC_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// File with the master key (base64 of 32 bytes); default: $NSYNC_MASTER_KEY.
    #[arg(long, env = "NSYNC_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// Operator-only: send every NetSuite request here instead of NetSuite (the emulator).
    #[arg(long, env = "NSYNC_NETSUITE_BASE_URL")]
    netsuite_base_url: Option<url::Url>,
    /// Jobs (automatic and NetSuite-triggered updates) this process runs at once; 0 runs
    /// neither the scheduler nor the worker here.
    #[arg(long, env = "NSYNC_WORKERS", default_value_t = 4)]
    workers: usize,
    /// How long a job's lease lasts without a heartbeat: how soon another process takes over
    /// the jobs of one that died.
    #[arg(long, env = "NSYNC_JOB_LEASE_SECONDS", default_value_t = 60)]
    job_lease_seconds: u64,
    /// How often the scheduler looks for due automatic updates: a slot's updates are queued
    /// within this of its time.
    #[arg(long, env = "NSYNC_SCHEDULER_TICK_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    scheduler_tick_seconds: u64,
    /// Let webhooks go to loopback and private addresses (refused otherwise: an endpoint
    /// must not reach into the network nsync runs in).
    #[arg(long, env = "NSYNC_ALLOW_PRIVATE_WEBHOOKS")]
    allow_private_webhooks: bool,
    /// Tests and benchmarks only: a file holding seconds to add to the system clock, read again
    /// every 200 ms, so a benchmark can put the scheduler at Monday 05:59 and move it on to the
    /// next wave. NetSuite signatures keep the system clock.
    #[arg(long, env = "NSYNC_TEST_CLOCK_FILE", hide = true)]
    test_clock_file: Option<PathBuf>,
    /// Days the change feed and the webhook delivery log are kept.
    #[arg(long, env = "NSYNC_FEED_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..=3650))]
    feed_retention_days: u64,
}

impl Common {
    /// The clock the scheduler, the worker and the records read: the system's, or one moved by
    /// the test clock file.
    fn clock(&self) -> anyhow::Result<Arc<dyn netsuite::Clock>> {
        match &self.test_clock_file {
            None => Ok(Arc::new(netsuite::SystemClock)),
            Some(path) => Ok(FileOffsetClock::start(path.clone())?),
        }
    }

    fn lease(&self) -> Duration {
        Duration::from_secs(self.job_lease_seconds)
    }

    fn automate(&self) -> Automate {
        Automate {
            workers: self.workers,
            lease: self.lease(),
            tick: Duration::from_secs(self.scheduler_tick_seconds),
            retention: Duration::from_secs(self.feed_retention_days * 24 * 60 * 60),
        }
    }
}

/// Arguments of `nsync serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    common: Common,
    /// Address to listen on.
    #[arg(long, env = "NSYNC_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Mark cookies Secure (when served behind HTTPS).
    #[arg(long, env = "NSYNC_SECURE_COOKIES")]
    secure_cookies: bool,
}

/// Arguments of `nsync worker`.
#[derive(clap::Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    common: Common,
    /// Serve this process's Prometheus metrics at `/metrics` on this address (none by default).
    #[arg(long, env = "NSYNC_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
}

/// The store, the master key and an engine over them. `manual_runs`: runs people may start
/// here besides the jobs (from the pages and the API).
async fn open(common: &Common, manual_runs: u32) -> anyhow::Result<(Arc<Engine>, SessionKey)> {
    let key = match &common.master_key_file {
        Some(path) => MasterKey::from_file(path)?,
        None => MasterKey::from_env()?,
    };
    let url = match &common.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&common.data_dir)
                .with_context(|| format!("creating {}", common.data_dir.display()))?;
            format!("sqlite://{}", common.data_dir.join("nsync.db").display())
        }
    };
    let run_locks = u32::try_from(common.workers)
        .unwrap_or(u32::MAX)
        .saturating_add(manual_runs)
        .max(1);
    if url.starts_with("postgres") {
        anyhow::ensure!(
            common.database_pool >= run_locks.saturating_add(2),
            "--database-pool {} is too small: {run_locks} connections are kept for the runs this process may run at once (each holds one), and queries need at least two more",
            common.database_pool,
        );
    }
    let store = Store::connect_with(StoreConfig {
        max_connections: common.database_pool,
        run_lock_connections: Some(run_locks),
        ..StoreConfig::new(url)
    })
    .await
    .context("cannot open the database")?;
    // A dead process's slots free themselves no later than its jobs' leases.
    let hold = common
        .lease()
        .clamp(Duration::from_secs(3), nsync_server::budget::DEFAULT_HOLD);
    let shared_budget = nsync_server::budget::for_store(&store, hold);
    let settings = ClientSettings {
        base_url_override: common.netsuite_base_url.clone(),
        shared_budget,
        ..ClientSettings::default()
    };
    let session_key = SessionKey::derived_from(&key);
    // A run a crashed process left "running" is marked interrupted now, not at the next run of
    // its integration (the scheduler keeps looking every tick while it runs).
    let now_ms = chrono::Utc::now().timestamp_millis();
    for run in store.interrupt_orphaned_runs(now_ms).await? {
        tracing::warn!(run = %run, "a run whose process is gone was marked interrupted");
    }
    let policy = WebhookPolicy {
        allow_private: common.allow_private_webhooks,
    };
    let engine = Arc::new(
        Engine::new(store, key, Arc::new(settings))
            .with_webhook_policy(policy)
            .with_clock(common.clock()?),
    );
    Ok((engine, session_key))
}

/// How a process runs the automatic update and the webhooks.
pub struct Automate {
    /// Jobs at once (and webhook endpoints served at once); 0 for none here.
    pub workers: usize,
    /// A job's lease.
    pub lease: Duration,
    /// How often the scheduler looks for due slots.
    pub tick: Duration,
    /// How long the change feed and the delivery log are kept.
    pub retention: Duration,
}

/// The scheduler, `workers` workers and as many webhook deliverers, until `stop`; nothing but
/// waiting when `workers` is 0.
pub async fn automate(
    engine: &Arc<Engine>,
    settings: &Automate,
    stop: impl std::future::Future<Output = ()> + Clone,
) -> anyhow::Result<()> {
    let workers = settings.workers;
    if workers == 0 {
        stop.await;
        return Ok(());
    }
    let lease = settings.lease.max(Duration::from_secs(3));
    let config = AutomationConfig {
        concurrency: workers,
        lease,
        tick: settings.tick,
        retention: settings.retention,
        ..AutomationConfig::default()
    };
    let automation = Arc::new(Automation::new(Arc::clone(engine), engine.clock(), config));
    let deliverer = Arc::new(Deliverer::new(
        Arc::clone(engine),
        DeliveryConfig {
            concurrency: workers,
            lease,
            ..DeliveryConfig::default()
        },
    )?);
    tokio::join!(
        Arc::clone(&automation).run_scheduler(stop.clone()),
        automation.run_workers(stop.clone()),
        deliverer.run(stop),
    );
    Ok(())
}

/// Serves the pages and the API, with the scheduler and a worker, until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (engine, session_key) = open(&args.common, 2).await?;
    let state = AppState::new(
        Arc::clone(&engine),
        HttpConfig {
            session_key,
            secure_cookies: args.secure_cookies,
        },
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    eprintln!("nsync is serving at http://{}", listener.local_addr()?);
    let stop = stop_signal().shared();
    let automation = args.common.automate();
    let (served, automated) = tokio::join!(
        nsync_server::http::serve(listener, state, stop.clone()),
        automate(&engine, &automation, stop),
    );
    served?;
    automated?;
    engine.store().close().await;
    Ok(())
}

/// Runs the scheduler and the worker without the HTTP server, until Ctrl-C or SIGTERM.
pub async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.common.workers > 0,
        "a worker needs --workers of 1 or more"
    );
    let (engine, _) = open(&args.common, 0).await?;
    let stop = stop_signal().shared();
    let metrics = async {
        let Some(addr) = args.metrics_listen else {
            return Ok(());
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        eprintln!(
            "nsync worker metrics at http://{}/metrics",
            listener.local_addr()?
        );
        nsync_server::http::serve_metrics(listener, Arc::clone(&engine), stop.clone())
            .await
            .context("serving metrics")
    };
    eprintln!("nsync worker started ({} at once)", args.common.workers);
    let automation = args.common.automate();
    let (automated, served) = tokio::join!(automate(&engine, &automation, stop.clone()), metrics);
    automated?;
    served?;
    engine.store().close().await;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// The system clock moved by the seconds written in a file (tests and benchmarks only).
#[derive(Debug)]
struct FileOffsetClock {
    offset_ms: std::sync::atomic::AtomicI64,
}

impl FileOffsetClock {
    fn start(path: PathBuf) -> anyhow::Result<Arc<Self>> {
        let read = move || -> anyhow::Result<i64> {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the test clock file {}", path.display()))?;
            let seconds: f64 = text.trim().parse().with_context(|| {
                format!("the test clock file holds {:?}, not seconds", text.trim())
            })?;
            Ok((seconds * 1000.0) as i64)
        };
        let clock = Arc::new(Self {
            offset_ms: read()?.into(),
        });
        let kept = Arc::clone(&clock);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                match read() {
                    Ok(ms) => kept
                        .offset_ms
                        .store(ms, std::sync::atomic::Ordering::Relaxed),
                    Err(err) => tracing::warn!(error = %err, "keeping the last test clock offset"),
                }
            }
        });
        Ok(clock)
    }
}

impl netsuite::Clock for FileOffsetClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let offset = self.offset_ms.load(std::sync::atomic::Ordering::Relaxed);
        chrono::Utc::now() + chrono::Duration::milliseconds(offset)
    }
}
