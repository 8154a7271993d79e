//! How an emulator is set up: its accounts, their features, credentials and data, latency.

use std::net::SocketAddr;
use std::time::Duration;

use chrono_tz::Tz;
use netsuite_emulator_db::{DateFormat, GeneratorSpec};

use crate::account_id::AccountId;
use crate::credentials::{derive_secrets, Certificate, OAuth2Integration, TbaCredentials};

/// Everything an [`crate::Emulator`] serves.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The accounts, each reachable by its host or its credentials.
    pub accounts: Vec<AccountConfig>,
    /// Injected latency, applied while a request holds its concurrency slot.
    pub latency: LatencyConfig,
    /// Seeds jitter and probabilistic faults, so runs repeat exactly.
    pub seed: u64,
    /// Where to listen; `127.0.0.1:0` (a free port) by default.
    pub bind: SocketAddr,
    /// Choices where NetSuite's behaviour is uncertain.
    pub strictness: Strictness,
}

impl EmulatorConfig {
    /// One account, no latency, listening on a free loopback port.
    pub fn single(account: AccountConfig) -> Self {
        Self::many(vec![account])
    }

    /// Several accounts (an accounts file's), no latency, listening on a free loopback port.
    pub fn many(accounts: Vec<AccountConfig>) -> Self {
        Self {
            accounts,
            latency: LatencyConfig::default(),
            seed: 0,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            strictness: Strictness::default(),
        }
    }
}

/// Latency added to every NetSuite API answer (never to `/_emulator`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencyConfig {
    /// Added to every request.
    pub fixed: Duration,
    /// Uniformly random extra in `0..=jitter`, from the seeded generator.
    pub jitter: Duration,
    /// Added per returned row (SuiteQL items, record list items).
    pub per_row: Duration,
}

/// What to do where NetSuite's exact behaviour is not known (see `docs/netsuite-emulator.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strictness {
    /// SuiteQL without `Prefer: transient` is refused with 400 (NetSuite documents it as required).
    pub require_prefer_transient: bool,
    /// A SuiteQL page starting past the 100,000-row reach: 400 when true, an empty last page when false.
    pub error_past_reach: bool,
    /// The JWT `aud` must be the token URL of the request host or of the account's real host.
    pub strict_audience: bool,
}

impl Default for Strictness {
    fn default() -> Self {
        Self {
            require_prefer_transient: true,
            error_past_reach: true,
            strict_audience: true,
        }
    }
}

/// Which data an account starts with.
#[derive(Debug, Clone, PartialEq)]
pub enum DatasetChoice {
    /// No records at all (subsidiaries included).
    Empty,
    /// A few hundred records over several subsidiaries (see `netsuite-emulator-db`).
    Demo {
        /// Generator seed.
        seed: u64,
    },
    /// 50,000 customers and 250,000 projects over 3 subsidiaries.
    Large {
        /// Generator seed.
        seed: u64,
    },
    /// Any size.
    Generated(GeneratorSpec),
}

/// One emulated NetSuite account.
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// `1234567` or `1234567_SB1`.
    pub account_id: AccountId,
    /// OneWorld accounts have subsidiaries.
    pub one_world: bool,
    /// Without the Projects feature there is no `job`.
    pub projects_enabled: bool,
    /// Whether the integration role may read the status lists (`entitystatus`).
    pub status_lists_readable: bool,
    /// The account time zone (`TO_CHAR`, date-only values).
    pub time_zone: Tz,
    /// The token user's date format preference.
    pub date_format: DateFormat,
    /// Concurrent requests allowed before 429 (NetSuite's default tier: 5).
    pub concurrency_limit: usize,
    /// Token-based authentication secrets.
    pub tba: TbaCredentials,
    /// The OAuth 2.0 client-credentials integration.
    pub oauth2: OAuth2Integration,
    /// The data loaded at start.
    pub dataset: DatasetChoice,
}

impl AccountConfig {
    /// A OneWorld account with Projects, the demo dataset and secrets derived from `seed`.
    pub fn demo(account_id: &str, seed: u64) -> Self {
        Self::with_dataset(account_id, seed, DatasetChoice::Demo { seed })
    }

    /// A OneWorld account with Projects and generated data of any size.
    pub fn generated(account_id: &str, spec: GeneratorSpec) -> Self {
        let seed = spec.seed;
        Self::with_dataset(account_id, seed, DatasetChoice::Generated(spec))
    }

    /// An account with the given data; secrets are derived from `seed` and the id.
    ///
    /// # Panics
    /// When `account_id` is not a valid id: callers pass literals; use [`AccountId::parse`]
    /// first for user input.
    pub fn with_dataset(account_id: &str, seed: u64, dataset: DatasetChoice) -> Self {
        let account_id = AccountId::parse(account_id).expect("valid account id literal");
        let (tba, oauth2) = derive_secrets(&account_id, seed);
        Self {
            account_id,
            one_world: true,
            projects_enabled: true,
            status_lists_readable: true,
            time_zone: chrono_tz::America::Los_Angeles,
            date_format: DateFormat::default(),
            concurrency_limit: 5,
            tba,
            oauth2,
            dataset,
        }
    }

    /// Adds a certificate (public key) the integration accepts assertions from.
    pub fn with_certificate(mut self, certificate: Certificate) -> Self {
        self.oauth2.certificates.push(certificate);
        self
    }
}
