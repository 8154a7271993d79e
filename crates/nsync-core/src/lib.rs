//! nsync domain types, rules and the data the planner produces. Pure: no I/O, no async, no SQL.
//!
//! Owns: typed values with one fallible constructor each (ids, account id, option names, time
//! zones, ...), integration settings and their defaults, the rules on integrated and manual custom
//! fields, the upstream mirror record, runs and their change list, and the [`Plan`] that the
//! planner returns and the store applies in one transaction, and the mirror's rules (what a
//! NetSuite read makes of the last known state, [`reads`]).
//!
//! Must not: touch the network, the disk or a database, nor depend on the NetSuite client crate.

mod credentials;
mod error;
mod feed;
mod ids;
mod mirror;
mod name;
mod option;
mod plan;
pub mod planner;
pub mod reads;
pub mod rules;
mod run;
pub mod schedule;
mod schema;
mod search;
mod settings;
mod status;
mod time;
mod user;

pub use credentials::{AuthKind, Credentials};
pub use error::Error;
pub use feed::{FeedCursor, WebhookEvent};
pub use ids::{
    AccountId, CompanyId, CustomFieldId, IntegrationId, JobId, OptionId, RecordId, RunId,
    SubsidiaryId, TokenId, UserId,
};
pub use mirror::{MirrorName, MirrorRecord, Stage};
pub use name::{person_display_name, NameRule, OptionName};
pub use option::{
    FieldKind, InactiveReason, Level, OptionState, StoredOption, UpstreamKey, UpstreamKind,
};
pub use plan::{OptionUpsert, Plan, RunOutcome};
pub use run::{
    Change, ChangeKind, Run, RunCounts, RunKind, RunPhase, RunProgress, RunStatus, RunTrigger,
};
pub use schedule::{Slot, Weekdays};
pub use search::fold_for_search;
pub use settings::{AutoUpdate, DeactivationGuard, IntegrationSettings};
pub use status::StatusPolicy;
pub use time::{LocalTime, TimeZone};
pub use user::{Email, Role};
