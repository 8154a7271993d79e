//! The log of NetSuite API requests received, for tests to assert on.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::faults::FaultKind;

/// How a request authenticated (or tried to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    /// No `Authorization` header, or not reached (a fault answered first).
    None,
    /// `Authorization: OAuth ...`.
    Tba,
    /// `Authorization: Bearer ...`.
    Bearer,
    /// The OAuth 2.0 token endpoint (client assertion).
    ClientAssertion,
}

/// One received request and what the emulator answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedRequest {
    /// Emulated time at arrival.
    pub at: DateTime<Utc>,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string.
    pub query: Option<String>,
    /// Answered status; 0 when no answer was sent (the connection was reset, or the client gave up).
    pub status: u16,
    /// How it authenticated.
    pub auth: AuthKind,
    /// The account it was routed to, if any.
    pub account_id: Option<String>,
    /// An injected fault, if one fired.
    pub fault: Option<FaultKind>,
    /// Rows returned (SuiteQL items or record ids), if a collection.
    pub rows: Option<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
}

impl RequestLog {
    pub(crate) fn push(&self, entry: LoggedRequest) {
        self.lock().push(entry);
    }

    pub(crate) fn snapshot(&self) -> Vec<LoggedRequest> {
        self.lock().clone()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LoggedRequest>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
