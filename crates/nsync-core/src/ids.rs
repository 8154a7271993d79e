//! Identifiers: local row ids, and the NetSuite ids nsync keeps (account, subsidiary, record).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Declares a positive 64-bit id newtype with one fallible constructor.
macro_rules! positive_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "i64")]
        pub struct $name(i64);

        impl $name {
            /// The id, if `value` is a positive integer.
            pub fn new(value: i64) -> Result<Self, Error> {
                if value > 0 {
                    Ok(Self(value))
                } else {
                    Err(Error::InvalidId { what: $what, value: value.to_string(), reason: "must be a positive integer" })
                }
            }

            /// The id as stored.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl TryFrom<i64> for $name {
            type Error = Error;
            fn try_from(value: i64) -> Result<Self, Error> {
                Self::new(value)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                let value = s.trim().parse::<i64>().map_err(|_| Error::InvalidId {
                    what: $what,
                    value: s.to_owned(),
                    reason: "must be a positive integer",
                })?;
                Self::new(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        $crate::schema::schema_as!($name, stringify!($name), {"type": "integer", "minimum": 1});
    };
}

positive_id!(
    /// A company (tenant) of the procurement app.
    CompanyId, "company id"
);
positive_id!(
    /// An integration: one NetSuite account connected by one company.
    IntegrationId, "integration id"
);
positive_id!(
    /// An option of a custom field. Kept forever: documents refer to it.
    OptionId, "option id"
);
positive_id!(
    /// A run (import, update, refresh).
    RunId, "run id"
);
positive_id!(
    /// A custom field of the Items level.
    CustomFieldId, "custom field id"
);
positive_id!(
    /// A user of a company.
    UserId, "user id"
);
positive_id!(
    /// An API token.
    TokenId, "token id"
);
positive_id!(
    /// A job of the queue.
    JobId, "job id"
);
positive_id!(
    /// A NetSuite internal id of a customer or project (`entity.id`).
    RecordId, "record id"
);
positive_id!(
    /// A NetSuite subsidiary's internal id.
    SubsidiaryId, "subsidiary id"
);

/// A NetSuite account id in its canonical text form: upper case, `_` before a sandbox suffix
/// (`1234567`, `1234567_SB1`, `TSTDRV123456`).
///
/// The NetSuite client crate has its own, stricter, host-safe type; this one is what nsync
/// stores and shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Parses an account id; the host form (`1234567-sb1`) is accepted and canonicalised.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::InvalidId {
            what: "account id",
            value: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.len() > 32 {
            return Err(invalid("must be 1 to 32 characters"));
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(invalid("only letters, digits and _ are allowed"));
        }
        if !trimmed.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(invalid("must start with a letter or a digit"));
        }
        Ok(Self(trimmed.replace('-', "_").to_ascii_uppercase()))
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<AccountId> for String {
    fn from(id: AccountId) -> String {
        id.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
