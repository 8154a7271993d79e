//! The upstream mirror: the last known state of a customer or project, kept as NetSuite sent it.

use serde::{Deserialize, Serialize};

use crate::{person_display_name, SubsidiaryId, UpstreamKey};

/// A record's name parts as NetSuite sent them. Not validated: the mirror keeps bad input so
/// the planner can reject it with a reason, and so a later fix upstream is noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MirrorName {
    /// A company customer's Company Name, or a project's Project Name.
    Plain {
        /// The text.
        name: String,
    },
    /// A customer that is a person: no Company Name.
    Person {
        /// First name.
        first: Option<String>,
        /// Middle name.
        middle: Option<String>,
        /// Last name.
        last: Option<String>,
    },
}

impl MirrorName {
    /// The text an option of this record is named by.
    pub fn display(&self) -> String {
        self.display_text().into_owned()
    }

    /// [`MirrorName::display`] without a copy where the name is stored whole.
    pub fn display_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Self::Plain { name } => std::borrow::Cow::Borrowed(name),
            Self::Person {
                first,
                middle,
                last,
            } => std::borrow::Cow::Owned(person_display_name(
                first.as_deref(),
                middle.as_deref(),
                last.as_deref(),
            )),
        }
    }
}

/// The last known state of one customer or project in scope of an integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorRecord {
    /// Kind and internal id.
    pub key: UpstreamKey,
    /// NetSuite's `parent`, when it has one.
    pub parent: Option<UpstreamKey>,
    /// Its name parts.
    pub name: MirrorName,
    /// The entity id (a project's number).
    pub number: Option<String>,
    /// NetSuite's `isinactive`.
    pub inactive: bool,
    /// Subsidiaries it is associated with (a customer: primary and secondary; a project: its own).
    pub subsidiaries: Vec<SubsidiaryId>,
    /// NetSuite's last-modified stamp, as sent (opaque here).
    pub last_modified: Option<String>,
    /// Seen in NetSuite's `deletedrecord`: kept as a tombstone so the reason is not lost.
    pub deleted: bool,
}
