//! The delivering side: lease an endpoint whose oldest pending delivery is due, send its
//! deliveries in order while they succeed, record each attempt under the lease, give the lease
//! back. A failed delivery waits for its retry and holds back the ones behind it: order per
//! endpoint is kept, and a dead endpoint costs one attempt per backoff, not one per event.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use nsync_store::{AttemptOutcome, Delivery, LeasedEndpoint, StoreError};
use rand::Rng;

use super::destination::{check_destination, resolver};
use super::sign::signature_header;
use crate::{Engine, EngineError};

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Deliveries made at once (each on its own endpoint).
    pub concurrency: usize,
    /// An answer that takes longer is a failure.
    pub timeout: Duration,
    /// Bytes of an answer read at most; the rest is not read.
    pub max_answer: usize,
    /// How long an endpoint's lease lasts (renewed at every attempt).
    pub lease: Duration,
    /// How long an idle deliverer waits before looking again.
    pub poll: Duration,
    /// The delay before the first retry; it doubles with each attempt, up to `max_retry`,
    /// with a quarter of jitter either way.
    pub first_retry: Duration,
    /// The longest delay between attempts.
    pub max_retry: Duration,
    /// An endpoint whose deliveries fail for this long is disabled.
    pub give_up_after: Duration,
    /// Deliveries sent under one lease before it is given back (fairness between endpoints).
    pub per_lease: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            timeout: Duration::from_secs(10),
            max_answer: 64 * 1024,
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
            first_retry: Duration::from_secs(5),
            max_retry: Duration::from_secs(60 * 60),
            give_up_after: Duration::from_secs(3 * 24 * 60 * 60),
            per_lease: 100,
        }
    }
}

/// Delivers the webhooks of every company, from any process.
pub struct Deliverer {
    engine: Arc<Engine>,
    client: reqwest::Client,
    config: DeliveryConfig,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

impl Deliverer {
    /// A deliverer over `engine`'s store, under its webhook policy.
    pub fn new(engine: Arc<Engine>, config: DeliveryConfig) -> Result<Self, EngineError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(resolver(engine.webhook_policy()))
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("nsync-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| EngineError::Config(format!("the webhook client cannot be built: {e}")))?;
        Ok(Self {
            engine,
            client,
            config,
        })
    }

    /// Leases one endpoint with a due delivery and sends what is due there. Returns whether
    /// there was one.
    pub async fn deliver_once(&self) -> Result<bool, EngineError> {
        let store = self.engine.store();
        let lease_ms = millis(self.config.lease);
        let Some(lease) = store
            .lease_webhook_endpoint(self.engine.master_key(), self.engine.now_ms(), lease_ms)
            .await?
        else {
            return Ok(false);
        };
        for _ in 0..self.config.per_lease.max(1) {
            let Some(delivery) = store.next_webhook_delivery(&lease).await? else {
                break;
            };
            if delivery.next_try_at_ms > self.engine.now_ms() {
                break;
            }
            let outcome = self.attempt(&lease, &delivery).await;
            let failed = matches!(outcome, AttemptOutcome::Failed { .. });
            self.engine.metrics().webhook_attempt(match &outcome {
                AttemptOutcome::Delivered { .. } => "delivered",
                AttemptOutcome::Failed { disable: None, .. } => "failed",
                AttemptOutcome::Failed { .. } => "disabled",
            });
            match store
                .record_webhook_attempt(
                    &lease,
                    delivery.id,
                    &outcome,
                    self.engine.now_ms(),
                    lease_ms,
                )
                .await
            {
                Ok(()) => {}
                // Taken over (this process stalled past its lease): the other one goes on.
                Err(StoreError::LeaseLost(_)) => return Ok(true),
                Err(err) => return Err(err.into()),
            }
            if failed {
                break;
            }
        }
        store.release_webhook_endpoint(&lease).await?;
        Ok(true)
    }

    async fn attempt(&self, lease: &LeasedEndpoint, delivery: &Delivery) -> AttemptOutcome {
        let now = self.engine.now_ms();
        let fail = |status: Option<u16>, error: String| {
            let retry = self.retry_delay(delivery.attempts + 1);
            let since = lease.endpoint.failing_since_ms.unwrap_or(now);
            let disable = (now - since >= millis(self.config.give_up_after)).then(|| {
                let since = chrono::DateTime::from_timestamp_millis(since).unwrap_or_default();
                format!(
                    "disabled: every delivery failed since {} (last: {error}); fix the endpoint, then enable it",
                    since.format("%Y-%m-%d %H:%M UTC")
                )
            });
            AttemptOutcome::Failed {
                status,
                error: error.clone(),
                retry_at_ms: now + millis(retry),
                disable,
            }
        };
        let url = match check_destination(&lease.endpoint.url, self.engine.webhook_policy()) {
            Ok(url) => url,
            Err(err) => return fail(None, err.to_string()),
        };
        let id = format!("msg_{}", delivery.event);
        let timestamp = now.div_euclid(1000);
        let signature = match signature_header(&lease.secrets, &id, timestamp, &delivery.payload) {
            Ok(signature) => signature,
            Err(err) => return fail(None, err.to_string()),
        };
        let request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone());
        match self.send(request).await {
            Ok(status) if status.is_success() => AttemptOutcome::Delivered {
                status: status.as_u16(),
            },
            Ok(status) if status.is_redirection() => fail(
                Some(status.as_u16()),
                format!("answered {status}; redirects are not followed"),
            ),
            Ok(status) => fail(Some(status.as_u16()), format!("answered {status}")),
            Err(error) => fail(None, error),
        }
    }

    /// Sends and reads at most `max_answer` bytes of the answer, within the timeout.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::StatusCode, String> {
        let seconds = self.config.timeout.as_secs();
        let exchange = async {
            let mut response = request.send().await.map_err(describe)?;
            let status = response.status();
            let mut read = 0;
            while read < self.config.max_answer {
                match response.chunk().await {
                    Ok(Some(chunk)) => read += chunk.len(),
                    Ok(None) => break,
                    // The status is in; a broken body does not undo it.
                    Err(_) => break,
                }
            }
            Ok(status)
        };
        tokio::time::timeout(self.config.timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {seconds} s")))
    }

    fn retry_delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(24);
        let delay = (self.config.first_retry * 2u32.pow(doublings)).min(self.config.max_retry);
        delay.mul_f64(rand::thread_rng().gen_range(0.75..1.25))
    }

    /// Delivers until `stop` completes, `concurrency` endpoints at a time.
    pub async fn run(self: Arc<Self>, stop: impl Future<Output = ()>) {
        let slots = (0..self.config.concurrency.max(1)).map(|_| {
            let this = Arc::clone(&self);
            async move {
                loop {
                    match this.deliver_once().await {
                        Ok(true) => {}
                        Ok(false) => tokio::time::sleep(this.config.poll).await,
                        Err(err) => {
                            tracing::warn!(error = %err, "webhook delivery could not go on");
                            tokio::time::sleep(this.config.poll).await;
                        }
                    }
                }
            }
        });
        tokio::select! {
            _ = futures::future::join_all(slots) => {}
            () = stop => {}
        }
    }
}

/// A failed request in plain words, with its causes (the resolver's refusal among them).
fn describe(err: reqwest::Error) -> String {
    if err.is_timeout() {
        return "no answer in time".to_owned();
    }
    let mut text = if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
