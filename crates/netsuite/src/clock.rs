//! The clock that stamps signatures and assertions, injectable so tests can follow an emulated
//! clock.

use std::fmt;

use chrono::{DateTime, Utc};

/// A source of "now" for TBA timestamps and JWT `iat`/`exp`.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock: what production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
