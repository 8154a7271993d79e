//! How the engine reaches NetSuite for an integration: the seam where tests and the demo point
//! at the emulator while production points at NetSuite.

use std::sync::Arc;
use std::time::Duration;

use netsuite::{
    Auth, Client, ClientConfig, ClientCredentials, Clock, Observer, RetryPolicy, TbaCredentials,
};
use nsync_core::Credentials;
use nsync_store::Integration;
use secrecy::{ExposeSecret, SecretString};

use crate::EngineError;

/// An account id from outside (the API, a form, the command line), read by the NetSuite
/// client's own parser: what it refuses (`localhost`, `1234567_`, `0x7f000001`, a trailing
/// space) is refused here too, at once and with its reason, instead of being stored and failing
/// at the first request. Kept in the form nsync stores.
pub fn parse_account_id(text: &str) -> Result<nsync_core::AccountId, netsuite::AccountIdError> {
    let parsed = netsuite::AccountId::parse(text)?;
    nsync_core::AccountId::parse(parsed.realm()).map_err(|_| netsuite::AccountIdError {
        input: text.escape_default().to_string(),
        reason: "nsync cannot store it",
    })
}

/// Builds the NetSuite client of an integration.
pub trait Connector: Send + Sync {
    /// A client for `integration`, authenticated with its (decrypted) credentials, telling
    /// `observer` how each request ended.
    fn connect(
        &self,
        integration: &Integration,
        credentials: &Credentials,
        observer: Arc<dyn Observer>,
    ) -> Result<Client, EngineError>;
}

/// Operator settings for every client the engine builds. Never derived from tenant input: the
/// base URL decides where credentials are sent.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// `None` for NetSuite itself; the emulator's URL in tests and the demo.
    pub base_url_override: Option<url::Url>,
    /// The NetSuite account's time zone (datetimes come back in it).
    pub time_zone: chrono_tz::Tz,
    /// Requests in flight at once per account.
    pub concurrency: usize,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// The clock signatures use; the system clock when `None`.
    pub clock: Option<Arc<dyn Clock>>,
    /// Every account's budget shared with the deployment's other processes (see
    /// [`crate::budget`]); `None` when this process is the only one reading NetSuite.
    pub shared_budget: Option<Arc<dyn netsuite::SharedBudget>>,
    /// The HTTP client every client built from these settings shares, made at the first.
    pub http: Arc<std::sync::OnceLock<reqwest::Client>>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            base_url_override: None,
            time_zone: chrono_tz::UTC,
            concurrency: 4,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(120),
            clock: None,
            shared_budget: None,
            http: Arc::default(),
        }
    }
}

impl Connector for ClientSettings {
    fn connect(
        &self,
        integration: &Integration,
        credentials: &Credentials,
        observer: Arc<dyn Observer>,
    ) -> Result<Client, EngineError> {
        let account = netsuite::AccountId::parse(integration.account.as_str())
            .map_err(|e| EngineError::Config(e.to_string()))?;
        let mut config = ClientConfig::new(account, auth(credentials));
        config.base_url_override = self.base_url_override.clone();
        config.time_zone = self.time_zone;
        config.concurrency = self.concurrency;
        config.retry = self.retry.clone();
        config.request_timeout = self.request_timeout;
        config.observer = Some(observer);
        config.shared_budget = self.shared_budget.clone();
        config.http = match self.http.get() {
            Some(http) => Some(http.clone()),
            None => {
                let http = netsuite::http_client(config.connect_timeout)?;
                Some(self.http.get_or_init(|| http).clone())
            }
        };
        if let Some(clock) = &self.clock {
            config.clock = Arc::clone(clock);
        }
        Ok(Client::new(config)?)
    }
}

fn secret(text: &SecretString) -> SecretString {
    text.expose_secret().to_owned().into()
}

/// The stored credentials in the client's terms.
fn auth(credentials: &Credentials) -> Auth {
    match credentials {
        Credentials::Tba {
            consumer_key,
            consumer_secret,
            token_id,
            token_secret,
        } => Auth::Tba(TbaCredentials {
            consumer_key: consumer_key.clone().into(),
            consumer_secret: secret(consumer_secret),
            token_id: token_id.clone().into(),
            token_secret: secret(token_secret),
        }),
        Credentials::OAuth2 {
            client_id,
            certificate_id,
            private_key_pem,
        } => Auth::OAuth2(ClientCredentials {
            client_id: client_id.clone(),
            certificate_id: certificate_id.clone(),
            private_key_pem: secret(private_key_pem),
        }),
    }
}
