//! The delivering side of the outbox: the delivery log, leasing an endpoint whose oldest
//! pending delivery is due, recording attempts under the lease, and pruning.

use nsync_core::WebhookEvent;
use secrecy::SecretString;

use super::{endpoint_from_row, secret_aad, WebhookEndpoint, ENDPOINT_COLUMNS};
use crate::audit::{append_audit_in, Audit};
use crate::row::Cols;
use crate::store::with_pool;
use crate::{MasterKey, Store, StoreError};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting to be sent, or to be tried again.
    Pending,
    /// Answered with a 2xx.
    Delivered,
    /// Given up (the endpoint was disabled or deleted meanwhile).
    Failed,
}

impl DeliveryStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown delivery status {text:?}")))
    }
}

/// One event to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// The endpoint.
    pub endpoint: i64,
    /// The event: its id is the `webhook-id` of every attempt, so receivers can drop repeats.
    pub event: i64,
    /// The event's type.
    pub event_type: WebhookEvent,
    /// The body sent, as written when the event happened.
    pub payload: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The next attempt, when pending.
    pub next_try_at_ms: i64,
    /// The status code of the last answer, when there was one.
    pub last_status: Option<u16>,
    /// What went wrong on the last attempt.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at_ms: i64,
    /// When it was delivered or given up.
    pub finished_at_ms: Option<i64>,
}

/// An endpoint leased for delivery, with the secrets to sign with (the current one first).
pub struct LeasedEndpoint {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// Proof of the lease.
    pub token: String,
    /// Secrets, `whsec_...`: the current one, and the previous one within its grace period.
    pub secrets: Vec<SecretString>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered {
        /// Its status code.
        status: u16,
    },
    /// Anything else: try again at `retry_at_ms`, or give up and disable the endpoint with
    /// `disable` as the reason.
    Failed {
        /// The status code, when there was an answer.
        status: Option<u16>,
        /// What went wrong, in plain words.
        error: String,
        /// The next attempt.
        retry_at_ms: i64,
        /// Disable the endpoint, with this reason.
        disable: Option<String>,
    },
}

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, e.event_type, e.payload, \
     d.status, d.attempts, d.next_try_at_ms, d.last_status, d.last_error, d.created_at_ms, \
     d.finished_at_ms";

impl Store {
    /// An endpoint's deliveries, newest first; pass the last id seen as `before` for the next
    /// page.
    pub async fn webhook_deliveries(
        &self,
        endpoint: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.endpoint_id = $1 AND d.id < $2 ORDER BY d.id DESC LIMIT $3"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(endpoint).bind(before.unwrap_or(i64::MAX)).bind(i64::from(limit))
                .fetch_all(pool).await?;
            rows.iter().map(delivery_from_row).collect()
        })
    }

    /// Queues a delivery's event to its endpoint again, after what is queued ("send again").
    /// Returns the new delivery's id. Audited.
    pub async fn resend_webhook_delivery(
        &self,
        endpoint: i64,
        delivery: i64,
        audit: &Audit,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO webhook_deliveries (endpoint_id, event_id, status, next_try_at_ms, created_at_ms) \
                   SELECT d.endpoint_id, d.event_id, 'pending', $3, $3 FROM webhook_deliveries d \
                   JOIN webhook_endpoints w ON w.id = d.endpoint_id \
                   WHERE d.id = $1 AND d.endpoint_id = $2 AND w.company_id = $4 RETURNING id";
        let created = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let created: Option<i64> = sqlx::query_scalar(sql).bind(delivery).bind(endpoint).bind(audit.at_ms)
                .bind(audit.company.get()).fetch_optional(&mut *tx).await?;
            if created.is_some() {
                append_audit_in!(&mut *tx, &audit.clone().with("delivery", delivery).entry(format!("webhook {endpoint}")));
                tx.commit().await?;
            }
            created
        });
        created.ok_or(StoreError::NotFound {
            what: "webhook delivery",
            id: delivery,
        })
    }

    /// Leases an enabled endpoint whose oldest pending delivery is due and that no live lease
    /// holds, for `lease_ms`; `None` when there is none. The lease and the secrets come back
    /// together.
    pub async fn lease_webhook_endpoint(
        &self,
        key: &MasterKey,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<LeasedEndpoint>, StoreError> {
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE webhook_endpoints SET lease_token = $1, leased_until_ms = $2 WHERE id = (\
               SELECT w.id FROM webhook_endpoints w WHERE w.enabled \
                 AND (w.leased_until_ms IS NULL OR w.leased_until_ms < $3) \
                 AND (SELECT d.next_try_at_ms FROM webhook_deliveries d WHERE d.endpoint_id = w.id \
                      AND d.status = 'pending' ORDER BY d.id LIMIT 1) <= $3 \
               ORDER BY w.id LIMIT 1 {lock}) \
             RETURNING {ENDPOINT_COLUMNS}, secret, previous_secret"
        );
        let token = uuid::Uuid::new_v4().to_string();
        let leased = with_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(&token).bind(now_ms + lease_ms).bind(now_ms).fetch_optional(pool).await?;
            row.map(|r| Ok::<_, StoreError>((endpoint_from_row(&r)?, r.bytes("secret")?, r.opt_bytes("previous_secret")?)))
                .transpose()?
        });
        let Some((endpoint, secret, previous)) = leased else {
            return Ok(None);
        };
        let aad = secret_aad(endpoint.company.get(), endpoint.id);
        let open = |sealed: &[u8]| {
            key.open(&aad, sealed)
                .and_then(|plain| String::from_utf8(plain).ok())
                .map(SecretString::from)
                .ok_or(StoreError::WebhookSecret(endpoint.id))
        };
        let mut secrets = vec![open(&secret)?];
        if let (Some(previous), Some(until)) = (previous, endpoint.previous_secret_until_ms) {
            if until > now_ms {
                secrets.push(open(&previous)?);
            }
        }
        Ok(Some(LeasedEndpoint {
            endpoint,
            token,
            secrets,
        }))
    }

    /// The oldest pending delivery of a leased endpoint, due or not.
    pub async fn next_webhook_delivery(
        &self,
        lease: &LeasedEndpoint,
    ) -> Result<Option<Delivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.endpoint_id = $1 AND d.status = 'pending' ORDER BY d.id LIMIT 1"
        );
        with_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(lease.endpoint.id).fetch_optional(pool).await?;
            row.map(|r| delivery_from_row(&r)).transpose()
        })
    }

    /// Records an attempt of a delivery, under the endpoint's lease (`LeaseLost` when another
    /// process took it over meanwhile; then nothing is written), and extends the lease.
    pub async fn record_webhook_attempt(
        &self,
        lease: &LeasedEndpoint,
        delivery: i64,
        outcome: &AttemptOutcome,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<(), StoreError> {
        let hold =
            "UPDATE webhook_endpoints SET leased_until_ms = $3 WHERE id = $1 AND lease_token = $2";
        let endpoint = lease.endpoint.id;
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let held = sqlx::query(hold).bind(endpoint).bind(&lease.token).bind(now_ms + lease_ms)
                .execute(&mut *tx).await?.rows_affected();
            if held == 0 {
                return Err(StoreError::LeaseLost(endpoint));
            }
            match outcome {
                AttemptOutcome::Delivered { status } => {
                    sqlx::query("UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, \
                                 last_status = $2, last_error = NULL, finished_at_ms = $3 WHERE id = $1")
                        .bind(delivery).bind(i64::from(*status)).bind(now_ms).execute(&mut *tx).await?;
                    sqlx::query("UPDATE webhook_endpoints SET failing_since_ms = NULL WHERE id = $1")
                        .bind(endpoint).execute(&mut *tx).await?;
                }
                AttemptOutcome::Failed { status, error, retry_at_ms, disable } => {
                    sqlx::query("UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, \
                                 last_error = $3, next_try_at_ms = $4 WHERE id = $1")
                        .bind(delivery).bind(status.map(i64::from)).bind(error).bind(retry_at_ms)
                        .execute(&mut *tx).await?;
                    sqlx::query("UPDATE webhook_endpoints SET failing_since_ms = coalesce(failing_since_ms, $2) WHERE id = $1")
                        .bind(endpoint).bind(now_ms).execute(&mut *tx).await?;
                    if let Some(reason) = disable {
                        sqlx::query("UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $2 WHERE id = $1")
                            .bind(endpoint).bind(reason).execute(&mut *tx).await?;
                    }
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Gives an endpoint's lease back.
    pub async fn release_webhook_endpoint(&self, lease: &LeasedEndpoint) -> Result<(), StoreError> {
        let sql = "UPDATE webhook_endpoints SET lease_token = NULL, leased_until_ms = NULL \
                   WHERE id = $1 AND lease_token = $2";
        with_pool!(self, pool => sqlx::query(sql).bind(lease.endpoint.id).bind(&lease.token).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Drops deliveries that ended before `before_ms`, and events left without a delivery.
    /// Returns how many deliveries went.
    pub async fn prune_webhook_deliveries(&self, before_ms: i64) -> Result<u64, StoreError> {
        let deliveries =
            "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND finished_at_ms < $1";
        let events = "DELETE FROM webhook_events WHERE created_at_ms < $1 \
                      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)";
        with_pool!(self, pool => {
            let removed = sqlx::query(deliveries).bind(before_ms).execute(pool).await?.rows_affected();
            sqlx::query(events).bind(before_ms).execute(pool).await?;
            Ok(removed)
        })
    }
}

fn delivery_from_row(row: &impl Cols) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: row.int("id")?,
        endpoint: row.int("endpoint_id")?,
        event: row.int("event_id")?,
        event_type: WebhookEvent::parse(&row.text("event_type")?).map_err(StoreError::corrupt)?,
        payload: row.text("payload")?,
        status: DeliveryStatus::parse(&row.text("status")?)?,
        attempts: u32::try_from(row.int("attempts")?).map_err(StoreError::corrupt)?,
        next_try_at_ms: row.int("next_try_at_ms")?,
        last_status: row
            .opt_int("last_status")?
            .map(u16::try_from)
            .transpose()
            .map_err(StoreError::corrupt)?,
        last_error: row.opt_text("last_error")?,
        created_at_ms: row.int("created_at_ms")?,
        finished_at_ms: row.opt_int("finished_at_ms")?,
    })
}
