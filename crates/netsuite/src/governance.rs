//! One concurrency budget per NetSuite account, shared by every `Client` in the process.
//!
//! NetSuite's concurrency limit is per account and shared with the customer's other
//! integrations, so two syncs of the same account must not each take the whole budget.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::Semaphore;

/// An HTTP client for NetSuite clients to share (see [`crate::ClientConfig::http`]): one
/// connection pool per host, idle connections dropped after 30 s.
pub fn http_client(connect_timeout: std::time::Duration) -> Result<reqwest::Client, crate::Error> {
    reqwest::Client::builder()
        .user_agent(concat!("nsync/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .pool_max_idle_per_host(32)
        .build()
        .map_err(|e| crate::Error::Config(format!("HTTP client: {e}")))
}

/// The budget registry key: the account, plus the base URL when an operator overrides it (two
/// emulators with the same account id are two accounts).
pub(crate) type BudgetKey = (String, Option<String>);

fn registry() -> &'static Mutex<HashMap<BudgetKey, Arc<Semaphore>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<BudgetKey, Arc<Semaphore>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The shared semaphore of an account. The first client of an account sets its size; later
/// clients share it whatever they ask for (a log line says so), because the limit is the
/// account's, not the caller's.
pub(crate) fn budget_for(key: BudgetKey, size: usize) -> Arc<Semaphore> {
    let mut map = registry()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let sem = map
        .entry(key.clone())
        .or_insert_with(|| Arc::new(Semaphore::new(size.max(1))));
    if sem.available_permits() > size.max(1) {
        tracing::debug!(account = %key.0, requested = size, "sharing an existing account budget");
    }
    Arc::clone(sem)
}

/// Holds one of an account's request slots in a [`SharedBudget`]; dropping it gives the slot
/// back.
pub type SharedSlot = Box<dyn Send>;

/// An account's budget of requests in flight kept where every process of a deployment sees it
/// (nsync's database), for when several processes read the same account: a budget in one
/// process's memory cannot stop two processes from together exceeding NetSuite's limit.
/// A client holds a slot of its process's own budget first and then a shared one, so a
/// process never waits on the shared budget with more requests than the limit.
pub trait SharedBudget: Send + Sync + std::fmt::Debug {
    /// Waits for one of the `limit` slots of `account`.
    fn acquire<'a>(
        &'a self,
        account: &'a str,
        limit: usize,
    ) -> futures::future::BoxFuture<'a, Result<SharedSlot, crate::Error>>;
}
