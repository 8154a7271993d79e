//! The OAuth 2.0 access-token cache: one token per client, fetched when missing or about to
//! expire, and fetched again once when NetSuite answers 401.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

use super::{Body, Transport};
use crate::auth::{jwt, ClientCredentials};
use crate::error::Error;

/// A token is replaced this long before NetSuite says it expires, so a request never leaves with
/// a token that dies in flight.
const EXPIRY_MARGIN_SECS: i64 = 120;

#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    cached: Mutex<Option<Cached>>,
}

#[derive(Debug)]
struct Cached {
    token: SecretString,
    expires_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default = "default_expiry")]
    expires_in: i64,
}

fn default_expiry() -> i64 {
    3600
}

impl TokenCache {
    /// A valid bearer token, fetched if needed. The lock makes concurrent readers wait for one
    /// fetch instead of each minting a token.
    pub async fn get(
        &self,
        transport: &Transport,
        creds: &ClientCredentials,
    ) -> Result<String, Error> {
        let mut cached = self.cached.lock().await;
        let now = transport.clock.now();
        if let Some(c) = cached.as_ref().filter(|c| now < c.expires_at) {
            return Ok(c.token.expose_secret().to_owned());
        }
        let answer = fetch(transport, creds).await?;
        let lifetime = (answer.expires_in - EXPIRY_MARGIN_SECS).max(1);
        let token = answer.access_token;
        *cached = Some(Cached {
            token: SecretString::from(token.clone()),
            expires_at: transport.clock.now() + Duration::seconds(lifetime),
        });
        Ok(token)
    }

    /// Forgets the token after NetSuite refused it, unless another request refused with it has
    /// already replaced it: requests in flight together then fetch one new token, not one each.
    pub async fn invalidate(&self, refused: &str) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == refused)
        {
            *cached = None;
        }
    }
}

/// Posts a fresh client assertion to the token endpoint, retrying transient failures.
async fn fetch(transport: &Transport, creds: &ClientCredentials) -> Result<TokenAnswer, Error> {
    let url = transport.url("/services/rest/auth/oauth2/v1/token");
    let mut attempts = 0;
    loop {
        attempts += 1;
        let jti = uuid::Uuid::new_v4().to_string();
        let assertion = jwt::client_assertion(creds, &url, transport.clock.now(), &jti)?;
        let form = Body::Form(vec![
            ("grant_type", "client_credentials".to_owned()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion", assertion),
        ]);
        let result = {
            let _slot = transport.slot().await?;
            transport.raw_attempt(Method::POST, &url, &form, None).await
        };
        match result {
            Ok(bytes) => {
                return serde_json::from_slice(&bytes)
                    .map_err(|e| Error::Decode(format!("token answer: {e}")))
            }
            Err(f) if f.error.is_retryable() && transport.retry.allows_another(attempts) => {
                let delay = transport
                    .retry
                    .delay(attempts, f.retry_after, &mut rand::thread_rng());
                tokio::time::sleep(delay).await;
            }
            Err(f) => return Err(f.error),
        }
    }
}
