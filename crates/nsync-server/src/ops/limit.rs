//! Sign-in throttling: failed sign-ins are counted per account (the email as typed, whether
//! or not it exists, so the limit says nothing about which accounts exist) and per client
//! address. Past the limit, sign-in is refused without checking the password until the oldest
//! failure leaves the window.
//!
//! Per process and in memory: a restart forgets, and several processes each count their own
//! (an attacker spread over three processes gets three times the tries, still a handful an
//! hour). Behind a reverse proxy every client has the proxy's address; the per-account limit
//! still holds.
//!
//! Written here rather than taken from a rate-limiting crate (`governor`, `tower`'s limits):
//! those meter requests as they arrive; this counts only *failed* password checks in a sliding
//! window, forgets them on a success, and answers how long until the oldest one leaves.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures counted over this window.
pub(crate) const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed sign-ins allowed per account in the window.
pub(crate) const PER_ACCOUNT: usize = 5;
/// Failed sign-ins allowed per client address in the window.
pub(crate) const PER_ADDRESS: usize = 20;
/// Keys kept at most; past it, keys without a recent failure are dropped first, so a flood of
/// made-up emails cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

/// Counts failed sign-ins.
#[derive(Default)]
pub(crate) struct SignInLimiter {
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

impl SignInLimiter {
    /// `Err(wait)` when this account or address is over its limit.
    pub(crate) fn check(&self, account: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let mut failures = self.lock();
        let mut wait = None;
        for (key, limit) in keys(account, address) {
            let Some(times) = failures.get_mut(&key) else {
                continue;
            };
            prune(times, now);
            if times.len() >= limit {
                let oldest = times.front().copied().unwrap_or(now);
                let left = WINDOW.saturating_sub(now - oldest);
                wait = Some(wait.map_or(left, |w: Duration| w.max(left)));
            }
        }
        wait.map_or(Ok(()), Err)
    }

    /// Records a failed sign-in.
    pub(crate) fn failed(&self, account: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
        }
        if failures.len() >= MAX_KEYS {
            // Still full of recent failures: forget all rather than grow (an attack in
            // progress; the per-address limit catches it again at once).
            failures.clear();
        }
        for (key, limit) in keys(account, address) {
            let times = failures.entry(key).or_default();
            prune(times, now);
            times.push_back(now);
            while times.len() > limit {
                times.pop_front();
            }
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub(crate) fn succeeded(&self, account: &str) {
        self.lock().remove(&Key::Account(normalize(account)));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn normalize(account: &str) -> String {
    account.trim().to_lowercase().chars().take(320).collect()
}

fn keys(account: &str, address: Option<IpAddr>) -> Vec<(Key, usize)> {
    let mut keys = vec![(Key::Account(normalize(account)), PER_ACCOUNT)];
    if let Some(address) = address {
        keys.push((Key::Address(address), PER_ADDRESS));
    }
    keys
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times.front().is_some_and(|t| now - *t >= WINDOW) {
        times.pop_front();
    }
}
