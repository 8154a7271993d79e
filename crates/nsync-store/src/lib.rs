//! nsync persistence behind one interface: SQLite (embedded default) and PostgreSQL, chosen by
//! URL scheme, each with its own migrations. All of nsync's SQL lives here, one module per
//! aggregate.
//!
//! Owns: connecting and migrating, applying a planner's [`nsync_core::Plan`] in one
//! transaction, reading options (children, paths, typeahead search), the mirror, runs and
//! their change lists, the audit log, the job queue and the automatic update's slots, the per-integration run lock, users and
//! API tokens, and credentials encrypted at rest.
//!
//! Must not: hold business rules (those live in `nsync-core`; the store only calls them before
//! a manual write), talk to NetSuite, or log a secret.

mod accounts;
mod audit;
mod budget;
mod crypto;
mod error;
mod feed;
mod integrations;
mod jobs;
mod kept;
mod lock;
mod migrations;
mod mirror;
mod options;
mod plan;
mod row;
mod runs;
mod schedule;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod webhooks;

pub use accounts::{Company, NewApiToken, TokenOwner, User};
pub use audit::{Audit, AuditEntry, NewAuditEntry};
pub use budget::RequestSlot;
pub use crypto::{MasterKey, MASTER_KEY_ENV};
pub use error::StoreError;
pub use feed::{ChangeCause, FeedPage, FeedPosition, FieldChange};
pub use integrations::{CustomField, Integration, NewIntegration};
pub use jobs::{Job, JobStatus, LeasedJob};
pub use kept::{Kept, State};
pub use lock::RunLock;
pub use options::{ChildCursor, ChildrenPage, OptionTotals, SearchHit, Shown, PATH_SEPARATOR};
pub use plan::Applied;
pub use schedule::{NewJob, ScheduledIntegration};
pub use store::{Backend, Store, StoreConfig};
pub use webhooks::{AttemptOutcome, Delivery, DeliveryStatus, LeasedEndpoint, WebhookEndpoint};
