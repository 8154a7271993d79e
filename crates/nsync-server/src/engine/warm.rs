//! The mirror and options of recently run integrations, kept in memory between runs.
//!
//! Loading 100,000 mirror records and 80,000 options from the store costs far more than an
//! incremental update's reads of NetSuite, so a long-lived process (the server, a worker) keeps
//! what its last run left behind. A copy is used only while the integration's state version in
//! the store still equals the copy's: every change to the mirror or the field's options moves
//! that version in its own transaction (a plan, a removal here, from any process), so a copy is
//! either exact or ignored. The copy is read *after* the version it is stamped with, so it is
//! never older than its stamp: a change in between only makes the next run load afresh.

use std::collections::HashMap;
use std::sync::Arc;

use nsync_core::reads::Delta;
use nsync_core::{
    CustomFieldId, IntegrationId, Level, OptionId, OptionName, OptionState, OptionUpsert,
    StoredOption, UpstreamKey,
};

use nsync_store::{Applied, Store};

use super::mirror::Mirror;
use super::{lock, Engine};

/// Records (mirror records plus options) kept across all integrations: a few hundred bytes
/// each, so a few hundred megabytes at most. The least recently used integration goes first.
const CAPACITY: usize = 1_000_000;

/// One integration's state as of a state version.
pub(crate) struct Warm {
    pub version: i64,
    pub mirror: Mirror,
    pub options: Vec<StoredOption>,
}

impl Warm {
    fn size(&self) -> usize {
        self.mirror.len() + self.options.len()
    }
}

/// The kept copies, by integration.
#[derive(Default)]
pub(crate) struct WarmCache {
    entries: HashMap<IntegrationId, (u64, Warm)>,
    tick: u64,
}

impl WarmCache {
    /// Takes the copy of `integration` out if it is exactly at `version`; a stale one is dropped.
    pub fn take(&mut self, integration: IntegrationId, version: i64) -> Option<Warm> {
        let (_, warm) = self.entries.remove(&integration)?;
        (warm.version == version).then_some(warm)
    }

    /// Keeps `warm`, then lets the least recently kept copies go until the total fits.
    pub fn put(&mut self, integration: IntegrationId, warm: Warm) {
        if warm.size() > CAPACITY {
            return;
        }
        self.tick += 1;
        self.entries.insert(integration, (self.tick, warm));
        while self.entries.values().map(|(_, w)| w.size()).sum::<usize>() > CAPACITY {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (tick, _))| *tick)
                .map(|(id, _)| *id)
            else {
                break;
            };
            self.entries.remove(&oldest);
        }
    }
}

/// The options of `field` as the store holds them once `upserts` are applied, computed in
/// memory. `new_ids` gives the ids the store gave options that did not exist before. `None` when
/// an upsert names an option or a parent that neither `options` nor `new_ids` knows, or a new id
/// has no upsert (the copy would be a guess; the next run loads instead).
pub(crate) fn options_after(
    field: CustomFieldId,
    mut options: Vec<StoredOption>,
    upserts: &[OptionUpsert],
    new_ids: &[(UpstreamKey, OptionId)],
) -> Option<Vec<StoredOption>> {
    let mut index: HashMap<UpstreamKey, usize> = options
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.upstream.map(|k| (k, i)))
        .collect();
    let mut unfilled = std::collections::HashSet::new();
    for (key, id) in new_ids {
        if index.contains_key(key) {
            return None;
        }
        index.insert(*key, options.len());
        unfilled.insert(*key);
        options.push(StoredOption {
            id: *id,
            field,
            parent: None,
            level: Level::TOP,
            name: OptionName::from_stored(String::new()),
            number: None,
            state: OptionState::Active,
            removed_here: false,
            upstream: Some(*key),
            upstream_parent: None,
            flaw: None,
        });
    }
    // Parents come before their children in a plan, so a parent's id is known by then.
    for upsert in upserts {
        let parent = match upsert.parent {
            Some(key) => Some(options[*index.get(&key)?].id),
            None => None,
        };
        let option = &mut options[*index.get(&upsert.upstream)?];
        option.parent = parent;
        option.level = upsert.level;
        option.name = upsert.name.clone();
        option.number = upsert.number.clone();
        option.state = upsert.state;
        option.removed_here = upsert.removed_here;
        option.upstream_parent = upsert.parent;
        option.flaw = upsert.flaw.clone();
        unfilled.remove(&upsert.upstream);
    }
    if !unfilled.is_empty() {
        return None;
    }
    options.sort_by_key(|o| o.id);
    Some(options)
}

impl Engine {
    /// Keeps a state that nothing of this run changed, for the next run.
    pub(super) fn keep_warm(
        &self,
        integration: IntegrationId,
        version: i64,
        mirror: Mirror,
        options: Vec<StoredOption>,
    ) {
        let warm = Warm {
            version,
            mirror,
            options,
        };
        lock(&self.warm).put(integration, warm);
    }

    /// Keeps the state an applied plan left, computed in memory, for the next run. The run has
    /// ended by then (its plan is committed), so this goes on in a task of its own, and the next
    /// run of the integration waits for it (see [`Engine::prepare`]). Never fails anything: at
    /// worst the next run loads from the store.
    pub(super) fn keep_applied(&self, integration: IntegrationId, kept: Applying) {
        let (store, warm) = (self.store.clone(), Arc::clone(&self.warm));
        let task = tokio::spawn(async move {
            if let Some(state) = kept.state_after(&store).await {
                lock(&warm).put(integration, state);
            }
        });
        if let Some(earlier) = lock(&self.filling).insert(integration, task) {
            // Runs of one integration are one at a time, so an earlier copy has long been kept.
            earlier.abort();
        }
    }
}

/// What a run that applied leaves for the in-memory copy of its integration.
pub(super) struct Applying {
    pub(super) field: CustomFieldId,
    /// The state version the run read its state at.
    pub(super) version: i64,
    pub(super) applied: Applied,
    /// The mirror the run read, and what the run changed in it.
    pub(super) prior: Mirror,
    pub(super) delta: Delta,
    /// The options as the run read them.
    pub(super) options: Vec<StoredOption>,
    pub(super) upserts: Vec<OptionUpsert>,
    pub(super) added: u32,
}

impl Applying {
    /// The state after the plan, computed in memory, when the store confirms that this plan was
    /// the only change since the state was read.
    async fn state_after(self, store: &Store) -> Option<Warm> {
        // Any other version means another change (a removal here, say) came between: what this
        // process holds would miss it.
        let changed = i64::from(self.applied.state_changed);
        if self.applied.state_version != self.version + changed {
            return None;
        }
        // Ids of options this plan added: the store gave them, above every id known here. (Should
        // the count ever disagree with the upserts, `options_after` refuses to guess.)
        let new_ids = if self.added == 0 {
            Vec::new()
        } else {
            let after = self.options.iter().map(|o| o.id).max();
            match store.integrated_option_ids_after(self.field, after).await {
                Ok(ids) => ids,
                Err(err) => {
                    tracing::debug!(error = %err, "options not kept in memory");
                    return None;
                }
            }
        };
        let options = options_after(self.field, self.options, &self.upserts, &new_ids)?;
        let mut mirror = self.prior;
        self.delta.apply(&mut mirror);
        Some(Warm {
            version: self.applied.state_version,
            mirror,
            options,
        })
    }
}
