//! NetSuite's concurrency limit kept in nsync's database, so that the processes of a deployment
//! (`nsync serve` and any number of `nsync worker`s over one PostgreSQL) together stay within
//! each account's limit: two integrations of one account run by two workers share its slots.
//!
//! A request takes a slot row before it is sent and gives it back when its answer is in. It
//! holds the row for `hold`, renewed every third of it while the request is in flight, so the
//! slots of a process that died free themselves within `hold`. Waiting for a slot polls, backing
//! off from 5 to 100 ms: a slot frees every few tens of milliseconds under load, and a wait
//! never outlasts NetSuite's answer to the request that holds the slot by more than the pause.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use netsuite::{SharedBudget, SharedSlot};
use nsync_store::{RequestSlot, Store};
use rand::Rng;

/// How long a slot is held without renewal by default.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(30);

/// The shared budget over the store.
pub struct StoreBudget {
    store: Store,
    /// This process: every slot it takes is held under a token of its own.
    holder: String,
    hold: Duration,
    /// Accounts whose slot rows this process has made sure of.
    seeded: Mutex<HashSet<(String, usize)>>,
}

/// The budget a process over `store` reads NetSuite with: over PostgreSQL several processes may
/// read one account, so its limit is kept in the database; SQLite serves one process, whose own
/// budget is the account's.
pub fn for_store(store: &Store, hold: Duration) -> Option<Arc<dyn SharedBudget>> {
    match store.backend() {
        nsync_store::Backend::Postgres => {
            let budget: Arc<dyn SharedBudget> = StoreBudget::new(store.clone(), hold);
            Some(budget)
        }
        nsync_store::Backend::Sqlite => None,
    }
}

impl StoreBudget {
    /// A budget over `store`, slots held for `hold` at a time.
    pub fn new(store: Store, hold: Duration) -> Arc<Self> {
        Arc::new(Self {
            store,
            holder: uuid::Uuid::new_v4().to_string(),
            hold,
            seeded: Mutex::default(),
        })
    }

    fn hold_ms(&self) -> i64 {
        millis(self.hold)
    }

    async fn take(
        &self,
        account: &str,
        limit: usize,
    ) -> Result<RequestSlot, nsync_store::StoreError> {
        let key = (account.to_owned(), limit);
        let seeded = self
            .seeded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&key);
        if !seeded {
            self.store.add_request_slots(account, limit).await?;
            self.seeded
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key);
        }
        let mut pause = Duration::from_millis(5);
        // Each taking has its own token, so a slot given back late (its release raced a
        // takeover after it ran out) cannot free another request's slot.
        let holder = format!("{}:{}", self.holder, uuid::Uuid::new_v4().simple());
        loop {
            let now = chrono::Utc::now().timestamp_millis();
            let until = now + self.hold_ms();
            if let Some(slot) = self
                .store
                .take_request_slot(account, limit, &holder, now, until)
                .await?
            {
                return Ok(slot);
            }
            let jitter = rand::thread_rng().gen_range(0..=pause.as_millis() as u64 / 2);
            tokio::time::sleep(pause + Duration::from_millis(jitter)).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }
}

impl fmt::Debug for StoreBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreBudget")
            .field("hold", &self.hold)
            .finish_non_exhaustive()
    }
}

impl SharedBudget for StoreBudget {
    fn acquire<'a>(
        &'a self,
        account: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<SharedSlot, netsuite::Error>> {
        Box::pin(async move {
            let slot = self
                .take(account, limit)
                .await
                .map_err(|e| netsuite::Error::Budget(e.to_string()))?;
            let held: SharedSlot = Box::new(Held::new(self.store.clone(), slot, self.hold));
            Ok(held)
        })
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 4)
}

/// A slot held while its request is in flight: renewed in the background, given back on drop.
struct Held {
    store: Store,
    slot: Option<RequestSlot>,
    renewal: tokio::task::JoinHandle<()>,
}

impl Held {
    fn new(store: Store, slot: RequestSlot, hold: Duration) -> Self {
        let renewal = {
            let store = store.clone();
            let slot = slot.clone();
            let hold_ms = millis(hold);
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(hold / 3).await;
                    let until = chrono::Utc::now().timestamp_millis() + hold_ms;
                    match store.renew_request_slot(&slot, until).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(account = %slot.account, "a NetSuite request outlived its shared slot");
                            return;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "could not renew a shared NetSuite slot")
                        }
                    }
                }
            })
        };
        Self {
            store,
            slot: Some(slot),
            renewal,
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.renewal.abort();
        if let Some(slot) = self.slot.take() {
            let store = self.store.clone();
            // Dropped in async code (the request path), so a runtime is there; should the
            // release not happen, the slot frees itself when its hold runs out.
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(err) = store.release_request_slot(&slot).await {
                        tracing::warn!(error = %err, "could not give a shared NetSuite slot back");
                    }
                });
            }
        }
    }
}
