//! Webhook endpoints and their delivery logs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use nsync_store::{Delivery, WebhookEndpoint};
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

/// An endpoint (never its secret).
#[derive(Serialize, JsonSchema)]
pub(crate) struct WebhookView {
    id: i64,
    url: String,
    /// field.changed, run.failed, run.needs_confirmation.
    events: Vec<String>,
    /// Whether events are sent to it.
    enabled: bool,
    /// Why it was disabled.
    disabled_reason: Option<String>,
    /// Since when its deliveries fail, in milliseconds since the Unix epoch.
    failing_since_ms: Option<i64>,
    /// Until when the secret before the last rotation still signs too.
    previous_secret_valid_until_ms: Option<i64>,
    created_at_ms: i64,
}

impl From<&WebhookEndpoint> for WebhookView {
    fn from(e: &WebhookEndpoint) -> Self {
        Self {
            id: e.id,
            url: e.url.clone(),
            events: e.events.iter().map(|t| t.to_string()).collect(),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.clone(),
            failing_since_ms: e.failing_since_ms,
            previous_secret_valid_until_ms: e.previous_secret_until_ms,
            created_at_ms: e.created_at_ms,
        }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateWebhook {
    /// Where events are posted (https://...).
    url: String,
    /// The event types to send.
    events: Vec<String>,
}

/// A new endpoint and its signing secret, shown this once.
#[derive(Serialize, JsonSchema)]
pub(crate) struct WebhookCreated {
    webhook: WebhookView,
    /// `whsec_...`: verify each delivery's `webhook-signature` with it (Standard Webhooks).
    secret: String,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct WebhooksView {
    webhooks: Vec<WebhookView>,
}

pub(crate) async fn create_webhook(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<CreateWebhook>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    let (endpoint, secret) =
        ops::webhooks::create(state.engine(), &who.actor(), &body.url, &body.events).await?;
    Ok((StatusCode::CREATED, Json(created(&endpoint, &secret))))
}

fn created(endpoint: &WebhookEndpoint, secret: &SecretString) -> WebhookCreated {
    WebhookCreated {
        webhook: WebhookView::from(endpoint),
        secret: secret.expose_secret().to_owned(),
    }
}

pub(crate) async fn list_webhooks(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<WebhooksView>, ApiError> {
    let endpoints = ops::webhooks::list(state.engine(), &who.actor()).await?;
    Ok(Json(WebhooksView {
        webhooks: endpoints.iter().map(WebhookView::from).collect(),
    }))
}

pub(crate) async fn get_webhook(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<WebhookView>, ApiError> {
    let endpoint = ops::webhooks::owned(state.engine(), &who.actor(), &id).await?;
    Ok(Json(WebhookView::from(&endpoint)))
}

pub(crate) async fn delete_webhook(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    ops::webhooks::delete(state.engine(), &who.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn rotate_webhook_secret(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<WebhookCreated>, ApiError> {
    let (endpoint, secret) = ops::webhooks::rotate(state.engine(), &who.actor(), &id).await?;
    Ok(Json(created(&endpoint, &secret)))
}

pub(crate) async fn enable_webhook(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<WebhookView>, ApiError> {
    let endpoint = ops::webhooks::enable(state.engine(), &who.actor(), &id).await?;
    Ok(Json(WebhookView::from(&endpoint)))
}

/// One event to one endpoint.
#[derive(Serialize, JsonSchema)]
pub(crate) struct DeliveryView {
    id: i64,
    /// The `webhook-id` of every attempt (`msg_` and the event's number).
    message_id: String,
    event_type: String,
    /// pending, delivered or failed.
    status: String,
    attempts: u32,
    /// The next attempt, when pending, in milliseconds since the Unix epoch.
    next_try_at_ms: Option<i64>,
    /// The status code of the last answer.
    last_status: Option<u16>,
    /// What went wrong the last time.
    last_error: Option<String>,
    created_at_ms: i64,
    finished_at_ms: Option<i64>,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        let pending = d.status == nsync_store::DeliveryStatus::Pending;
        Self {
            id: d.id,
            message_id: format!("msg_{}", d.event),
            event_type: d.event_type.to_string(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            next_try_at_ms: pending.then_some(d.next_try_at_ms),
            last_status: d.last_status,
            last_error: d.last_error.clone(),
            created_at_ms: d.created_at_ms,
            finished_at_ms: d.finished_at_ms,
        }
    }
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeliveriesParams {
    /// The last delivery id of the previous page.
    before: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct DeliveriesPage {
    deliveries: Vec<DeliveryView>,
    /// Pass as `before` for the next page.
    next_before: Option<i64>,
}

pub(crate) async fn list_webhook_deliveries(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<DeliveriesParams>,
) -> Result<Json<DeliveriesPage>, ApiError> {
    let limit = params.limit.unwrap_or(50).clamp(1, 200);
    let (_, log) = ops::webhooks::deliveries(
        state.engine(),
        &who.actor(),
        &id,
        params.before,
        Some(limit),
    )
    .await?;
    let next_before = (log.len() == limit as usize)
        .then(|| log.last().map(|d| d.id))
        .flatten();
    Ok(Json(DeliveriesPage {
        deliveries: log.iter().map(DeliveryView::from).collect(),
        next_before,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResendBody {
    /// The delivery whose event to send again.
    delivery_id: i64,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct Resent {
    /// The new delivery, queued behind the endpoint's pending ones.
    delivery_id: i64,
}

pub(crate) async fn resend_webhook_delivery(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ResendBody>,
) -> Result<(StatusCode, Json<Resent>), ApiError> {
    let delivery =
        ops::webhooks::resend(state.engine(), &who.actor(), &id, body.delivery_id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Resent {
            delivery_id: delivery,
        }),
    ))
}
