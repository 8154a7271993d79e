//! Outbound webhooks: endpoints an administrator registers, the events nsync announces, and
//! one delivery per endpoint and event.
//!
//! An event and its deliveries are written in the transaction of what they announce (the
//! outbox pattern), so an event is sent if and only if its change committed. Deliveries to
//! one endpoint go out in order: only its oldest pending delivery is tried, by whichever
//! process holds the endpoint's lease; a lease that runs out (its process died) is taken over.

mod delivery;

use nsync_core::{CompanyId, WebhookEvent};

pub use delivery::{AttemptOutcome, Delivery, DeliveryStatus, LeasedEndpoint};

use crate::audit::{append_audit_in, Audit};
use crate::row::{id, Cols};
use crate::store::with_pool;
use crate::{MasterKey, Store, StoreError};

/// An endpoint as stored (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// Its id.
    pub id: i64,
    /// The company it belongs to.
    pub company: CompanyId,
    /// Where events are posted.
    pub url: String,
    /// The events it receives.
    pub events: Vec<WebhookEvent>,
    /// Whether events are sent to it.
    pub enabled: bool,
    /// Why it was disabled, in plain words.
    pub disabled_reason: Option<String>,
    /// Since when its deliveries fail without a success in between.
    pub failing_since_ms: Option<i64>,
    /// Until when the secret before the last rotation is still used to sign.
    pub previous_secret_until_ms: Option<i64>,
    /// When it was registered.
    pub created_at_ms: i64,
}

fn events_text(events: &[WebhookEvent]) -> String {
    let mut text = String::from(",");
    for event in events {
        text.push_str(event.as_str());
        text.push(',');
    }
    text
}

pub(crate) fn secret_aad(company: i64, endpoint: i64) -> Vec<u8> {
    format!("nsync webhook secret v1|company {company}|endpoint {endpoint}").into_bytes()
}

/// Queues an event for every enabled endpoint of the company that takes it, through `$conn`
/// (a transaction, inside `with_pool!`): `$company` (i64), `$event` (`WebhookEvent`),
/// `$payload` (`&str`), `$now` (i64). Writes nothing when no endpoint takes it.
macro_rules! emit_event_in {
    ($conn:expr, $company:expr, $event:expr, $payload:expr, $now:expr) => {{
        let event: nsync_core::WebhookEvent = $event;
        let pattern = format!("%,{},%", event.as_str());
        let created: Option<i64> = sqlx::query_scalar($crate::webhooks::INSERT_EVENT)
            .bind($company)
            .bind(event.as_str())
            .bind($payload)
            .bind($now)
            .bind(&pattern)
            .fetch_optional($conn)
            .await?;
        if let Some(created) = created {
            sqlx::query($crate::webhooks::INSERT_DELIVERIES)
                .bind($company)
                .bind(created)
                .bind($now)
                .bind(&pattern)
                .execute($conn)
                .await?;
        }
    }};
}
pub(crate) use emit_event_in;

/// The company and integration of run `$1`.
pub(crate) const RUN_OWNER: &str = "SELECT i.company_id, i.id FROM runs r \
     JOIN integrations i ON i.id = r.integration_id WHERE r.id = $1";

/// Queues a run's event (`run.failed`, `run.needs_confirmation`) through `$conn`: `$run`
/// (`RunId`), `$event`, `$error` (`Option<&str>`), `$now` (i64).
macro_rules! announce_run_in {
    ($conn:expr, $run:expr, $event:expr, $error:expr, $now:expr) => {{
        let run: nsync_core::RunId = $run;
        let (company, integration): (i64, i64) = sqlx::query_as($crate::webhooks::RUN_OWNER)
            .bind(run.get())
            .fetch_one($conn)
            .await?;
        let integration =
            nsync_core::IntegrationId::new(integration).map_err($crate::StoreError::corrupt)?;
        let payload = $crate::webhooks::run_event_payload($event, integration, run, $error, $now);
        $crate::webhooks::emit_event_in!($conn, company, $event, &payload, $now);
    }};
}
pub(crate) use announce_run_in;

/// `$1` company, `$2` type, `$3` payload, `$4` time, `$5` the type as a `LIKE` pattern.
pub(crate) const INSERT_EVENT: &str =
    "INSERT INTO webhook_events (company_id, event_type, payload, created_at_ms) \
     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM webhook_endpoints \
       WHERE company_id = $1 AND enabled AND event_types LIKE $5) RETURNING id";
/// `$1` company, `$2` event, `$3` time, `$4` the type as a `LIKE` pattern.
pub(crate) const INSERT_DELIVERIES: &str =
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, status, next_try_at_ms, created_at_ms) \
     SELECT id, $2, 'pending', $3, $3 FROM webhook_endpoints \
     WHERE company_id = $1 AND enabled AND event_types LIKE $4 ORDER BY id";

pub(crate) const ENDPOINT_COLUMNS: &str =
    "id, company_id, url, event_types, enabled, disabled_reason, \
     failing_since_ms, previous_until_ms, created_at_ms";
impl Store {
    /// Registers an endpoint with its secret (sealed under the master key), audited.
    pub async fn create_webhook_endpoint(
        &self,
        key: &MasterKey,
        url: &str,
        events: &[WebhookEvent],
        secret: &str,
        audit: &Audit,
    ) -> Result<WebhookEndpoint, StoreError> {
        let company = audit.company.get();
        let insert =
            "INSERT INTO webhook_endpoints (company_id, url, event_types, secret, created_at_ms) \
                      VALUES ($1, $2, $3, $4, $5) RETURNING id";
        let seal = "UPDATE webhook_endpoints SET secret = $2 WHERE id = $1";
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            // The sealed secret is bound to the endpoint's id, known once the row exists.
            let id: i64 = sqlx::query_scalar(insert).bind(company).bind(url).bind(events_text(events))
                .bind(Vec::<u8>::new()).bind(audit.at_ms).fetch_one(&mut *tx).await?;
            let sealed = key.seal(&secret_aad(company, id), secret.as_bytes());
            sqlx::query(seal).bind(id).bind(sealed).execute(&mut *tx).await?;
            append_audit_in!(&mut *tx, &audit.clone().with("url", url).entry(format!("webhook {id}")));
            tx.commit().await?;
            id
        });
        self.webhook_endpoint(id).await
    }

    /// An endpoint by id.
    pub async fn webhook_endpoint(&self, endpoint: i64) -> Result<WebhookEndpoint, StoreError> {
        let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
        let not_found = StoreError::NotFound {
            what: "webhook endpoint",
            id: endpoint,
        };
        with_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(endpoint).fetch_optional(pool).await?.ok_or(not_found)?;
            endpoint_from_row(&row)
        })
    }

    /// A company's endpoints, oldest first.
    pub async fn webhook_endpoints(
        &self,
        company: CompanyId,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE company_id = $1 ORDER BY id"
        );
        with_pool!(self, pool => {
            let rows = sqlx::query(&sql).bind(company.get()).fetch_all(pool).await?;
            rows.iter().map(endpoint_from_row).collect()
        })
    }

    /// Deletes an endpoint and its deliveries, audited.
    pub async fn delete_webhook_endpoint(
        &self,
        endpoint: i64,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let deliveries = "DELETE FROM webhook_deliveries WHERE endpoint_id = $1";
        let sql = "DELETE FROM webhook_endpoints WHERE id = $1 AND company_id = $2";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            sqlx::query(deliveries).bind(endpoint).execute(&mut *tx).await?;
            let done = sqlx::query(sql).bind(endpoint).bind(audit.company.get()).execute(&mut *tx).await?.rows_affected();
            if done == 1 {
                append_audit_in!(&mut *tx, &audit.entry(format!("webhook {endpoint}")));
                tx.commit().await?;
            }
            done
        });
        found(done, endpoint)
    }

    /// Replaces an endpoint's secret; the one it replaces still signs (beside the new one)
    /// until `previous_until_ms`, so receivers can switch without losing a delivery. Audited.
    pub async fn rotate_webhook_secret(
        &self,
        key: &MasterKey,
        endpoint: i64,
        secret: &str,
        previous_until_ms: i64,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let company = audit.company.get();
        let sealed = key.seal(&secret_aad(company, endpoint), secret.as_bytes());
        let sql = "UPDATE webhook_endpoints SET previous_secret = secret, previous_until_ms = $3, secret = $4 \
                   WHERE id = $1 AND company_id = $2";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let done = sqlx::query(sql).bind(endpoint).bind(company).bind(previous_until_ms).bind(sealed)
                .execute(&mut *tx).await?.rows_affected();
            if done == 1 {
                append_audit_in!(&mut *tx, &audit.entry(format!("webhook {endpoint}")));
                tx.commit().await?;
            }
            done
        });
        found(done, endpoint)
    }

    /// Enables an endpoint again after it was disabled: its pending deliveries are tried at
    /// once, in order. Audited.
    pub async fn enable_webhook_endpoint(
        &self,
        endpoint: i64,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE webhook_endpoints SET enabled = TRUE, disabled_reason = NULL, failing_since_ms = NULL \
                   WHERE id = $1 AND company_id = $2";
        let due = "UPDATE webhook_deliveries SET next_try_at_ms = $2 WHERE endpoint_id = $1 AND status = 'pending'";
        let done = with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let done = sqlx::query(sql).bind(endpoint).bind(audit.company.get()).execute(&mut *tx).await?.rows_affected();
            if done == 1 {
                sqlx::query(due).bind(endpoint).bind(audit.at_ms).execute(&mut *tx).await?;
                append_audit_in!(&mut *tx, &audit.entry(format!("webhook {endpoint}")));
                tx.commit().await?;
            }
            done
        });
        found(done, endpoint)
    }
}

/// `NotFound` when a write to one of the company's endpoints touched no row (it is not there,
/// or it is another company's).
fn found(done: u64, endpoint: i64) -> Result<(), StoreError> {
    if done == 0 {
        return Err(StoreError::NotFound {
            what: "webhook endpoint",
            id: endpoint,
        });
    }
    Ok(())
}

pub(crate) fn endpoint_from_row(row: &impl Cols) -> Result<WebhookEndpoint, StoreError> {
    let events = row
        .text("event_types")?
        .split(',')
        .filter(|t| !t.is_empty())
        .map(WebhookEvent::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::corrupt)?;
    Ok(WebhookEndpoint {
        id: row.int("id")?,
        company: id(row, "company_id")?,
        url: row.text("url")?,
        events,
        enabled: row.flag("enabled")?,
        disabled_reason: row.opt_text("disabled_reason")?,
        failing_since_ms: row.opt_int("failing_since_ms")?,
        previous_secret_until_ms: row.opt_int("previous_until_ms")?,
        created_at_ms: row.int("created_at_ms")?,
    })
}

/// The body of an event, as the Standard Webhooks specification lays it out: `type`,
/// `timestamp` (RFC 3339) and `data`.
fn event_body(event: WebhookEvent, at_ms: i64, data: serde_json::Value) -> String {
    let timestamp = chrono::DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    serde_json::json!({ "type": event.as_str(), "timestamp": timestamp, "data": data }).to_string()
}

/// `field.changed`: entries `first..=last` of the field's feed, read them with
/// `after` (the cursor before the first) until `until` (the cursor of the last).
pub(crate) fn field_changed_payload(
    field: nsync_core::CustomFieldId,
    first: i64,
    last: i64,
    counts: &std::collections::BTreeMap<&'static str, u64>,
    cause: serde_json::Value,
    at_ms: i64,
) -> String {
    let cursor = |seq| nsync_core::FeedCursor { field, seq }.to_string();
    let mut data = serde_json::json!({
        "field_id": field.get(),
        "changes": last - first + 1,
        "counts": counts,
        "after": cursor(first - 1),
        "until": cursor(last),
    });
    if let (Some(data), serde_json::Value::Object(cause)) = (data.as_object_mut(), cause) {
        data.extend(cause);
    }
    event_body(WebhookEvent::FieldChanged, at_ms, data)
}

/// `run.failed` and `run.needs_confirmation`.
pub(crate) fn run_event_payload(
    event: WebhookEvent,
    integration: nsync_core::IntegrationId,
    run: nsync_core::RunId,
    error: Option<&str>,
    at_ms: i64,
) -> String {
    let mut data = serde_json::json!({ "integration_id": integration.get(), "run_id": run.get() });
    if let (Some(data), Some(error)) = (data.as_object_mut(), error) {
        data.insert("error".to_owned(), error.into());
    }
    event_body(event, at_ms, data)
}
