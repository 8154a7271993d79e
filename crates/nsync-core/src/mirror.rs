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
    /// A customer record's `searchstage` as sent (`Lead`, `Prospect`, `Customer`); `None` for
    /// projects, and for records mirrored before stages were read (taken as customers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// NetSuite's `entitystatus`: a project's status id (or a customer's status id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    /// A project status's name as NetSuite showed it (`BUILTIN.DF`); `None` when NetSuite has
    /// no status of that id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_name: Option<String>,
}

/// A customer record's stage in NetSuite's sales cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// A lead.
    Lead,
    /// A prospect.
    Prospect,
    /// A customer.
    Customer,
}

impl Stage {
    /// Reads `searchstage` in any case; `None` for a value nobody documented.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "LEAD" => Some(Self::Lead),
            "PROSPECT" => Some(Self::Prospect),
            "CUSTOMER" => Some(Self::Customer),
            _ => None,
        }
    }

    /// The word for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Prospect => "prospect",
            Self::Customer => "customer",
        }
    }
}

impl MirrorRecord {
    /// The record's stage: a customer record without one was read before stages were, when
    /// only customers were read; `Err` carries a value nobody documented.
    pub fn stage(&self) -> Result<Stage, &str> {
        match &self.stage {
            None => Ok(Stage::Customer),
            Some(text) => Stage::parse(text).ok_or(text.as_str()),
        }
    }
}
