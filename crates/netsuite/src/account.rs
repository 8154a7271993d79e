//! NetSuite account ids: the one piece of tenant input that decides which host nsync calls.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

/// Why a string is not a NetSuite account id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a NetSuite account id ({reason}); expected something like 1234567, \
     1234567_SB1 or TSTDRV1234567 (Setup > Company > Company Information > Account ID)"
)]
pub struct AccountIdError {
    /// The refused input, with control characters escaped so it is safe to print.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A NetSuite account id in its canonical upper-case form (`1234567_SB1`).
///
/// Parsing accepts only an optional letter prefix, digits and an optional `_SB1`-style suffix,
/// so no tenant input can ever turn into another host name: dots, slashes, `@`, `:`, spaces and
/// non-ASCII look-alikes are all refused.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Parses `1234567`, `1234567_SB1`, `1234567-sb1`, `TSTDRV1234567`, `1234567_RP` ...
    pub fn parse(input: &str) -> Result<Self, AccountIdError> {
        let refuse = |reason| AccountIdError {
            input: input.escape_default().to_string(),
            reason,
        };
        if input.is_empty() {
            return Err(refuse("it is empty"));
        }
        if input.len() > 40 {
            return Err(refuse("it is too long"));
        }
        if !input
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(refuse("only letters, digits and one `_` are allowed"));
        }
        let canonical = input.to_ascii_uppercase().replace('-', "_");
        let (main, suffix) = match canonical.split_once('_') {
            Some((main, suffix)) => (main, Some(suffix)),
            None => (canonical.as_str(), None),
        };
        let digits_at = main
            .find(|c: char| c.is_ascii_digit())
            .ok_or_else(|| refuse("it has no digits"))?;
        let (prefix, number) = main.split_at(digits_at);
        if prefix.len() > 10 || !prefix.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(refuse("letters may only come before the number"));
        }
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
            return Err(refuse("the account number must be digits"));
        }
        if let Some(suffix) = suffix {
            let letters = suffix.trim_end_matches(|c: char| c.is_ascii_digit());
            let valid = (1..=4).contains(&letters.len())
                && letters.chars().all(|c| c.is_ascii_alphabetic())
                && suffix.len() - letters.len() <= 3;
            if !valid {
                return Err(refuse("the part after `_` must look like SB1 or RP"));
            }
        }
        Ok(Self(canonical))
    }

    /// The realm used in TBA headers: the upper-case form, `1234567_SB1`.
    pub fn realm(&self) -> &str {
        &self.0
    }

    /// The host label: lower case with `-` for `_`, `1234567-sb1`.
    pub fn host(&self) -> String {
        self.0.to_ascii_lowercase().replace('_', "-")
    }

    /// The production REST base URL, `https://1234567-sb1.suitetalk.api.netsuite.com`.
    pub fn base_url(&self) -> Url {
        let text = format!("https://{}.suitetalk.api.netsuite.com", self.host());
        // The host label is built from [a-z0-9-] only, so this cannot fail.
        Url::parse(&text).expect("account host labels are always valid URLs")
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0)
    }
}

impl FromStr for AccountId {
    type Err = AccountIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for AccountId {
    type Error = AccountIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AccountId> for String {
    fn from(value: AccountId) -> Self {
        value.0
    }
}
