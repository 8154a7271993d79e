//! Options of a custom field and the upstream records they point at.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{CustomFieldId, Error, OptionId, OptionName, RecordId};

/// Declares a fieldless enum stored as text, with `as_str`, a fallible `parse`, and serde
/// through that same text.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Reads the stored text back.
            pub fn parse(text: &str) -> Result<Self, $crate::Error> {
                match text {
                    $($text => Ok(Self::$variant),)+
                    other => Err($crate::Error::UnknownValue { what: $what, value: other.to_owned() }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&text).map_err(::serde::de::Error::custom)
            }
        }

        $crate::schema::schema_as!($name, stringify!($name), {"enum": [$($text),+]});
    };
}
pub(crate) use text_enum;

text_enum!(
    /// The kind of a NetSuite record nsync reads.
    UpstreamKind, "upstream kind" {
        /// A customer (or sub-customer).
        Customer = "customer",
        /// A project (`job`), or sub-project.
        Project = "project",
    }
);

text_enum!(
    /// Why an option is inactive.
    InactiveReason, "inactive reason" {
        /// The record is marked inactive in NetSuite.
        InactiveInNetSuite = "inactive_in_netsuite",
        /// The record was deleted in NetSuite.
        DeletedInNetSuite = "deleted_in_netsuite",
        /// The record is no longer associated with the integrated subsidiary.
        LeftSubsidiary = "left_subsidiary",
        /// An administrator deactivated a manual option.
        DeactivatedHere = "deactivated_here",
        /// The customer record is a lead or a prospect, and the integration takes only other
        /// stages (a prospect that was imported before prospects were turned off, say).
        StageNotIncluded = "stage_not_included",
        /// The project is in a status the integration counts as closed.
        ClosedInNetSuite = "closed_in_netsuite",
        /// NetSuite places the record deeper than the integration's deepest level (a customer
        /// above it became a sub-customer, say). The option hangs under its ancestor one level
        /// above the deepest, and comes back to its place when NetSuite moves it up again.
        TooDeep = "too_deep",
    }
);

text_enum!(
    /// Where a custom field's options come from.
    FieldKind, "field kind" {
        /// Fed by one integration; read-only here.
        Integrated = "integrated",
        /// Options added, renamed and deactivated by hand.
        Manual = "manual",
    }
);

/// One upstream record: its kind and NetSuite internal id.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct UpstreamKey {
    /// Customer or project.
    pub kind: UpstreamKind,
    /// NetSuite's internal id.
    pub id: RecordId,
}

impl fmt::Display for UpstreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}

/// The depth of an option in the tree: 1 (top) to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Level(u8);

impl Level {
    /// The deepest level any field may have.
    pub const MAX: u8 = 5;
    /// Level 1, the top.
    pub const TOP: Level = Level(1);

    /// The level, if within 1..=5.
    pub fn new(value: i64) -> Result<Self, Error> {
        if (1..=i64::from(Self::MAX)).contains(&value) {
            Ok(Self(value as u8))
        } else {
            Err(Error::InvalidLevel(value))
        }
    }

    /// The level as a number.
    pub fn get(self) -> u8 {
        self.0
    }

    /// The level below this one, if there is one.
    pub fn child(self) -> Option<Level> {
        (self.0 < Self::MAX).then(|| Level(self.0 + 1))
    }
}

impl TryFrom<i64> for Level {
    type Error = Error;
    fn try_from(value: i64) -> Result<Self, Error> {
        Self::new(value)
    }
}

impl From<Level> for i64 {
    fn from(level: Level) -> i64 {
        i64::from(level.0)
    }
}

/// Whether an option can be picked, and why not when it cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum OptionState {
    /// Can be picked.
    Active,
    /// Cannot be picked for new items; still resolves by id.
    Inactive(InactiveReason),
}

impl OptionState {
    /// Whether the option is active.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Active)
    }

    /// The reason, when inactive.
    pub fn reason(self) -> Option<InactiveReason> {
        match self {
            Self::Active => None,
            Self::Inactive(reason) => Some(reason),
        }
    }
}

/// An option as stored, whatever its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOption {
    /// Its id, kept forever.
    pub id: OptionId,
    /// The field it belongs to.
    pub field: CustomFieldId,
    /// Its parent, absent at level 1.
    pub parent: Option<OptionId>,
    /// Its depth.
    pub level: Level,
    /// Its name.
    pub name: OptionName,
    /// The project number (NetSuite entity id), shown beside the name when the company opts in.
    pub number: Option<String>,
    /// Active, or inactive and why.
    pub state: OptionState,
    /// Removed from the procurement app by an administrator (never touches NetSuite).
    pub removed_here: bool,
    /// The upstream record, for an integrated option.
    pub upstream: Option<UpstreamKey>,
    /// The upstream record of its parent, for an integrated option below level 1.
    pub upstream_parent: Option<UpstreamKey>,
    /// Why its NetSuite record is flawed, when it is: the option keeps the last good value of
    /// the bad field (its name, say) and is marked with this reason until NetSuite mends it.
    #[serde(default)]
    pub flaw: Option<String>,
}
