//! Handing a run's state back to the store's in-memory copy (see `nsync_store::Kept`) once
//! the run is over, so the next run of the integration need not load it.

use nsync_core::reads::Delta;
use nsync_core::{IntegrationId, StoredOption};
use nsync_store::{Applied, Kept};

use super::mirror::Mirror;
use super::{lock, Engine};

impl Engine {
    /// Keeps a state that nothing of this run changed, for the next run.
    pub(super) fn keep_warm(
        &self,
        integration: IntegrationId,
        version: i64,
        mirror: Mirror,
        options: Vec<StoredOption>,
    ) {
        self.store
            .keep_state(integration, version, Kept { mirror, options });
    }

    /// Keeps the state an applied plan left, for the next run: the mirror with the run's delta
    /// applied, and the options with the rows the store wrote merged in. The run has ended by
    /// then (its plan is committed), so this goes on in a task of its own, and the next run of
    /// the integration waits for it (see `Engine::prepare`). Never fails anything: at worst the
    /// next run loads from the store.
    pub(super) fn keep_applied(&self, integration: IntegrationId, kept: Applying) {
        let store = self.store.clone();
        let task = tokio::spawn(async move {
            let Applying {
                version,
                applied,
                mut prior,
                delta,
                options,
            } = kept;
            delta.apply(&mut prior);
            if !store.keep_applied(integration, version, applied, prior, options) {
                tracing::debug!(%integration, "state changed meanwhile; not kept in memory");
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
    /// The state version the run read its state at.
    pub(super) version: i64,
    /// What the store wrote.
    pub(super) applied: Applied,
    /// The mirror the run read, and what the run changed in it.
    pub(super) prior: Mirror,
    pub(super) delta: Delta,
    /// The options as the run read them.
    pub(super) options: Vec<StoredOption>,
}
