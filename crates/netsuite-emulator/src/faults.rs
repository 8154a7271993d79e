//! Scripted faults: exactly the next N requests, a seeded probability, or every request (for
//! good or for a window of emulated time); any of them limited to one account, a path prefix
//! or a body text.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::account_id::AccountId;

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 500 `UNEXPECTED_ERROR`.
    ServerError,
    /// 503 in NetSuite's error envelope (the body is the emulator's choice: no capture).
    ServiceUnavailable,
    /// 429 `CONCURRENCY_LIMIT_EXCEEDED`, whatever the real load.
    TooManyRequests,
    /// 401 `INVALID_LOGIN` with valid credentials (NetSuite does this under load).
    Unauthorized,
    /// The answer is delayed by `millis` (the request is otherwise served normally).
    Slow {
        /// Extra delay in milliseconds.
        millis: u64,
    },
    /// The socket is closed without an answer.
    ResetConnection,
    /// Status and headers are sent, then the connection drops halfway through the body.
    TruncatedBody,
    /// A complete 200 answer whose body is not valid JSON.
    MalformedJson,
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The next `count` matching requests.
    Next {
        /// How many.
        count: u32,
    },
    /// Each matching request with probability `p`, drawn from the emulator's seeded generator.
    Probability {
        /// 0.0..=1.0
        p: f64,
    },
    /// Every matching request until the rules are cleared.
    Always,
    /// Every matching request while the emulated clock is before `at`; then the rule is gone.
    Until {
        /// End of the window (emulated time), exclusive.
        at: DateTime<Utc>,
    },
    /// Every matching request for `seconds` of emulated time from when the rule is added
    /// (stored as [`Trigger::Until`]).
    For {
        /// Length of the window.
        seconds: i64,
    },
}

/// One scripted fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// What happens.
    pub fault: FaultKind,
    /// When.
    pub trigger: Trigger,
    /// Only requests whose path starts with this (e.g. `/services/rest/query`); all when `None`.
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Only requests whose body holds this text (e.g. `GROUP BY`, to fault a read's sizing
    /// query and not its pages); all when `None`.
    #[serde(default)]
    pub body_contains: Option<String>,
    /// Only requests for this account (`1234567_SB1`, any spelling); all when `None`. The
    /// account is the one the request names before it is authenticated: its `Host`, else its
    /// TBA realm or the account its bearer token was issued for. Token requests on
    /// `127.0.0.1` name no account and are not hit.
    #[serde(default)]
    pub account: Option<String>,
}

impl FaultRule {
    /// The next `count` NetSuite API requests fail this way.
    pub fn next(fault: FaultKind, count: u32) -> Self {
        Self {
            fault,
            trigger: Trigger::Next { count },
            path_prefix: None,
            body_contains: None,
            account: None,
        }
    }

    /// Each NetSuite API request fails this way with probability `p` (seeded).
    pub fn probability(fault: FaultKind, p: f64) -> Self {
        Self {
            fault,
            trigger: Trigger::Probability { p },
            path_prefix: None,
            body_contains: None,
            account: None,
        }
    }

    /// Every NetSuite API request fails this way until the rules are cleared.
    pub fn always(fault: FaultKind) -> Self {
        Self {
            trigger: Trigger::Always,
            ..Self::next(fault, 0)
        }
    }

    /// Every NetSuite API request fails this way while the emulated clock is before `at`.
    pub fn until(fault: FaultKind, at: DateTime<Utc>) -> Self {
        Self {
            trigger: Trigger::Until { at },
            ..Self::next(fault, 0)
        }
    }

    /// Restricts the rule to the requests of one account.
    pub fn for_account(mut self, account_id: &str) -> Self {
        self.account = Some(account_id.to_owned());
        self
    }

    /// Restricts the rule to paths starting with `prefix`.
    pub fn on_path(mut self, prefix: &str) -> Self {
        self.path_prefix = Some(prefix.to_owned());
        self
    }

    /// Restricts the rule to requests whose body holds `text`.
    pub fn when_body_has(mut self, text: &str) -> Self {
        self.body_contains = Some(text.to_owned());
        self
    }
}

/// What a rule can look at in one request.
pub(crate) struct Drawn<'a> {
    pub(crate) path: &'a str,
    pub(crate) body: Option<&'a [u8]>,
    /// Canonical id of the account the request names.
    pub(crate) account: Option<&'a str>,
}

impl FaultRule {
    fn matches(&self, request: &Drawn<'_>) -> bool {
        if self
            .path_prefix
            .as_deref()
            .is_some_and(|p| !request.path.starts_with(p))
        {
            return false;
        }
        if self.account.is_some() && self.account.as_deref() != request.account {
            return false;
        }
        match self.body_contains.as_deref() {
            Some(text) => request
                .body
                .is_some_and(|b| b.windows(text.len().max(1)).any(|w| w == text.as_bytes())),
            None => true,
        }
    }
}

/// A rule that will not fire again: used up, or its window is over.
fn expired(trigger: &Trigger, now: DateTime<Utc>) -> bool {
    match trigger {
        Trigger::Next { count } => *count == 0,
        Trigger::Until { at } => now >= *at,
        Trigger::Probability { .. } | Trigger::Always | Trigger::For { .. } => false,
    }
}

/// The live script: rules in order, the first that fires wins.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    inner: Mutex<(Vec<FaultRule>, ChaCha8Rng)>,
}

impl FaultPlan {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            inner: Mutex::new((Vec::new(), ChaCha8Rng::seed_from_u64(seed))),
        }
    }

    /// Adds a rule at emulated time `now`: a [`Trigger::For`] window starts now, and the
    /// account is kept in canonical form.
    pub(crate) fn add(&self, mut rule: FaultRule, now: DateTime<Utc>) {
        if let Trigger::For { seconds } = rule.trigger {
            rule.trigger = Trigger::Until {
                at: now + chrono::Duration::seconds(seconds),
            };
        }
        if let Some(id) = rule
            .account
            .as_deref()
            .and_then(|a| AccountId::parse(a).ok())
        {
            rule.account = Some(id.to_string());
        }
        self.lock().0.push(rule);
    }

    /// Removes every rule and restarts the generator from `seed`.
    pub(crate) fn clear(&self, seed: u64) {
        *self.lock() = (Vec::new(), ChaCha8Rng::seed_from_u64(seed));
    }

    /// Whether a rule looks at bodies: only then does the gate buffer a request's body first.
    pub(crate) fn reads_bodies(&self) -> bool {
        self.lock().0.iter().any(|r| r.body_contains.is_some())
    }

    /// Whether a rule is limited to an account: only then does the gate look for the account
    /// a request names before authenticating it.
    pub(crate) fn scopes_accounts(&self) -> bool {
        self.lock().0.iter().any(|r| r.account.is_some())
    }

    /// Decides the fault (if any) for one request at emulated time `now`; `body` is there when
    /// [`Self::reads_bodies`], `account` (canonical) when [`Self::scopes_accounts`] and the
    /// request names one.
    pub(crate) fn draw(&self, request: &Drawn<'_>, now: DateTime<Utc>) -> Option<FaultKind> {
        let mut guard = self.lock();
        let (rules, rng) = &mut *guard;
        rules.retain(|r| !expired(&r.trigger, now));
        let mut fired = None;
        for rule in rules.iter_mut() {
            if !rule.matches(request) {
                continue;
            }
            let fires = match &mut rule.trigger {
                Trigger::Next { count } if *count > 0 => {
                    *count -= 1;
                    true
                }
                Trigger::Next { .. } => false,
                Trigger::Probability { p } => rng.gen_bool(p.clamp(0.0, 1.0)),
                Trigger::Always | Trigger::Until { .. } | Trigger::For { .. } => true,
            };
            if fires {
                fired = Some(rule.fault);
                break;
            }
        }
        rules.retain(|r| !expired(&r.trigger, now));
        fired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<FaultRule>, ChaCha8Rng)> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
