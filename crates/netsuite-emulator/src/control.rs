//! [`Control`]: the in-process twin of the `/_emulator` HTTP API. Tests and the demo change
//! data, move the clock, script faults and read the request log through it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use netsuite_emulator_db::{
    Applied, ChurnReport, Mode, Mutation, MutationError, QueryPage, RecordKind, SuiteQlError,
};

use crate::churn::{churn_accounts, ChurnOutcome};
use crate::config::LatencyConfig;
use crate::faults::FaultRule;
use crate::log::LoggedRequest;
use crate::state::{lock, Account, Shared};

/// Why a control call failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// No account with that id.
    #[error("no account {0} in this emulator")]
    UnknownAccount(String),
    /// The change broke one of NetSuite's rules (or, in raw mode, SQLite's).
    #[error(transparent)]
    Mutation(#[from] MutationError),
    /// A SuiteQL query (through [`Control::suiteql`]) was refused.
    #[error(transparent)]
    SuiteQl(#[from] SuiteQlError),
    /// A churn fraction outside `0.0..=1.0`.
    #[error("fraction must be between 0 and 1, not {0}")]
    BadFraction(f64),
}

/// A cheap, cloneable handle on a running emulator's state.
#[derive(Clone)]
pub struct Control {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control").finish_non_exhaustive()
    }
}

impl Control {
    fn account(&self, account_id: &str) -> Result<&Arc<Account>, ControlError> {
        self.shared
            .account_by_id(account_id)
            .ok_or_else(|| ControlError::UnknownAccount(account_id.to_owned()))
    }

    /// Applies a change as NetSuite would accept it (length limits, parents, cycles...),
    /// stamping `lastmodifieddate` with the emulated clock.
    pub fn apply(&self, account_id: &str, change: Mutation) -> Result<Applied, ControlError> {
        self.apply_mode(account_id, change, Mode::Strict)
    }

    /// Applies a change bypassing NetSuite's rules, to seed bad upstream data.
    pub fn apply_raw(&self, account_id: &str, change: Mutation) -> Result<Applied, ControlError> {
        self.apply_mode(account_id, change, Mode::Raw)
    }

    /// Applies a change in the given mode.
    pub fn apply_mode(
        &self,
        account_id: &str,
        change: Mutation,
        mode: Mode,
    ) -> Result<Applied, ControlError> {
        let account = self.account(account_id)?;
        Ok(account.db.apply(change, self.shared.clock.now(), mode)?)
    }

    /// Renames a customer (Company Name) or project (Project Name).
    pub fn rename(
        &self,
        account_id: &str,
        kind: RecordKind,
        id: i64,
        name: &str,
    ) -> Result<Applied, ControlError> {
        self.apply(
            account_id,
            Mutation::Rename {
                kind,
                id,
                name: name.to_owned(),
            },
        )
    }

    /// Makes a customer or project inactive (`true`) or active again.
    pub fn set_inactive(
        &self,
        account_id: &str,
        kind: RecordKind,
        id: i64,
        inactive: bool,
    ) -> Result<Applied, ControlError> {
        self.apply(account_id, Mutation::SetInactive { kind, id, inactive })
    }

    /// Gives a customer or project a new parent.
    pub fn move_record(
        &self,
        account_id: &str,
        kind: RecordKind,
        id: i64,
        parent: Option<i64>,
    ) -> Result<Applied, ControlError> {
        self.apply(account_id, Mutation::Move { kind, id, parent })
    }

    /// Deletes a customer or project (it appears in `deletedrecord`).
    pub fn delete(
        &self,
        account_id: &str,
        kind: RecordKind,
        id: i64,
    ) -> Result<Applied, ControlError> {
        self.apply(account_id, Mutation::Delete { kind, id })
    }

    /// Runs SuiteQL directly on an account (no HTTP, no paging rules): handy for assertions.
    pub fn suiteql(
        &self,
        account_id: &str,
        q: &str,
        offset: usize,
        limit: usize,
    ) -> Result<QueryPage, ControlError> {
        let account = self.account(account_id)?;
        account.db.set_clock(self.shared.clock.now());
        Ok(account.db.suiteql(q, &[], offset, limit)?)
    }

    /// The emulated time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// Pins the emulated clock at `t`.
    pub fn set_clock(&self, t: DateTime<Utc>) {
        self.shared.clock.set(t);
    }

    /// Moves the emulated clock.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.clock.advance(by);
    }

    /// Lets the emulated clock follow the system clock again.
    pub fn follow_system_clock(&self) {
        self.shared.clock.follow_system();
    }

    /// Adds a scripted fault.
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.faults.add(rule, self.shared.clock.now());
    }

    /// Removes every scripted fault and restarts the fault generator from the seed.
    pub fn clear_faults(&self) {
        self.shared.faults.clear(self.shared.seed);
    }

    /// Changes the injected latency.
    pub fn set_latency(&self, latency: LatencyConfig) {
        *lock(&self.shared.latency) = latency;
    }

    /// Changes an account's concurrency limit.
    pub fn set_concurrency_limit(
        &self,
        account_id: &str,
        limit: usize,
    ) -> Result<(), ControlError> {
        self.account(account_id)?
            .limit
            .store(limit, Ordering::SeqCst);
        Ok(())
    }

    /// Every NetSuite API request received so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.log.snapshot()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Forgets the TBA nonces seen (so a fixed vector can be replayed in a test).
    pub fn clear_nonces(&self) {
        lock(&self.shared.nonces).clear();
    }

    /// Revokes every issued OAuth 2.0 access token.
    pub fn revoke_tokens(&self) {
        lock(&self.shared.tokens).clear();
    }

    /// Revokes one account's credentials until [`Control::restore_credentials`]: its TBA token
    /// is refused as an unknown token is (401 `INVALID_LOGIN`), its issued OAuth 2.0 access
    /// tokens are dropped and the token endpoint refuses it new ones. Other accounts go on.
    pub fn revoke_credentials(&self, account_id: &str) -> Result<(), ControlError> {
        let account = self.account(account_id)?;
        account.revoked.store(true, Ordering::SeqCst);
        let index = self.shared.account_index(account);
        lock(&self.shared.tokens).retain(|_, t| t.account != index);
        Ok(())
    }

    /// Lets a revoked account log in again with the same credentials.
    pub fn restore_credentials(&self, account_id: &str) -> Result<(), ControlError> {
        self.account(account_id)?
            .revoked
            .store(false, Ordering::SeqCst);
        Ok(())
    }

    /// Changes about `fraction` of the customers and of the projects of each account (of
    /// `accounts` only, when given) as their users would: mostly renames, some records made
    /// inactive or active again, each through the strict write path at the emulated now, so
    /// a `lastmodifieddate` filter sees them. Deterministic by `seed` (each account draws
    /// from the seed and its id); accounts are churned in parallel.
    pub fn churn(
        &self,
        fraction: f64,
        seed: u64,
        accounts: Option<&[String]>,
    ) -> Result<ChurnOutcome, ControlError> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(ControlError::BadFraction(fraction));
        }
        let chosen = match accounts {
            None => self.shared.accounts.clone(),
            Some(ids) => ids
                .iter()
                .map(|id| self.account(id).cloned())
                .collect::<Result<_, _>>()?,
        };
        let now = self.shared.clock.now();
        let totals: ChurnReport = churn_accounts(&chosen, fraction, seed, now)?;
        Ok(ChurnOutcome {
            accounts: chosen.len(),
            records_changed: totals.records_changed(),
            at: now,
            customers: totals.customers,
            projects: totals.projects,
        })
    }
}
