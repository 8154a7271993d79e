//! The one error type of the domain layer.

use crate::name::NameRule;
use crate::option::UpstreamKey;

/// Why a value was refused or a rule forbids an action.
///
/// Parse errors carry the offending input so the edge can say exactly what was wrong; rule
/// refusals carry a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An identifier did not parse (wrong shape, zero or negative).
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidId {
        /// Which kind of identifier, e.g. "record id".
        what: &'static str,
        /// The text that was given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An option name broke one of NetSuite's rules for that kind of record.
    #[error("{record}: {rule}")]
    InvalidName {
        /// The record the name belongs to, e.g. "customer 42", or "option" for manual names.
        record: String,
        /// Which rule broke.
        rule: NameRule,
    },
    /// A time zone name that the IANA database does not know.
    #[error("unknown time zone {0:?} (expected an IANA name such as Europe/Paris)")]
    InvalidTimeZone(String),
    /// A local time of day that is not `HH:MM` in 24-hour form.
    #[error("invalid local time {0:?} (expected HH:MM, 00:00 to 23:59)")]
    InvalidLocalTime(String),
    /// An option level outside 1..=5.
    #[error("invalid level {0}: levels go from 1 to 5")]
    InvalidLevel(i64),
    /// Integration settings that cannot hold together.
    #[error("invalid settings: {0}")]
    InvalidSettings(String),
    /// An email address without the basic `local@domain` shape.
    #[error("invalid email address {0:?}")]
    InvalidEmail(String),
    /// A role name other than `admin` or `member`.
    #[error("unknown role {0:?} (expected admin or member)")]
    InvalidRole(String),
    /// A stored enum value this version does not know (e.g. a newer database).
    #[error("unknown {what} {value:?}")]
    UnknownValue {
        /// Which enum, e.g. "run status".
        what: &'static str,
        /// The stored text.
        value: String,
    },
    /// An action on an integrated field that only NetSuite may make.
    #[error("{action} is not possible here: this field is integrated with NetSuite; change it in NetSuite and click Update")]
    IntegratedField {
        /// What was attempted, e.g. "renaming \"Acme\"".
        action: String,
    },
    /// A reference to an upstream record that makes no sense (e.g. its own parent).
    #[error("upstream record {0} cannot be its own ancestor")]
    UpstreamCycle(UpstreamKey),
}
