//! The account's project statuses as a run read them, and which of them count as closed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// One project status of the account (labels and ids are account data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStatus {
    /// The id a project's `entitystatus` holds.
    pub id: i64,
    /// Its label.
    pub name: String,
}

/// What the planner knows of project statuses for one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusPolicy {
    /// Every project status of the account, by id. Empty when the account has no Projects
    /// feature or the list was not read: then no status is judged (nothing is closed, nothing
    /// unknown), so a missing list can never deactivate anything.
    known: BTreeMap<i64, String>,
    closed: BTreeSet<i64>,
}

impl StatusPolicy {
    /// The account's statuses with the integration's choice of closed ones; `None` takes the
    /// statuses named "Closed" (any case).
    pub fn new(statuses: &[ProjectStatus], closed: Option<&[i64]>) -> Self {
        let known: BTreeMap<i64, String> =
            statuses.iter().map(|s| (s.id, s.name.clone())).collect();
        let closed = match closed {
            Some(ids) => ids.iter().copied().collect(),
            None => statuses
                .iter()
                .filter(|s| s.name.trim().eq_ignore_ascii_case("closed"))
                .map(|s| s.id)
                .collect(),
        };
        Self { known, closed }
    }

    /// What a project's status says: `Ok(Some(name))` when it counts as closed, `Ok(None)`
    /// when open (or not judged), `Err` for a status id the account does not have.
    pub fn judge(&self, status: Option<i64>) -> Result<Option<&str>, i64> {
        let Some(id) = status else { return Ok(None) };
        if self.known.is_empty() {
            return Ok(None);
        }
        match self.known.get(&id) {
            None => Err(id),
            Some(name) if self.closed.contains(&id) => Ok(Some(name)),
            Some(_) => Ok(None),
        }
    }

    /// The statuses, by id, for pages that list them.
    pub fn statuses(&self) -> impl Iterator<Item = (i64, &str, bool)> + '_ {
        self.known
            .iter()
            .map(|(id, name)| (*id, name.as_str(), self.closed.contains(id)))
    }
}
