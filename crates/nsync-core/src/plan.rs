//! The plan: everything one run writes, applied by the store in one transaction.

use serde::{Deserialize, Serialize};

use crate::{
    Change, CustomFieldId, IntegrationId, Level, MirrorRecord, OptionName, OptionState, RunCounts,
    RunId, RunStatus, UpstreamKey,
};

/// The state one integrated option must have after the plan is applied.
///
/// A plan states outcomes, not edits: inserting, renaming, moving, (de)activating, removing
/// here and restoring are all "make the option of this record look like this". That is what
/// makes applying a plan twice write nothing the second time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionUpsert {
    /// The upstream record the option stands for (unique within its field).
    pub upstream: UpstreamKey,
    /// The upstream record of its parent option; absent at level 1. The parent must already
    /// exist or come earlier in [`Plan::options`].
    pub parent: Option<UpstreamKey>,
    /// Its depth.
    pub level: Level,
    /// Its name.
    pub name: OptionName,
    /// The project number.
    pub number: Option<String>,
    /// Active, or inactive and why.
    pub state: OptionState,
    /// Removed here (set by an administrator; an import restores it).
    pub removed_here: bool,
    /// Why NetSuite's record is flawed, when it is (a bad name, an unknown status): the option
    /// keeps the last good value of that field and says why.
    pub flaw: Option<String>,
}

/// How the run ends, written with the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// The run, started beforehand with the store's `start_run`.
    pub id: RunId,
    /// Succeeded, failed or needs confirmation.
    pub status: RunStatus,
    /// Counts by kind of change.
    pub counts: RunCounts,
    /// NetSuite requests made.
    pub netsuite_requests: u32,
    /// When it ended, in milliseconds since the Unix epoch.
    pub finished_at_ms: i64,
    /// The plain-language error when it failed.
    pub error: Option<String>,
}

/// Everything one run writes. The planner builds it from data alone; the store applies it in
/// one transaction, so the database holds either the old state or the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The integration.
    pub integration: IntegrationId,
    /// Its integrated field, where the options live.
    pub field: CustomFieldId,
    /// Mirror records to insert or replace (clears a tombstone).
    pub mirror_upserts: Vec<MirrorRecord>,
    /// Mirror records to drop entirely (e.g. gone from the subsidiary's scope for good).
    pub mirror_removals: Vec<UpstreamKey>,
    /// Options to bring to the given state, parents before children.
    pub options: Vec<OptionUpsert>,
    /// The change list, in order. Options are referred to by upstream record.
    pub changes: Vec<Change>,
    /// How the run ends.
    pub run: RunOutcome,
    /// The new incremental-read cursor; `None` leaves the stored one as it is.
    pub cursor: Option<serde_json::Value>,
}
