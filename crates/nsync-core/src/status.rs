//! Which project statuses count as closed. A run judges each project by its status id and the
//! name NetSuite shows for it (`BUILTIN.DF`), so it needs no list of the account's statuses.

use std::collections::BTreeSet;

/// The integration's choice of closed statuses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusPolicy {
    /// `None`: the statuses named "Closed" (any case).
    closed: Option<BTreeSet<i64>>,
}

impl StatusPolicy {
    /// The statuses with these ids count as closed; `None` takes the statuses named "Closed".
    pub fn new(closed: Option<&[i64]>) -> Self {
        Self {
            closed: closed.map(|ids| ids.iter().copied().collect()),
        }
    }

    /// What a project's status says: `Ok(Some(name))` when it counts as closed, `Ok(None)`
    /// when open (or the project has no status), `Err(id)` for a status id NetSuite shows no
    /// name for (the account has no such status).
    pub fn judge<'a>(
        &self,
        status: Option<i64>,
        name: Option<&'a str>,
    ) -> Result<Option<&'a str>, i64> {
        let Some(id) = status else { return Ok(None) };
        let name = name.map(str::trim).filter(|n| !n.is_empty()).ok_or(id)?;
        let closed = match &self.closed {
            Some(ids) => ids.contains(&id),
            None => name.eq_ignore_ascii_case("closed"),
        };
        Ok(closed.then_some(name))
    }
}
