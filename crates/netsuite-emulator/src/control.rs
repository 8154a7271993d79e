//! [`Control`]: the in-process twin of the `/_emulator` HTTP API. Tests and the demo change
//! data, move the clock, script faults and read the request log through it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use netsuite_emulator_db::{
    Applied, Mode, Mutation, MutationError, QueryPage, RecordKind, SuiteQlError,
};

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
        self.shared.faults.add(rule);
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
}
