//! Retry policy as data: exponential backoff with full jitter, honouring `Retry-After`.

use std::time::Duration;

use rand::Rng;

/// When and how long the request path waits before trying again. Only retryable errors
/// (429, `CONCURRENCY_LIMIT_EXCEEDED`, 5xx, timeouts, resets, unreadable answers) are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per request, the first included (1 disables retries).
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; it doubles with each further retry.
    pub base_delay: Duration,
    /// The largest wait, whatever the attempt or `Retry-After` says.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Tiny delays for tests: the same logic, microseconds instead of seconds.
    pub fn fast(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(20),
        }
    }

    /// Whether another attempt is allowed after `attempts_made` attempts.
    pub fn allows_another(&self, attempts_made: u32) -> bool {
        attempts_made < self.max_attempts
    }

    /// The wait before retry number `retry` (1-based): uniform in `[0, min(max, base * 2^(retry-1))]`
    /// ("full jitter", so many clients never retry in lockstep), or `Retry-After` when NetSuite sent
    /// it, capped at `max_delay`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_delay);
        }
        let exp = retry.saturating_sub(1).min(20);
        let ceiling = self.base_delay.saturating_mul(1 << exp).min(self.max_delay);
        let micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(rng.gen_range(0..=micros))
    }
}
