//! nsync runs: reading NetSuite into an integration's mirror (full or incremental), the Import
//! Customers list, Import, Update, previews, the mass-deactivation guard and its confirmation;
//! the automatic update's scheduler and the job worker; the HTTP layer; metrics.
//!
//! Owns orchestration only: I/O at the rim (the NetSuite client, the store), pure decisions in
//! `nsync-core`'s planner. Each run holds the integration's run lock, reads, plans, and hands
//! the store one plan to apply in one transaction, so a failure anywhere leaves the old state.
//!
//! Must not: bypass the planner or the store, write to NetSuite, or log a secret.

// The job worker's futures nest the engine's, which nest the NetSuite client's reads: their
// layout takes the compiler deeper than its default limit of 128 queries.
#![recursion_limit = "256"]

pub mod automation;
pub mod budget;
mod connector;
pub mod engine;
mod error;
pub mod http;
mod metrics;
mod ops;
#[cfg(feature = "testing")]
pub mod testing;
pub mod webhooks;

pub use connector::{parse_account_id, ClientSettings, Connector};
pub use engine::{
    Candidate, CandidatePage, CandidateQuery, CandidateStatus, Engine, ParentFilter, Phases,
    RefreshMode, RunOptions, RunReport, RunRequest,
};
pub use error::EngineError;
pub use metrics::{JobOutcome, Metrics};
