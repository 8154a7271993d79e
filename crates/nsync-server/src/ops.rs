//! The application layer: what a person can do to integrations, runs, options and the account,
//! whichever door they come in by (the JSON API or the pages).
//!
//! Each operation checks that the actor may do it, validates what it is given, and makes one
//! write through the store or the engine that carries its [`Audit`]: the store writes the audit
//! entry in the transaction of the action itself, so neither lands without the other.
//! `http::api` and `http::web` only translate requests into these calls and their answers into
//! JSON or pages.

pub(crate) mod account;
pub(crate) mod feed;
pub(crate) mod integrations;
pub(crate) mod limit;
pub(crate) mod options;
pub(crate) mod runs;
pub(crate) mod webhooks;

use std::str::FromStr;

use nsync_core::{CompanyId, Role, UserId};
use nsync_store::{Audit, StoreError};

use crate::{Engine, EngineError};

/// Who acts: a signed-in user, or an API token (of a user, or of the company alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Actor {
    pub company: CompanyId,
    pub user: Option<UserId>,
    pub role: Role,
}

impl Actor {
    /// Refuses members.
    pub fn require_admin(&self) -> Result<(), OpsError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Member => Err(OpsError::AdminOnly),
        }
    }

    /// Refuses anything of another company, as "not found".
    pub fn owns(&self, company: CompanyId, what: &'static str) -> Result<(), OpsError> {
        if company == self.company {
            Ok(())
        } else {
            Err(OpsError::NotFound(what))
        }
    }

    /// The audit of `action` by this actor, now.
    fn audit(&self, engine: &Engine, action: &'static str) -> Audit {
        Audit::new(self.company, self.user, action, engine.now_ms())
    }
}

/// Why an operation did not happen. The HTTP layer maps each to a status once
/// (`From<OpsError> for ApiError`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpsError {
    /// The actor's role does not allow this.
    #[error("only an administrator of this company can do this")]
    AdminOnly,
    /// Nothing with this id in the actor's company (whether it exists elsewhere or not).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A value is out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// Too many failed password checks for this account; try again in this many minutes.
    #[error("too many failed password checks; try again in {0} minutes")]
    TooManyAttempts(u64),
    /// A rule of the domain refuses the value.
    #[error(transparent)]
    Core(#[from] nsync_core::Error),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// An id from a path or a body: one that cannot exist, or is not written the one way ids are
/// written (`12`, not `012` or `+12`), is simply not found.
pub(crate) fn parse_id<T: FromStr>(text: &str, what: &'static str) -> Result<T, OpsError> {
    if !canonical_id(text) {
        return Err(OpsError::NotFound(what));
    }
    text.parse().map_err(|_| OpsError::NotFound(what))
}

/// `1` to `999999999999999999`: digits only, no leading zero, fits an `i64`.
pub(crate) fn canonical_id(text: &str) -> bool {
    (1..=18).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0')
}

/// Checks a free-text value: trimmed, not empty, at most `max` characters, no control
/// characters (except newlines where `multiline`).
pub(crate) fn text_field(
    name: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<String, OpsError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(OpsError::Invalid(format!("{name} is required")));
    }
    if value.chars().count() > max {
        return Err(OpsError::Invalid(format!(
            "{name} is longer than {max} characters"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r')))
    {
        return Err(OpsError::Invalid(format!(
            "{name} contains control characters"
        )));
    }
    Ok(value.to_owned())
}
