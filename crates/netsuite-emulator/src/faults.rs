//! Scripted faults: exactly the next N requests, or a seeded probability per kind.

use std::sync::Mutex;

use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// 500 `UNEXPECTED_ERROR`.
    ServerError,
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
}

impl FaultRule {
    /// The next `count` NetSuite API requests fail this way.
    pub fn next(fault: FaultKind, count: u32) -> Self {
        Self {
            fault,
            trigger: Trigger::Next { count },
            path_prefix: None,
            body_contains: None,
        }
    }

    /// Each NetSuite API request fails this way with probability `p` (seeded).
    pub fn probability(fault: FaultKind, p: f64) -> Self {
        Self {
            fault,
            trigger: Trigger::Probability { p },
            path_prefix: None,
            body_contains: None,
        }
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

    pub(crate) fn add(&self, rule: FaultRule) {
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

    /// Decides the fault (if any) for one request; `body` is there when [`Self::reads_bodies`].
    pub(crate) fn draw(&self, path: &str, body: Option<&[u8]>) -> Option<FaultKind> {
        let mut guard = self.lock();
        let (rules, rng) = &mut *guard;
        let mut fired = None;
        for rule in rules.iter_mut() {
            if rule
                .path_prefix
                .as_deref()
                .is_some_and(|p| !path.starts_with(p))
            {
                continue;
            }
            if let Some(text) = rule.body_contains.as_deref() {
                let holds = body
                    .is_some_and(|b| b.windows(text.len().max(1)).any(|w| w == text.as_bytes()));
                if !holds {
                    continue;
                }
            }
            let fires = match &mut rule.trigger {
                Trigger::Next { count } if *count > 0 => {
                    *count -= 1;
                    true
                }
                Trigger::Next { .. } => false,
                Trigger::Probability { p } => rng.gen_bool(p.clamp(0.0, 1.0)),
            };
            if fires {
                fired = Some(rule.fault);
                break;
            }
        }
        rules.retain(|r| !matches!(r.trigger, Trigger::Next { count: 0 }));
        fired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<FaultRule>, ChaCha8Rng)> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
