//! Where the last incremental read stopped. Serializable so the store can persist it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Change, Deletion, Stages};

/// Watermarks of the last incremental read, in UTC, taken from NetSuite's own timestamps (so the
/// client's clock never matters). Reads start an overlap window before them, because NetSuite
/// stores seconds only and an edit in the same second as the watermark must not be missed; the
/// rows read twice are harmless, since applying a change twice changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The newest `lastmodifieddate` seen; `None` reads every record.
    pub modified: Option<DateTime<Utc>>,
    /// The newest `deleteddate` seen; `None` reads every deletion.
    pub deleted: Option<DateTime<Utc>>,
    /// The customer stages the last full read took: a read that wants more stages must read in
    /// full (unchanged leads and prospects never come through a read of changes).
    #[serde(default)]
    pub stages: Stages,
}

impl Cursor {
    /// A cursor that reads changes and deletions from `at` on.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            modified: Some(at),
            deleted: Some(at),
            stages: Stages::CUSTOMERS,
        }
    }

    /// Moves the change watermark past `change` (never backwards).
    pub fn observe_change(&mut self, change: &Change) {
        if let Some(at) = change.last_modified() {
            self.modified = Some(self.modified.map_or(at, |m| m.max(at)));
        }
    }

    /// Moves the deletion watermark past `deletion` (never backwards).
    pub fn observe_deletion(&mut self, deletion: &Deletion) {
        let at = deletion.at;
        self.deleted = Some(self.deleted.map_or(at, |d| d.max(at)));
    }
}
