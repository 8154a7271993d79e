//! The one error type of the sync engine.

use nsync_core::{IntegrationId, RunId};
use nsync_store::StoreError;

/// Why a run (or a request for one) did not go through. Messages are for people: each says what
/// happened and, where there is something to do, what.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Another run of this integration is going on.
    #[error("integration {integration} is busy: {} is going on; try again when it has finished", .running.map_or_else(|| "another run".to_owned(), |r| format!("run {r}")))]
    Busy {
        /// The integration.
        integration: IntegrationId,
        /// The run going on, when it is already recorded.
        running: Option<RunId>,
    },
    /// NetSuite could not be read (the client's message says why and what to do).
    #[error(transparent)]
    NetSuite(#[from] netsuite::Error),
    /// The read came back in a shape that cannot be trusted (e.g. empty where records were).
    #[error("{0}; nothing was changed")]
    SuspiciousRead(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
    /// The integration's configuration cannot be used (account id, credentials, ...).
    #[error("the integration cannot connect to NetSuite: {0}")]
    Config(String),
    /// The integrated subsidiary is gone from NetSuite.
    #[error("subsidiary {0} no longer exists in NetSuite; nothing was changed: connect the integration to another subsidiary, or remove it")]
    SubsidiaryGone(nsync_core::SubsidiaryId),
    /// A confirmation for a run that holds no plan.
    #[error("run {0} is not waiting for a confirmation")]
    NothingToConfirm(RunId),
    /// A confirmation of a plan that a later run has overtaken.
    #[error("run {run} can no longer be confirmed: run {newer} changed the data after it; run Update again")]
    Stale {
        /// The held run.
        run: RunId,
        /// The later run.
        newer: RunId,
    },
    /// A run that started and then failed; it is recorded as failed with this message.
    #[error("run {run} failed: {source}")]
    RunFailed {
        /// The failed run.
        run: RunId,
        /// Why.
        #[source]
        source: Box<EngineError>,
    },
}

impl From<StoreError> for EngineError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Busy {
                integration,
                running,
            } => Self::Busy {
                integration,
                running,
            },
            other => Self::Store(other),
        }
    }
}
