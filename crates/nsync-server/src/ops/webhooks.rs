//! Webhook endpoints: register (the secret is shown once), list, delete, rotate the secret,
//! enable again after a disabling, read the delivery log, send a delivery again.

use nsync_core::WebhookEvent;
use nsync_store::{Delivery, WebhookEndpoint};
use secrecy::{ExposeSecret, SecretString};

use super::{parse_id, Actor, OpsError};
use crate::webhooks::{check_destination, new_secret};
use crate::Engine;

/// Endpoints a company may have.
const MAX_ENDPOINTS: usize = 20;
/// How long the secret a rotation replaces still signs, beside the new one.
const ROTATION_GRACE_MS: i64 = 24 * 60 * 60 * 1000;

/// Registers an endpoint for `events`; returns it and its secret, which is shown this once.
pub(crate) async fn create(
    engine: &Engine,
    who: &Actor,
    url: &str,
    events: &[String],
) -> Result<(WebhookEndpoint, SecretString), OpsError> {
    who.require_admin()?;
    let url = check_destination(url, engine.webhook_policy())
        .map_err(|e| OpsError::Invalid(format!("url: {e}")))?;
    let mut parsed = Vec::new();
    for event in events {
        let event = WebhookEvent::parse(event.trim()).map_err(|_| {
            OpsError::Invalid(format!(
                "events: {:?} is not an event type (field.changed, run.failed, run.needs_confirmation)",
                event.chars().take(64).collect::<String>()
            ))
        })?;
        if !parsed.contains(&event) {
            parsed.push(event);
        }
    }
    if parsed.is_empty() {
        return Err(OpsError::Invalid("events: choose at least one".into()));
    }
    parsed.sort();
    let store = engine.store();
    if store.webhook_endpoints(who.company).await?.len() >= MAX_ENDPOINTS {
        return Err(OpsError::Invalid(format!(
            "a company has at most {MAX_ENDPOINTS} webhook endpoints; delete one first"
        )));
    }
    let secret = new_secret();
    let audit = who.audit(engine, "create_webhook").with(
        "events",
        parsed.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
    );
    let endpoint = store
        .create_webhook_endpoint(
            engine.master_key(),
            url.as_str(),
            &parsed,
            secret.expose_secret(),
            &audit,
        )
        .await?;
    Ok((endpoint, secret))
}

/// The company's endpoints.
pub(crate) async fn list(engine: &Engine, who: &Actor) -> Result<Vec<WebhookEndpoint>, OpsError> {
    who.require_admin()?;
    Ok(engine.store().webhook_endpoints(who.company).await?)
}

/// The endpoint, if it is the actor's company's.
pub(crate) async fn owned(
    engine: &Engine,
    who: &Actor,
    id: &str,
) -> Result<WebhookEndpoint, OpsError> {
    let id: i64 = parse_id(id, "webhook endpoint")?;
    let endpoint = engine.store().webhook_endpoint(id).await?;
    who.owns(endpoint.company, "webhook endpoint")?;
    who.require_admin()?;
    Ok(endpoint)
}

/// Deletes an endpoint and its delivery log.
pub(crate) async fn delete(engine: &Engine, who: &Actor, id: &str) -> Result<(), OpsError> {
    let endpoint = owned(engine, who, id).await?;
    let audit = who.audit(engine, "delete_webhook");
    Ok(engine
        .store()
        .delete_webhook_endpoint(endpoint.id, &audit)
        .await?)
}

/// A new secret for the endpoint, shown this once; the one it replaces still signs for 24
/// hours, so the receiver can switch without losing a delivery.
pub(crate) async fn rotate(
    engine: &Engine,
    who: &Actor,
    id: &str,
) -> Result<(WebhookEndpoint, SecretString), OpsError> {
    let endpoint = owned(engine, who, id).await?;
    let secret = new_secret();
    let audit = who.audit(engine, "rotate_webhook_secret");
    let until = engine.now_ms() + ROTATION_GRACE_MS;
    engine
        .store()
        .rotate_webhook_secret(
            engine.master_key(),
            endpoint.id,
            secret.expose_secret(),
            until,
            &audit,
        )
        .await?;
    Ok((engine.store().webhook_endpoint(endpoint.id).await?, secret))
}

/// Enables an endpoint again; its pending deliveries go out at once, in order.
pub(crate) async fn enable(
    engine: &Engine,
    who: &Actor,
    id: &str,
) -> Result<WebhookEndpoint, OpsError> {
    let endpoint = owned(engine, who, id).await?;
    let audit = who.audit(engine, "enable_webhook");
    engine
        .store()
        .enable_webhook_endpoint(endpoint.id, &audit)
        .await?;
    Ok(engine.store().webhook_endpoint(endpoint.id).await?)
}

/// A page of the endpoint's delivery log, newest first.
pub(crate) async fn deliveries(
    engine: &Engine,
    who: &Actor,
    id: &str,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<(WebhookEndpoint, Vec<Delivery>), OpsError> {
    let endpoint = owned(engine, who, id).await?;
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let log = engine
        .store()
        .webhook_deliveries(endpoint.id, before, limit)
        .await?;
    Ok((endpoint, log))
}

/// Queues a delivery's event to the endpoint again ("send again"); returns the new delivery.
pub(crate) async fn resend(
    engine: &Engine,
    who: &Actor,
    id: &str,
    delivery: i64,
) -> Result<i64, OpsError> {
    let endpoint = owned(engine, who, id).await?;
    let audit = who.audit(engine, "resend_webhook_delivery");
    Ok(engine
        .store()
        .resend_webhook_delivery(endpoint.id, delivery, &audit)
        .await?)
}
