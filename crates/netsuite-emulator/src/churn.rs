//! Churn over many accounts at once: each account's records change as
//! `netsuite_emulator_db::AccountData::churn` decides, the accounts spread over the cores.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use netsuite_emulator_db::{ChurnReport, ChurnSpec, KindChurn, MutationError};
use sha2::{Digest as _, Sha256};

use crate::state::{lock, Account};

/// What a churn did over all the accounts it touched (the `POST /_emulator/churn` answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ChurnOutcome {
    /// Accounts churned.
    pub accounts: usize,
    /// Records changed, customers and projects.
    pub records_changed: usize,
    /// The emulated time the changes carry as `lastmodifieddate`.
    pub at: DateTime<Utc>,
    /// Customer records changed, by change.
    pub customers: KindChurn,
    /// Projects changed, by change.
    pub projects: KindChurn,
}

/// Each account's own seed, from the churn seed and the account id: accounts with the same
/// data do not all change the same records.
fn account_seed(seed: u64, account: &Account) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(account.id.as_str().as_bytes())
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// Churns `accounts` on as many threads as there are cores and adds up their reports. The
/// first account whose database fails stops the others at their next account.
pub(crate) fn churn_accounts(
    accounts: &[Arc<Account>],
    fraction: f64,
    seed: u64,
    now: DateTime<Utc>,
) -> Result<ChurnReport, MutationError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(accounts.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<MutationError>> = Mutex::new(None);
    let work = || {
        let mut total = ChurnReport::default();
        while let Some(account) = accounts.get(next.fetch_add(1, Ordering::Relaxed)) {
            let spec = ChurnSpec {
                fraction,
                seed: account_seed(seed, account),
            };
            match account.db.churn(spec, now) {
                Ok(report) => total.add(&report),
                Err(e) => {
                    lock(&failure).get_or_insert(e);
                    next.store(accounts.len(), Ordering::Relaxed);
                }
            }
        }
        total
    };
    let mut totals = ChurnReport::default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        for handle in handles {
            match handle.join() {
                Ok(report) => totals.add(&report),
                Err(_) => {
                    lock(&failure).get_or_insert(MutationError::Storage(
                        "a churn thread panicked".to_owned(),
                    ));
                }
            }
        }
    });
    match failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        Some(e) => Err(e),
        None => Ok(totals),
    }
}
