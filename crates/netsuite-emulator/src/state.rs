//! The shared state behind every route: accounts, clock, tokens, nonces, faults, log.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
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
}

/// An issued OAuth 2.0 access token.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub(crate) account: usize,
    pub(crate) expires: DateTime<Utc>,
}

pub(crate) struct Shared {
    pub(crate) accounts: Vec<Arc<Account>>,
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
    /// Builds every account's database and loads its data (blocking: call off the runtime).
    pub(crate) fn build(config: &EmulatorConfig) -> Result<Self, EmulatorError> {
        let mut accounts = Vec::with_capacity(config.accounts.len());
        for account in &config.accounts {
            if accounts
                .iter()
                .any(|a: &Arc<Account>| a.id == account.account_id)
            {
                return Err(EmulatorError::DuplicateAccount(
                    account.account_id.to_string(),
                ));
            }
            accounts.push(Arc::new(build_account(account)?));
        }
        Ok(Self {
            accounts,
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
        self.accounts
            .iter()
            .find(|a| a.id.host_label() == label.to_ascii_lowercase())
    }

    pub(crate) fn account_by_id(&self, id: &str) -> Option<&Arc<Account>> {
        let id = AccountId::parse(id).ok()?;
        self.accounts.iter().find(|a| a.id == id)
    }

    pub(crate) fn account_index(&self, account: &Account) -> usize {
        self.accounts
            .iter()
            .position(|a| a.id == account.id)
            .unwrap_or(usize::MAX)
    }
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
