//! Users of a company: email and role.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::option::text_enum;
use crate::Error;

text_enum!(
    /// What a user may do.
    Role, "role" {
        /// Integrations, import, update, settings.
        Admin = "admin",
        /// Reads options and uses the picker.
        Member = "member",
    }
);

/// An email address, trimmed and lower-cased (so lookups ignore case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses the `local@domain` shape; deliverability is not our business.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        let ok = trimmed.len() <= 254
            && !trimmed.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(trimmed.split_once('@'), Some((local, domain))
                if !local.is_empty() && domain.contains('.') && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if ok {
            Ok(Self(trimmed.to_lowercase()))
        } else {
            Err(Error::InvalidEmail(text.to_owned()))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(value: String) -> Result<Self, Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
