//! The mirror and options of recently run integrations, kept in memory beside the state version.
//!
//! Loading 100,000 mirror records and 80,000 options costs far more than an incremental
//! update's reads of NetSuite, so a long-lived process (the server, a worker) keeps what its last
//! run left behind. A copy is used only while the integration's state version in the database
//! still equals the copy's: every change to the mirror or the field's options moves that version
//! in its own transaction (a plan, a removal here, from any process), so a copy is either exact
//! or ignored. The version is read *before* the copy is handed out, so what a run reads is never
//! older than its stamp: a change in between only makes the next run load afresh.
//!
//! After a plan the options are not replayed: the copy takes the rows the database returned as
//! written (`Applied::options`) and merges them by id.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use nsync_core::reads::Mirror;
use nsync_core::{IntegrationId, StoredOption};

use crate::{Applied, Store, StoreError};

/// Records (mirror records plus options) kept across all integrations, at about 600 bytes each
/// (a worker of the Monday storm, `bench/storm.sh`, held 446 MB with a million): about 150 MB.
const CAPACITY: u64 = 250_000;

/// A copy nobody ran for this long goes: the weekly automatic update of most integrations runs
/// again a week later, likely on another worker, and its copy only took memory meanwhile. An
/// integration updated often (NetSuite notifications, people) keeps its copy.
const IDLE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// An integration's mirror and the integrated options of its field, as of a state version.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Kept {
    /// The mirror records, by record.
    pub mirror: Mirror,
    /// The integrated options, by id.
    pub options: Vec<StoredOption>,
}

impl Kept {
    fn weight(&self) -> u32 {
        u32::try_from(self.mirror.len() + self.options.len()).unwrap_or(u32::MAX)
    }
}

/// An integration's state version, and the copy kept at exactly that version, if any.
#[derive(Debug)]
pub struct State {
    /// The version, read before the copy was taken.
    pub version: i64,
    /// The copy at `version`; `None` means load it from the store.
    pub kept: Option<Kept>,
}

/// One integration's copy. The cache may hold on to a value a while after it is removed (its
/// maintenance is deferred), so the copy is moved out of the slot rather than out of the `Arc`:
/// a run takes it without cloning 100,000 records.
struct Slot {
    version: i64,
    weight: u32,
    kept: Mutex<Option<Kept>>,
}

/// The copies, by integration, weighed by their records; the least recently used goes first.
#[derive(Clone)]
pub(crate) struct KeptStates(Cache<IntegrationId, Arc<Slot>>);

impl Default for KeptStates {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(CAPACITY)
                .weigher(|_, slot: &Arc<Slot>| slot.weight)
                // Recency, not frequency: the integration that just ran is the one to keep.
                .eviction_policy(EvictionPolicy::lru())
                .time_to_idle(IDLE)
                .build(),
        )
    }
}

impl Store {
    /// The integration's state version, and the copy kept at that version, taken out (a run
    /// owns it until it gives it back with [`Store::keep_state`] or [`Store::keep_applied`]).
    pub async fn take_state(&self, integration: IntegrationId) -> Result<State, StoreError> {
        let version = self.state_version(integration).await?;
        let kept = self
            .kept
            .0
            .remove(&integration)
            .filter(|slot| slot.version == version)
            .and_then(|slot| slot.kept.lock().unwrap_or_else(|p| p.into_inner()).take());
        Ok(State { version, kept })
    }

    /// Keeps a state read at `version` that nothing has changed since.
    pub fn keep_state(&self, integration: IntegrationId, version: i64, kept: Kept) {
        let slot = Slot {
            version,
            weight: kept.weight(),
            kept: Mutex::new(Some(kept)),
        };
        self.kept.0.insert(integration, Arc::new(slot));
    }

    /// Keeps the state an applied plan left: `options` as read at `read_at` with the rows the
    /// plan wrote merged in by id, and `mirror` as the plan left it. Kept only when the plan was
    /// the only change since `read_at` (any other version means another change, a removal here
    /// say, came between, and the copy would miss it). Returns whether it was kept.
    pub fn keep_applied(
        &self,
        integration: IntegrationId,
        read_at: i64,
        applied: Applied,
        mirror: Mirror,
        options: Vec<StoredOption>,
    ) -> bool {
        if applied.state_version != read_at + i64::from(applied.state_changed) {
            return false;
        }
        let options = merged(options, applied.options);
        self.keep_state(integration, applied.state_version, Kept { mirror, options });
        true
    }
}

/// `options` (in id order) with `written` in place of the rows of the same id and the new ones
/// added, in id order.
fn merged(mut options: Vec<StoredOption>, written: Vec<StoredOption>) -> Vec<StoredOption> {
    let index: HashMap<_, _> = options.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    let before = options.len();
    for option in written {
        match index.get(&option.id) {
            Some(&i) => options[i] = option,
            None => options.push(option),
        }
    }
    if options.len() > before {
        options.sort_unstable_by_key(|o| o.id);
    }
    options
}
