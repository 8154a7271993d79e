//! The client: configuration, construction, `probe` and the small reads. Big reads are in
//! `client/reads.rs`.

mod reads;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono_tz::Tz;
use tokio::sync::OnceCell;
use url::Url;

use crate::account::AccountId;
use crate::auth::Auth;
use crate::clock::{Clock, SystemClock};
use crate::decode::RawRow;
use crate::error::Error;
use crate::governance;
use crate::model::{AccountFacts, ProjectStatus, Subsidiary, SubsidiaryId};
use crate::observe::Observer;
use crate::plan::IdStats;
use crate::records::{self, DecodeCtx};
use crate::retry::RetryPolicy;
use crate::transport::{SharedAccess, TokenCache, Transport};

/// Everything a [`Client`] needs. Build it with [`ClientConfig::new`] and adjust fields.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The NetSuite account.
    pub account: AccountId,
    /// Credentials.
    pub auth: Auth,
    /// An operator-only override of `https://<account>.suitetalk.api.netsuite.com` (the emulator).
    /// Never derive it from tenant input: it decides where the credentials are sent.
    pub base_url_override: Option<Url>,
    /// Requests in flight at once for this account, shared by every client in the process
    /// (NetSuite's limit is per account and shared with other integrations). Default 4.
    pub concurrency: usize,
    /// Timeout of one request, body included.
    pub request_timeout: Duration,
    /// Timeout of establishing a connection.
    pub connect_timeout: Duration,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// The account's time zone (Setup > Company > Company Information), which `TO_CHAR` renders
    /// datetimes in. SuiteQL does not expose it, so it is configured.
    pub time_zone: Tz,
    /// How far before a cursor incremental reads start, to catch edits made while the previous
    /// read ran and edits in the cursor's own second.
    pub overlap: Duration,
    /// Rows per page (NetSuite's maximum, 1000, unless a test wants smaller pages).
    pub page_size: u32,
    /// The clock for signatures and assertions.
    pub clock: Arc<dyn Clock>,
    /// Told the outcome of every request (for metrics); `None` by default.
    pub observer: Option<Arc<dyn Observer>>,
    /// The account's budget shared with other processes, held besides this process's own;
    /// `None` (this process's budget only) by default.
    pub shared_budget: Option<Arc<dyn crate::SharedBudget>>,
    /// An HTTP client shared with other clients (from [`crate::http_client`]); `None` builds
    /// one of its own. A process that reads many accounts shares one: a pool per client kept
    /// idle connections to every account it had read (a worker of thousands of integrations ran
    /// out of file descriptors in `bench/storm.sh`).
    pub http: Option<reqwest::Client>,
}

impl ClientConfig {
    /// Defaults: production host, budget 4, 120 s requests, default retries, UTC, 10 min overlap.
    pub fn new(account: AccountId, auth: Auth) -> Self {
        Self {
            account,
            auth,
            base_url_override: None,
            concurrency: 4,
            request_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            time_zone: Tz::UTC,
            overlap: Duration::from_secs(600),
            page_size: 1000,
            clock: Arc::new(SystemClock),
            observer: None,
            shared_budget: None,
            http: None,
        }
    }
}

/// A NetSuite client for one account. Cheap to clone; clones share the request counter.
#[derive(Debug, Clone)]
pub struct Client {
    transport: Arc<Transport>,
    config: Arc<ClientConfig>,
    facts: Arc<OnceCell<AccountFacts>>,
    /// The probe's first round trip (customers can be read).
    access: Arc<OnceCell<()>>,
    /// The smallest and largest id last seen per table: what sizes a read's histogram (see
    /// `client/reads.rs`). Learnt by the probe, widened by every read.
    spans: Arc<Mutex<HashMap<&'static str, IdSpan>>>,
    /// Set when NetSuite refused a histogram query: reads are sized the plain way from then on.
    histograms_refused: Arc<AtomicBool>,
    /// Pages the reads have planned so far (for progress).
    planned: Arc<AtomicU64>,
    /// What reads that did not wait for the probe proved about the account's shape.
    learnt: Arc<Mutex<Learnt>>,
}

/// What the reads' queries depend on: whether the account is OneWorld and has Projects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub one_world: bool,
    pub projects_enabled: bool,
}

impl From<&AccountFacts> for Shape {
    fn from(facts: &AccountFacts) -> Self {
        Self {
            one_world: facts.one_world,
            projects_enabled: facts.projects_enabled,
        }
    }
}

/// The parts of [`Shape`] that reads proved before the probe ran: a subsidiary's rows came back
/// (OneWorld), projects came back (Projects on). With both known, later reads (an Update after
/// an Import) need no probe.
#[derive(Debug, Default)]
struct Learnt {
    one_world: Option<bool>,
    projects_enabled: Option<bool>,
}

/// Ids from `min` to `max`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IdSpan {
    min: i64,
    max: i64,
}

impl Client {
    /// Builds a client. Nothing is sent until the first read.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let base = match &config.base_url_override {
            Some(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                url.clone()
            }
            Some(url) => {
                return Err(Error::Config(format!(
                    "base URL `{url}` is not an http(s) URL"
                )))
            }
            None => config.account.base_url(),
        };
        let http = match &config.http {
            Some(http) => http.clone(),
            None => governance::http_client(config.connect_timeout)?,
        };
        let key = (
            config.account.realm().to_owned(),
            config.base_url_override.as_ref().map(|u| u.to_string()),
        );
        let shared = config.shared_budget.clone().map(|budget| SharedAccess {
            budget,
            key: match &key.1 {
                Some(url) => format!("{}@{url}", key.0),
                None => key.0.clone(),
            },
            limit: config.concurrency.max(1),
        });
        let transport = Transport {
            http,
            base,
            account: config.account.clone(),
            auth: config.auth.clone(),
            tokens: TokenCache::default(),
            budget: governance::budget_for(key, config.concurrency),
            shared,
            retry: config.retry.clone(),
            clock: Arc::clone(&config.clock),
            timeout: config.request_timeout,
            requests: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            observer: config.observer.clone(),
        };
        Ok(Self {
            transport: Arc::new(transport),
            config: Arc::new(config),
            facts: Arc::default(),
            access: Arc::default(),
            spans: Arc::default(),
            histograms_refused: Arc::default(),
            planned: Arc::default(),
            learnt: Arc::default(),
        })
    }

    /// NetSuite requests made by this client so far (retries and token requests included).
    pub fn requests_made(&self) -> u64 {
        self.transport.requests()
    }

    /// SuiteQL pages answered so far, and pages the reads have planned so far (a read's plan
    /// is known once it is sized, so the second number grows while reads start): for progress.
    pub fn pages(&self) -> (u64, u64) {
        let read = self
            .transport
            .pages
            .load(std::sync::atomic::Ordering::Relaxed);
        let planned = self.planned.load(std::sync::atomic::Ordering::Relaxed);
        (read, planned.max(read))
    }

    /// The account this client reads.
    pub fn account(&self) -> &AccountId {
        &self.config.account
    }

    fn ctx(&self) -> DecodeCtx {
        DecodeCtx {
            tz: self.config.time_zone,
        }
    }

    /// Checks the credentials and permissions and learns the account's shape: OneWorld or not,
    /// Projects on or not. The answer is cached for the client's later reads.
    #[tracing::instrument(skip_all, fields(account = %self.config.account))]
    pub async fn probe(&self) -> Result<AccountFacts, Error> {
        self.facts
            .get_or_try_init(|| self.run_probe())
            .await
            .cloned()
    }

    pub(crate) async fn facts(&self) -> Result<AccountFacts, Error> {
        self.probe().await
    }

    /// The account's shape, if the probe or earlier reads have made it known.
    pub(crate) fn known_shape(&self) -> Option<Shape> {
        if let Some(facts) = self.facts.get() {
            return Some(Shape::from(facts));
        }
        let learnt = self.learnt.lock().unwrap_or_else(|p| p.into_inner());
        Some(Shape {
            one_world: learnt.one_world?,
            projects_enabled: learnt.projects_enabled?,
        })
    }

    /// The account's shape: known, or asked of the probe.
    pub(crate) async fn shape(&self) -> Result<Shape, Error> {
        match self.known_shape() {
            Some(shape) => Ok(shape),
            None => self.facts().await.map(|f| Shape::from(&f)),
        }
    }

    /// Notes what a read that did not wait for the probe proved.
    pub(crate) fn learn(&self, one_world: bool, projects_enabled: Option<bool>) {
        let mut learnt = self.learnt.lock().unwrap_or_else(|p| p.into_inner());
        learnt.one_world = Some(one_world);
        if projects_enabled.is_some() {
            learnt.projects_enabled = projects_enabled;
        }
    }

    /// The probe's customer query: it proves the credentials and learns the span of customer
    /// ids that sizes the customers' histogram. The probe's other queries go out beside it (one
    /// round trip for all four; refused credentials then cost four refused requests in NetSuite's
    /// audit trail instead of one, the price of a round trip less on every first read).
    pub(crate) async fn access(&self) -> Result<(), Error> {
        self.access
            .get_or_try_init(|| async {
                self.try_table("customer", "c.id").await?.map_err(|detail| {
                    Error::InsufficientPermission {
                        detail: format!(
                            "cannot read customers ({detail}): add Lists > Customers (View)"
                        ),
                    }
                })
            })
            .await
            .copied()
    }

    async fn run_probe(&self) -> Result<AccountFacts, Error> {
        let mut warnings = Vec::new();
        // Four independent reads: one round trip of latency instead of four.
        let (access, subsidiaries, projects, deletions_ok) = tokio::join!(
            self.access(),
            self.try_table("subsidiary", "s.id"),
            self.try_table("job", "j.id"),
            self.try_table("deletedrecord", "d.recordid"),
        );
        // The customers' answer first: it says best what is wrong with the credentials.
        access?;
        let (subsidiaries, projects, deletions_ok) = (subsidiaries?, projects?, deletions_ok?);
        let one_world = subsidiaries.is_ok();
        let projects_enabled = match projects {
            Ok(()) => true,
            Err(_) => {
                warnings.push(Error::ProjectsDisabled.to_string());
                false
            }
        };
        if let Err(detail) = &deletions_ok {
            warnings.push(format!(
                "the role cannot read deleted records ({detail}): add Lists > Deleted Records (View), \
                 or deletions in NetSuite will not reach nsync"
            ));
        }
        Ok(AccountFacts {
            account: self.config.account.to_string(),
            one_world,
            projects_enabled,
            time_zone: self.config.time_zone.name().to_owned(),
            permissions_ok: deletions_ok.is_ok(),
            warnings,
        })
    }

    /// `Ok(Ok)` when `table` can be read; `Ok(Err(detail))` when NetSuite says the table does
    /// not exist or may not be read; other errors (login, transport) are errors. It asks for the
    /// smallest and largest id, which cost NetSuite no more than one row and size later reads.
    async fn try_table(&self, table: &'static str, id: &str) -> Result<Result<(), String>, Error> {
        let alias = &id[..1];
        let q = format!(
            "SELECT MIN({id}) AS minid, MAX({id}) AS maxid, COUNT(*) AS total FROM {table} {alias}"
        );
        match self.transport.suiteql(&q, 1, 0).await {
            Ok(page) => {
                let stats = page
                    .items
                    .into_iter()
                    .next()
                    .and_then(|item| records::id_stats(&RawRow::new(table, item)));
                self.saw_ids(table, stats);
                Ok(Ok(()))
            }
            Err(Error::InvalidQuery { detail })
            | Err(Error::InsufficientPermission { detail })
            | Err(Error::Rejected { detail, .. }) => Ok(Err(detail)),
            Err(e) => Err(e),
        }
    }

    /// Widens the span of ids known for `table` to take in `stats`.
    fn saw_ids(&self, table: &'static str, stats: Option<IdStats>) {
        let Some(stats) = stats.filter(|s| s.count > 0 && s.min <= s.max) else {
            return;
        };
        let mut spans = self.spans.lock().unwrap_or_else(|p| p.into_inner());
        let span = spans.entry(table).or_insert(IdSpan {
            min: stats.min,
            max: stats.max,
        });
        span.min = span.min.min(stats.min);
        span.max = span.max.max(stats.max);
    }

    fn span(&self, table: &str) -> Option<IdSpan> {
        let spans = self.spans.lock().unwrap_or_else(|p| p.into_inner());
        spans.get(table).copied()
    }

    /// The account's project statuses (empty without the Projects feature), for choosing which
    /// count as closed. A role that may not read them gets a permission error that names the
    /// list, never an empty answer that would look like an account without statuses.
    pub async fn project_statuses(&self) -> Result<Vec<ProjectStatus>, Error> {
        if !self.facts().await?.projects_enabled {
            return Ok(Vec::new());
        }
        let page = match self
            .transport
            .suiteql(records::PROJECT_STATUSES, 1000, 0)
            .await
        {
            Ok(page) => page,
            Err(Error::InvalidQuery { detail }) if detail.contains("entitystatus") => {
                return Err(Error::InsufficientPermission {
                    detail: format!(
                        "the project statuses (entitystatus) cannot be read ({detail}); nsync \
                         needs them to tell closed projects"
                    ),
                })
            }
            Err(other) => return Err(other),
        };
        if page.has_more {
            return Err(Error::Decode("more than 1000 project statuses".into()));
        }
        page.items
            .into_iter()
            .map(|item| records::project_status(&RawRow::new("entitystatus", item)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Decode(e.to_string()))
    }

    /// Every subsidiary except elimination subsidiaries; empty on non-OneWorld accounts. A row that
    /// cannot be decoded is logged and left out.
    pub async fn subsidiaries(&self) -> Result<Vec<Subsidiary>, Error> {
        if !self.facts().await?.one_world {
            return Ok(Vec::new());
        }
        let page = self
            .transport
            .suiteql(records::SUBSIDIARIES, 1000, 0)
            .await?;
        if page.has_more {
            return Err(Error::Decode("more than 1000 subsidiaries".into()));
        }
        // A subsidiary that cannot be decoded is left out (and logged) rather than failing the
        // whole list: the person picking a subsidiary can still pick the others.
        let decoded = page
            .items
            .into_iter()
            .map(|item| records::subsidiary(&RawRow::new("subsidiary", item)));
        Ok(decoded
            .filter_map(|row| {
                row.map_err(|e| tracing::warn!(error = %e, "subsidiary left out"))
                    .ok()
            })
            .collect())
    }

    /// Whether subsidiary `id` still exists (one request, so that a run can ask beside its
    /// read): an integration whose subsidiary was deleted reads nothing of it, which must not
    /// pass for "nothing changed" or for "everything left".
    pub async fn subsidiary_exists(&self, id: SubsidiaryId) -> Result<bool, Error> {
        let q = format!("SELECT id FROM subsidiary WHERE id = {}", id.0);
        let page = self.transport.suiteql(&q, 1, 0).await?;
        Ok(!page.items.is_empty())
    }
}
