//! A strict, stateful NetSuite stand-in for tests, the demo and benchmarks: NetSuite's REST
//! web services (SuiteQL, the record API, OAuth 2.0 token endpoint, governance limits) over
//! HTTP, with TBA and OAuth 2.0 checked as NetSuite checks them, per-account concurrency
//! limits, injected latency, scriptable faults and a control API under `/_emulator`.
//!
//! It owns everything HTTP; each account's data (schema, generator, SuiteQL translation,
//! value encoding, record layer, writes) lives in `netsuite-emulator-db`. It must never be
//! used by production code paths. Known divergences from NetSuite: `docs/netsuite-emulator.md`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), netsuite_emulator::EmulatorError> {
//! use netsuite_emulator::{AccountConfig, Emulator, EmulatorConfig};
//! let emulator = Emulator::start(EmulatorConfig::single(AccountConfig::demo("1234567", 7))).await?;
//! let base_url = emulator.base_url(); // "http://127.0.0.1:PORT"
//! let creds = emulator.credentials("1234567").expect("configured account");
//! // ... point a client at base_url with creds.tba or creds.oauth2 ...
//! emulator.control().advance_clock(chrono::Duration::hours(1));
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Routing: a request goes to the account named by its `Host` header when that is
//! `<account-host>.suitetalk.api.netsuite.com` or `<account-host>.localhost`; otherwise (a
//! client talking to `127.0.0.1:PORT`) to the account its credentials name: the TBA realm,
//! the account a bearer token was issued for, or the JWT `iss` at the token endpoint.

mod account_id;
mod accounts_file;
pub mod auth;
mod churn;
mod clock;
mod config;
mod control;
mod credentials;
mod errors;
mod faults;
// Exists only for the cargo-fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod log;
mod server;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use account_id::{AccountId, BadAccountId};
pub use accounts_file::{parse_accounts_file, AccountsFileError};
pub use churn::ChurnOutcome;
pub use config::{AccountConfig, DatasetChoice, EmulatorConfig, LatencyConfig, Strictness};
pub use control::{Control, ControlError};
pub use credentials::{
    BadPublicKey, Certificate, Credentials, OAuth2Credentials, OAuth2Integration, PublicKey,
    TbaCredentials, TEST_EC_PRIVATE_KEY_PEM, TEST_EC_PUBLIC_KEY_PEM, TEST_RSA_PRIVATE_KEY_PEM,
    TEST_RSA_PUBLIC_KEY_PEM,
};
pub use errors::{NsError, INVALID_LOGIN_DETAIL};
pub use faults::{FaultKind, FaultRule, Trigger};
pub use log::{AuthKind, LoggedRequest};
pub use netsuite_emulator_db as db;
pub use netsuite_emulator_db::{
    Applied, ChurnReport, DateFormat, GeneratorSpec, KindChurn, Mode, Mutation, NewCustomer,
    NewProject, PersonName, RecordKind, Stage,
};

/// Why an emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Two accounts with one id.
    #[error("account {0} is configured twice")]
    DuplicateAccount(String),
    /// An account's database could not be built or loaded.
    #[error("could not build an account database: {0}")]
    Database(String),
    /// The listening socket could not be bound.
    #[error("could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Loading data panicked or was cancelled.
    #[error("emulator start-up task failed: {0}")]
    Startup(String),
}

/// A running emulator, listening on loopback until [`Emulator::shutdown`] (or drop).
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<state::Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Builds and loads every account (off the async runtime), binds `config.bind`, serves.
    pub async fn start(config: EmulatorConfig) -> Result<Self, EmulatorError> {
        let bind = config.bind;
        let shared = tokio::task::spawn_blocking(move || state::Shared::build(&config))
            .await
            .map_err(|e| EmulatorError::Startup(e.to_string()))??;
        let shared = Arc::new(shared);
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|source| EmulatorError::Bind { addr: bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind { addr: bind, source })?;
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(server::run(listener, http::router(Arc::clone(&shared)), rx));
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Ids of the served accounts, canonical form.
    pub fn account_ids(&self) -> Vec<String> {
        self.shared
            .accounts
            .iter()
            .map(|a| a.id.to_string())
            .collect()
    }

    /// What a client needs to connect to `account_id`; `None` for an unknown account.
    pub fn credentials(&self, account_id: &str) -> Option<Credentials> {
        let account = self.shared.account_by_id(account_id)?;
        Some(credentials::client_credentials(
            &account.id,
            &account.tba,
            &account.oauth2,
        ))
    }

    /// The in-process control API.
    pub fn control(&self) -> Control {
        Control {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
