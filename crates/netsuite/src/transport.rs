//! The one request path: signing, the account budget, timeouts, bounded bodies, classification
//! of errors and retries. Every NetSuite call goes through [`Transport::send`].

mod token;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::distributions::Alphanumeric;
use rand::Rng;
use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tokio::sync::Semaphore;
use url::Url;

use crate::account::AccountId;
use crate::auth::{tba, Auth};
use crate::clock::Clock;
use crate::error::{classify, Error};
use crate::observe::{Observer, Outcome};
use crate::retry::RetryPolicy;

pub(crate) use token::TokenCache;

/// The largest answer read; a 1000-row page is well under a megabyte.
pub(crate) const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// One SuiteQL page as NetSuite sends it.
#[derive(Debug, Deserialize)]
pub(crate) struct Page {
    #[serde(default)]
    pub items: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(rename = "hasMore")]
    pub has_more: bool,
}

impl Page {
    /// Reads the body of a successful SuiteQL answer. A page of another shape is refused whole:
    /// a row that is not an object has no id, so it could not even be reported on its own.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, Error> {
        serde_json::from_slice(body).map_err(|e| Error::Decode(format!("SuiteQL page: {e}")))
    }
}

/// Refuses a success body that is not complete JSON. A truncated or malformed 200 is retried
/// like a reset: reads are idempotent.
pub(crate) fn check_json(body: &[u8]) -> Result<(), Error> {
    serde_json::from_slice::<serde::de::IgnoredAny>(body)
        .map(|_| ())
        .map_err(|e| Error::Decode(format!("malformed or truncated JSON ({e})")))
}

/// A request body: SuiteQL JSON or the token endpoint's form.
pub(crate) enum Body {
    Json(serde_json::Value),
    Form(Vec<(&'static str, String)>),
}

/// A failed attempt and what NetSuite said about waiting.
struct Failure {
    error: Error,
    retry_after: Option<Duration>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            retry_after: None,
        }
    }
}

/// A client's way into its account's shared budget.
#[derive(Debug)]
pub(crate) struct SharedAccess {
    pub budget: Arc<dyn crate::SharedBudget>,
    /// The account (and the base URL when overridden), as the budget knows it.
    pub key: String,
    pub limit: usize,
}

/// A request slot: this process's, and the shared one when there is a shared budget.
pub(crate) struct Slot {
    _local: tokio::sync::OwnedSemaphorePermit,
    _shared: Option<crate::SharedSlot>,
}

/// Shared by every read of one `Client`.
#[derive(Debug)]
pub(crate) struct Transport {
    pub http: reqwest::Client,
    pub base: Url,
    pub account: AccountId,
    pub auth: Auth,
    pub tokens: TokenCache,
    pub budget: Arc<Semaphore>,
    /// The budget other processes share, when there is one.
    pub shared: Option<SharedAccess>,
    pub retry: RetryPolicy,
    pub clock: Arc<dyn Clock>,
    pub timeout: Duration,
    pub requests: AtomicU64,
    /// SuiteQL pages answered (for progress).
    pub pages: AtomicU64,
    pub observer: Option<Arc<dyn Observer>>,
}

impl Transport {
    /// Runs one SuiteQL page query with retries.
    pub async fn suiteql(&self, q: &str, limit: u32, offset: u32) -> Result<Page, Error> {
        let mut url = self.url("/services/rest/query/v1/suiteql");
        url.query_pairs_mut()
            .append_pair("limit", &limit.to_string())
            .append_pair("offset", &offset.to_string());
        let body = Body::Json(serde_json::json!({ "q": q }));
        let text = self.send(Method::POST, url, &body).await?;
        // A page is up to a megabyte of JSON: parsed off the async threads, so the readers waiting
        // for a slot are woken the moment one frees.
        let page = tokio::task::spawn_blocking(move || Page::parse(&text))
            .await
            .map_err(|e| Error::Decode(format!("SuiteQL page: {e}")))??;
        // More rows than asked for is not NetSuite: refuse the page rather than trust it.
        if page.items.len() > limit as usize {
            return Err(Error::Decode(format!(
                "a page of {} rows came back for a request of at most {limit}",
                page.items.len()
            )));
        }
        self.pages.fetch_add(1, Ordering::Relaxed);
        Ok(page)
    }

    /// An absolute URL on the account's host (or the operator's override).
    pub fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url.set_query(None);
        url
    }

    /// Sends with retries; success bodies are returned once they parse as JSON.
    pub async fn send(&self, method: Method, url: Url, body: &Body) -> Result<Vec<u8>, Error> {
        let mut attempts = 0;
        let mut refreshed_token = false;
        loop {
            attempts += 1;
            // A token fetch that fails is retried like the request it is for.
            let (authorization, outcome) = match self.authorization(&method, &url).await {
                Ok(authorization) => {
                    let outcome = self
                        .attempt(method.clone(), &url, body, &authorization)
                        .await;
                    (authorization, outcome)
                }
                Err(error) => (String::new(), Err(Failure::from(error))),
            };
            let failure = match outcome {
                Ok(bytes) => return Ok(bytes),
                Err(f) => f,
            };
            let bearer = authorization.strip_prefix("Bearer ");
            if let Some(token) = bearer.filter(|_| !refreshed_token) {
                if matches!(failure.error, Error::InvalidLogin { .. }) {
                    // The cached token may have expired early: fetch a new one, once.
                    refreshed_token = true;
                    self.tokens.invalidate(token).await;
                    continue;
                }
            }
            if !failure.error.is_retryable() || !self.retry.allows_another(attempts) {
                return Err(failure.error);
            }
            let delay = self
                .retry
                .delay(attempts, failure.retry_after, &mut rand::thread_rng());
            tracing::debug!(error = %failure.error, attempt = attempts, delay_ms = delay.as_millis() as u64, "retrying NetSuite request");
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt, holding a slot of the account budget only while the request is in flight.
    async fn attempt(
        &self,
        method: Method,
        url: &Url,
        body: &Body,
        authorization: &str,
    ) -> Result<Vec<u8>, Failure> {
        let _slot = self.slot().await?;
        self.raw_attempt(method, url, body, Some(authorization.to_owned()))
            .await
    }

    /// Waits for a slot of the account's budget: this process's first, then the shared one.
    pub async fn slot(&self) -> Result<Slot, Error> {
        let local = Arc::clone(&self.budget)
            .acquire_owned()
            .await
            .map_err(|_| Error::Config("budget closed".into()))?;
        let shared = match &self.shared {
            Some(access) => Some(access.budget.acquire(&access.key, access.limit).await?),
            None => None,
        };
        Ok(Slot {
            _local: local,
            _shared: shared,
        })
    }

    /// The `Authorization` header for a resource request.
    async fn authorization(&self, method: &Method, url: &Url) -> Result<String, Error> {
        match &self.auth {
            Auth::Tba(creds) => {
                let nonce: String = rand::thread_rng()
                    .sample_iter(&Alphanumeric)
                    .take(20)
                    .map(char::from)
                    .collect();
                let n = tba::Nonce {
                    nonce: &nonce,
                    timestamp: self.clock.now().timestamp(),
                };
                Ok(tba::authorization_header(
                    self.account.realm(),
                    method.as_str(),
                    url,
                    creds,
                    n,
                ))
            }
            Auth::OAuth2(creds) => {
                let token = self.tokens.get(self, creds).await?;
                Ok(format!("Bearer {token}"))
            }
        }
    }

    /// Sends once and reads the bounded body; classifies errors.
    async fn raw_attempt(
        &self,
        method: Method,
        url: &Url,
        body: &Body,
        authorization: Option<String>,
    ) -> Result<Vec<u8>, Failure> {
        let mut req = self.http.request(method, url.clone()).timeout(self.timeout);
        if let Some(a) = authorization {
            req = req.header(AUTHORIZATION, a);
        }
        req = match body {
            Body::Json(v) => req.header("Prefer", "transient").json(v),
            Body::Form(f) => req.form(f),
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| {
            self.observe(Outcome::Transport);
            self.transport_error(e)
        })?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = read_bounded(resp).await.map_err(|e| {
            self.observe(Outcome::Transport);
            match e {
                ReadError::Http(e) => self.transport_error(e),
                ReadError::TooLarge => {
                    Error::Decode(format!("the answer is larger than {MAX_BODY_BYTES} bytes"))
                }
            }
        })?;
        self.observe(match status.as_u16() {
            200..=299 => Outcome::Ok,
            429 => Outcome::Throttled,
            500..=599 => Outcome::ServerError,
            _ => Outcome::Rejected,
        });
        if status.is_success() {
            check_json(&bytes)?;
            return Ok(bytes);
        }
        Err(failure(status, &headers, &bytes))
    }

    fn observe(&self, outcome: Outcome) {
        if let Some(observer) = &self.observer {
            observer.observe(outcome);
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            return Error::Timeout(self.timeout);
        }
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        Error::Transport(text)
    }

    /// Requests made so far (every attempt, retries and token requests included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

fn failure(status: StatusCode, headers: &HeaderMap, bytes: &[u8]) -> Failure {
    let text = String::from_utf8_lossy(bytes);
    let www = headers.get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok());
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Failure {
        error: classify(status.as_u16(), &text, www),
        retry_after,
    }
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

async fn read_bounded(mut resp: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::with_capacity(resp.content_length().unwrap_or(0).min(1 << 20) as usize);
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Http)? {
        if out.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
