//! Watching requests as they end: what the metrics of a process count.

use std::fmt;

/// How one request to NetSuite ended, for an [`Observer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A 2xx answer.
    Ok,
    /// 429: over the account's concurrency limit.
    Throttled,
    /// A 5xx answer.
    ServerError,
    /// Another 4xx answer (credentials, permissions, query).
    Rejected,
    /// No answer: timeout, refused or reset connection, unreadable body.
    Transport,
}

impl Outcome {
    /// A short label (`ok`, `throttled`, `server_error`, `rejected`, `transport`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Throttled => "throttled",
            Self::ServerError => "server_error",
            Self::Rejected => "rejected",
            Self::Transport => "transport",
        }
    }
}

/// Watches requests as they end; called on the request's task, so it must be quick.
pub trait Observer: Send + Sync + fmt::Debug {
    /// One request ended so.
    fn observe(&self, outcome: Outcome);
}
