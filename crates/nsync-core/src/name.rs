//! Option names: NetSuite's text as is, within NetSuite's own limits.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::option::UpstreamKind;
use crate::Error;

/// The rule a name broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// The name is empty (or only spaces).
    Empty,
    /// The name is longer than NetSuite allows for this kind of record.
    TooLong {
        /// The limit, in characters.
        max: usize,
        /// The name's length, in characters.
        len: usize,
    },
    /// The name holds a control character (a line break, a tab, ...).
    ControlCharacter,
}

impl fmt::Display for NameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the name is empty"),
            Self::TooLong { max, len } => {
                write!(
                    f,
                    "the name is {len} characters long; at most {max} are allowed"
                )
            }
            Self::ControlCharacter => f.write_str("the name contains a control character"),
        }
    }
}

/// The name of an option: 1 to 83 characters for a customer (NetSuite's Company Name), 1 to 256
/// for a project (Project Name), counted in characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OptionName(String);

impl OptionName {
    /// NetSuite's limit on a customer's Company Name, in characters.
    pub const CUSTOMER_MAX: usize = 83;
    /// NetSuite's limit on a Project Name, in characters.
    pub const PROJECT_MAX: usize = 256;

    /// Parses the name of an upstream record; `record` names it in the error ("customer 42").
    pub fn parse(kind: UpstreamKind, text: &str, record: &str) -> Result<Self, Error> {
        let max = match kind {
            UpstreamKind::Customer => Self::CUSTOMER_MAX,
            UpstreamKind::Project => Self::PROJECT_MAX,
        };
        Self::parse_with_max(text, max, record)
    }

    /// Parses a name typed by hand on a manual field (project limit).
    pub fn parse_manual(text: &str) -> Result<Self, Error> {
        Self::parse_with_max(text, Self::PROJECT_MAX, "option")
    }

    /// Restores a name read back from storage, where it was validated on the way in.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    fn parse_with_max(text: &str, max: usize, record: &str) -> Result<Self, Error> {
        let broke = |rule| Error::InvalidName {
            record: record.to_owned(),
            rule,
        };
        if text.trim().is_empty() {
            return Err(broke(NameRule::Empty));
        }
        if text.chars().any(char::is_control) {
            return Err(broke(NameRule::ControlCharacter));
        }
        let len = text.chars().count();
        if len > max {
            return Err(broke(NameRule::TooLong { max, len }));
        }
        Ok(Self(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Deserialised names (e.g. a plan held for confirmation) are checked against the widest
/// limit: the kind of record is not known here, and the planner checked the exact one.
impl TryFrom<String> for OptionName {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse_with_max(&value, Self::PROJECT_MAX, "stored option")
    }
}

impl From<OptionName> for String {
    fn from(name: OptionName) -> String {
        name.0
    }
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The display name of a customer that is a person: first, middle and last name joined by one
/// space, skipping the parts that are absent or blank.
pub fn person_display_name(
    first: Option<&str>,
    middle: Option<&str>,
    last: Option<&str>,
) -> String {
    [first, middle, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
