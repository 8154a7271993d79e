//! Runs (one execution of import, update or refresh) and their change list.

use serde::{Deserialize, Serialize};

use crate::option::text_enum;
use crate::{IntegrationId, OptionId, RunId, UpstreamKey};

text_enum!(
    /// What a run does.
    RunKind, "run kind" {
        /// Refresh the mirror only.
        Refresh = "refresh",
        /// Create options from selected upstream records.
        Import = "import",
        /// Re-project imported options from NetSuite.
        Update = "update",
    }
);

text_enum!(
    /// Who or what started a run.
    RunTrigger, "run trigger" {
        /// A person, from the web page or the API.
        Manual = "manual",
        /// The automatic update's schedule.
        Schedule = "schedule",
        /// A notification from NetSuite (a record was created, edited or deleted there).
        Notification = "notification",
        /// The command line.
        Cli = "cli",
    }
);

text_enum!(
    /// Where a run stands.
    RunStatus, "run status" {
        /// In progress (holds the integration's run lock).
        Running = "running",
        /// Applied.
        Succeeded = "succeeded",
        /// Stopped with an error; nothing of it applied.
        Failed = "failed",
        /// Would deactivate too many options; waits for an administrator's confirmation.
        NeedsConfirmation = "needs_confirmation",
        /// Was held for confirmation, and an administrator discarded it: nothing of it applied.
        Discarded = "discarded",
    }
);

text_enum!(
    /// What happened to one option (or one upstream record) in a run.
    ChangeKind, "change kind" {
        /// A new option was created.
        Added = "added",
        /// The option's name changed.
        Renamed = "renamed",
        /// The option moved under another parent.
        Moved = "moved",
        /// The option became inactive.
        Deactivated = "deactivated",
        /// The option became active again.
        Reactivated = "reactivated",
        /// An option removed here was imported again (same id), or restored by an
        /// administrator.
        Restored = "restored",
        /// An administrator removed the option here (NetSuite is not touched).
        RemovedHere = "removed_here",
        /// The project number changed.
        NumberChanged = "number_changed",
        /// The upstream record was refused (bad name, missing parent, cycle, too deep, ...).
        Rejected = "rejected",
    }
);

/// Counts of a run, by kind of change.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct RunCounts {
    /// Options created.
    pub added: u32,
    /// Options renamed.
    pub renamed: u32,
    /// Options moved.
    pub moved: u32,
    /// Options deactivated (records deleted in NetSuite are counted under `deleted`).
    pub deactivated: u32,
    /// Options reactivated.
    pub reactivated: u32,
    /// Upstream records rejected.
    pub rejected: u32,
    /// Options looked at and left as they were.
    pub unchanged: u32,
    /// Options removed here that an import brought back.
    #[serde(default)]
    pub restored: u32,
    /// Options whose record was deleted in NetSuite (they go inactive).
    #[serde(default)]
    pub deleted: u32,
}

impl RunCounts {
    /// Every change counted (not the unchanged).
    pub fn total(&self) -> u32 {
        self.added
            + self.renamed
            + self.moved
            + self.deactivated
            + self.reactivated
            + self.rejected
            + self.restored
            + self.deleted
    }
}

/// One entry of a run's change list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// The upstream record concerned.
    pub upstream: UpstreamKey,
    /// The option concerned, when there is one (filled in by the store on read).
    pub option: Option<OptionId>,
    /// What happened.
    pub kind: ChangeKind,
    /// The value before, when it makes sense (old name, old parent, ...).
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
    /// Why, in plain language (always set for `Rejected`).
    pub reason: Option<String>,
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Run {
    /// Its id.
    pub id: RunId,
    /// The integration it ran for.
    pub integration: IntegrationId,
    /// Refresh, import or update.
    pub kind: RunKind,
    /// Who started it.
    pub trigger: RunTrigger,
    /// Where it stands.
    pub status: RunStatus,
    /// When it started, in milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    /// When it ended, in milliseconds since the Unix epoch.
    pub finished_at_ms: Option<i64>,
    /// Counts by kind of change.
    pub counts: RunCounts,
    /// NetSuite requests made.
    pub netsuite_requests: u32,
    /// The plain-language error when it failed.
    pub error: Option<String>,
    /// Where a running run is (written twice a second); `None` once it has ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<RunProgress>,
}

text_enum!(
    /// The part of a run in progress.
    RunPhase, "run phase" {
        /// Loading the last state from the store.
        Loading = "loading",
        /// Reading NetSuite.
        Reading = "reading",
        /// Planning the changes.
        Planning = "planning",
        /// Writing them, in one transaction.
        Writing = "writing",
    }
);

impl RunPhase {
    /// The phase as the pages and the command line say it.
    pub fn words(self) -> &'static str {
        match self {
            Self::Loading => "Loading what was imported before",
            Self::Reading => "Reading NetSuite",
            Self::Planning => "Planning the changes",
            Self::Writing => "Writing the changes",
        }
    }
}

/// Where a running run is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunProgress {
    /// The part it is in.
    pub phase: RunPhase,
    /// NetSuite pages read so far.
    pub pages_read: u64,
    /// NetSuite pages the reads have planned so far (it grows as each read is sized).
    pub pages_planned: u64,
}
