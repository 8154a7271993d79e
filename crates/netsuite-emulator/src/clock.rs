//! The emulated clock: follows the system clock until a test pins it, then moves only when told.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Shared by every account of one emulator: TBA timestamps, token expiry and
/// `lastmodifieddate` all read it, so a test controls all of them at once.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    state: Mutex<ClockState>,
}

#[derive(Debug, Default, Clone, Copy)]
enum ClockState {
    /// System time plus an offset (the offset grows with `advance`).
    #[default]
    System,
    Offset(Duration),
    Pinned(DateTime<Utc>),
}

impl Clock {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        match *self.lock() {
            ClockState::System => Utc::now(),
            ClockState::Offset(d) => Utc::now() + d,
            ClockState::Pinned(t) => t,
        }
    }

    /// Pins the clock: it stays at `t` until advanced or set again.
    pub(crate) fn set(&self, t: DateTime<Utc>) {
        *self.lock() = ClockState::Pinned(t);
    }

    /// Moves the clock forward (or back, with a negative duration), pinned or not.
    pub(crate) fn advance(&self, by: Duration) {
        let mut state = self.lock();
        *state = match *state {
            ClockState::System => ClockState::Offset(by),
            ClockState::Offset(d) => ClockState::Offset(d + by),
            ClockState::Pinned(t) => ClockState::Pinned(t + by),
        };
    }

    /// Follows the system clock again.
    pub(crate) fn follow_system(&self) {
        *self.lock() = ClockState::System;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        // A poisoned clock still holds a valid state: keep serving.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
