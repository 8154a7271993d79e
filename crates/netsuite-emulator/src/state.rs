//! The shared state behind every route: accounts, clock, tokens, nonces, faults, log.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use netsuite_emulator_db::{AccountData, Dataset, SchemaOptions};
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

use crate::account_id::AccountId;
use crate::clock::Clock;
use crate::config::{AccountConfig, DatasetChoice, EmulatorConfig, LatencyConfig, Strictness};
use crate::credentials::{OAuth2Integration, TbaCredentials};
use crate::faults::FaultPlan;
use crate::log::RequestLog;
use crate::EmulatorError;

/// One served account.
pub(crate) struct Account {
    pub(crate) id: AccountId,
    pub(crate) tba: TbaCredentials,
    pub(crate) oauth2: OAuth2Integration,
    pub(crate) db: Arc<AccountData>,
    pub(crate) inflight: AtomicUsize,
    pub(crate) limit: AtomicUsize,
    /// The TBA token and the OAuth 2.0 integration are revoked: every login fails.
    pub(crate) revoked: AtomicBool,
}

impl Account {
    /// Whether the account's credentials were revoked through the control API.
    pub(crate) fn is_revoked(&self) -> bool {
        self.revoked.load(Ordering::SeqCst)
    }
}

/// An issued OAuth 2.0 access token.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub(crate) account: usize,
    pub(crate) expires: DateTime<Utc>,
}

pub(crate) struct Shared {
    pub(crate) accounts: Vec<Arc<Account>>,
    /// Index into `accounts` by canonical id and by host label: thousands of accounts are
    /// looked up per request.
    by_id: HashMap<AccountId, usize>,
    by_label: HashMap<String, usize>,
    pub(crate) clock: Clock,
    pub(crate) log: RequestLog,
    pub(crate) faults: FaultPlan,
    pub(crate) seed: u64,
    pub(crate) latency: Mutex<LatencyConfig>,
    pub(crate) jitter_rng: Mutex<ChaCha8Rng>,
    pub(crate) tokens: Mutex<HashMap<String, IssuedToken>>,
    /// (token id, nonce, timestamp) already seen.
    pub(crate) nonces: Mutex<HashSet<(String, String, i64)>>,
    pub(crate) strictness: Strictness,
}

/// Locks a mutex whose data stays valid even if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Builds every account's database and loads its data (blocking: call off the runtime),
    /// on as many threads as there are cores: 2,000 small accounts take seconds, not minutes.
    pub(crate) fn build(config: &EmulatorConfig) -> Result<Self, EmulatorError> {
        let mut by_id = HashMap::with_capacity(config.accounts.len());
        let mut by_label = HashMap::with_capacity(config.accounts.len());
        for (i, account) in config.accounts.iter().enumerate() {
            if by_id.insert(account.account_id.clone(), i).is_some() {
                return Err(EmulatorError::DuplicateAccount(
                    account.account_id.to_string(),
                ));
            }
            by_label.insert(account.account_id.host_label(), i);
        }
        let accounts = build_accounts(&config.accounts)?;
        Ok(Self {
            accounts,
            by_id,
            by_label,
            clock: Clock::default(),
            log: RequestLog::default(),
            faults: FaultPlan::new(config.seed),
            seed: config.seed,
            latency: Mutex::new(config.latency),
            jitter_rng: Mutex::new(ChaCha8Rng::seed_from_u64(config.seed)),
            tokens: Mutex::new(HashMap::new()),
            nonces: Mutex::new(HashSet::new()),
            strictness: config.strictness,
        })
    }

    pub(crate) fn account_by_label(&self, label: &str) -> Option<&Arc<Account>> {
        let i = self.by_label.get(&label.to_ascii_lowercase())?;
        self.accounts.get(*i)
    }

    pub(crate) fn account_by_id(&self, id: &str) -> Option<&Arc<Account>> {
        let id = AccountId::parse(id).ok()?;
        self.account_by_canonical(&id)
    }

    /// The account whose canonical id is exactly `id` (no other spelling accepted).
    pub(crate) fn account_by_canonical(&self, id: &AccountId) -> Option<&Arc<Account>> {
        self.accounts.get(*self.by_id.get(id)?)
    }

    pub(crate) fn account_index(&self, account: &Account) -> usize {
        self.by_id.get(&account.id).copied().unwrap_or(usize::MAX)
    }
}

/// Builds the accounts in order, spread over the machine's cores (each thread takes the next
/// account not yet taken, so a few large accounts do not hold up one thread's share).
fn build_accounts(configs: &[AccountConfig]) -> Result<Vec<Arc<Account>>, EmulatorError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(configs.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let work = || {
        let mut built = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(config) = configs.get(i) else {
                return built;
            };
            let account = build_account(config);
            let failed = account.is_err();
            built.push((i, account));
            if failed {
                // Stop taking work; the other threads stop at their next account.
                next.store(configs.len(), Ordering::Relaxed);
                return built;
            }
        }
    };
    let mut built: Vec<(usize, Result<Account, EmulatorError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    built.sort_by_key(|(i, _)| *i);
    let accounts: Vec<_> = built
        .into_iter()
        .map(|(_, a)| a.map(Arc::new))
        .collect::<Result<_, _>>()?;
    if accounts.len() != configs.len() {
        return Err(EmulatorError::Startup(
            "a thread building accounts panicked".to_owned(),
        ));
    }
    Ok(accounts)
}

fn build_account(config: &AccountConfig) -> Result<Account, EmulatorError> {
    let options = SchemaOptions {
        one_world: config.one_world,
        projects_enabled: config.projects_enabled,
        time_zone: config.time_zone,
        date_format: config.date_format.clone(),
        status_lists_readable: config.status_lists_readable,
    };
    let db = AccountData::new(options).map_err(|e| EmulatorError::Database(e.to_string()))?;
    let dataset = match &config.dataset {
        DatasetChoice::Empty => None,
        DatasetChoice::Demo { seed } => Some(Dataset::demo(*seed)),
        DatasetChoice::Large { seed } => Some(Dataset::large(*seed)),
        DatasetChoice::Generated(spec) => Some(Dataset::generate(spec)),
    };
    if let Some(dataset) = dataset {
        db.load(&dataset)
            .map_err(|e| EmulatorError::Database(e.to_string()))?;
    }
    Ok(Account {
        id: config.account_id.clone(),
        tba: config.tba.clone(),
        oauth2: config.oauth2.clone(),
        db: Arc::new(db),
        inflight: AtomicUsize::new(0),
        limit: AtomicUsize::new(config.concurrency_limit),
        revoked: AtomicBool::new(false),
    })
}

/// Holds one of an account's concurrency slots; released on drop.
pub(crate) struct Slot(Arc<Account>);

impl Slot {
    /// Takes a slot, or `None` when the account is at its limit.
    pub(crate) fn acquire(account: &Arc<Account>) -> Option<Self> {
        let before = account.inflight.fetch_add(1, Ordering::SeqCst);
        if before >= account.limit.load(Ordering::SeqCst) {
            account.inflight.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Self(Arc::clone(account)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::SeqCst);
    }
}
