//! NetSuite account ids: one canonical form for realms, one for host names.

use std::fmt;

/// A NetSuite account id in its canonical upper-case form (`1234567`, `1234567_SB1`).
///
/// NetSuite compares the TBA realm with this form exactly, while host names use
/// [`AccountId::host_label`] (`1234567-sb1`). Both are derived from the one parsed value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

/// An account id with characters NetSuite never uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("account id {0:?} must be letters, digits and `_`/`-` only, like 1234567 or 1234567_SB1")]
pub struct BadAccountId(pub String);

impl AccountId {
    /// Parses `1234567`, `1234567_SB1`, `1234567-sb1` (all map to one canonical id).
    pub fn parse(text: &str) -> Result<Self, BadAccountId> {
        let ok = !text.is_empty()
            && text.len() <= 40
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return Err(BadAccountId(text.to_owned()));
        }
        Ok(Self(text.to_ascii_uppercase().replace('-', "_")))
    }

    /// The canonical form, as the TBA realm must spell it: `1234567_SB1`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host label: lower case with `-` (`1234567-sb1`), as in
    /// `1234567-sb1.suitetalk.api.netsuite.com`.
    pub fn host_label(&self) -> String {
        self.0.to_ascii_lowercase().replace('_', "-")
    }

    /// The account's real REST host, `<label>.suitetalk.api.netsuite.com`.
    pub fn suitetalk_host(&self) -> String {
        format!("{}.suitetalk.api.netsuite.com", self.host_label())
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The account host label named by a `Host` header, if it is an account host:
/// `<label>.suitetalk.api.netsuite.com` or `<label>.localhost` (any port).
pub(crate) fn host_label_of(host_header: &str) -> Option<&str> {
    let host = strip_port(host_header);
    let label = host
        .strip_suffix(".suitetalk.api.netsuite.com")
        .or_else(|| host.strip_suffix(".localhost"))?;
    (!label.is_empty() && !label.contains('.')).then_some(label)
}

fn strip_port(host: &str) -> &str {
    host.rsplit_once(':')
        .filter(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(name, _)| name)
}
