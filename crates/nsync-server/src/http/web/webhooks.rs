//! The webhooks pages: the company's endpoints with a form to register one (its secret shown
//! once), and each endpoint's page with its delivery log, "Send again", secret rotation,
//! enabling after a disabling, and deletion.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use nsync_core::WebhookEvent;
use nsync_store::{Delivery, DeliveryStatus, WebhookEndpoint};
use secrecy::{ExposeSecret, SecretString};

use super::integration::message;
use super::{render, Chrome, PageError, Viewer};
use crate::http::api::{ApiQuery, PathId};
use crate::http::extract::PageForm;
use crate::http::AppState;
use crate::ops;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks", get(list).post(create))
        .route("/webhooks/{id}", get(page))
        .route("/webhooks/{id}/rotate", post(rotate))
        .route("/webhooks/{id}/enable", post(enable))
        .route("/webhooks/{id}/delete", post(delete))
        .route("/webhooks/{id}/resend", post(resend))
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// An endpoint as a row.
struct EndpointRow {
    id: i64,
    url: String,
    events: String,
    state: String,
    enabled: bool,
}

impl From<&WebhookEndpoint> for EndpointRow {
    fn from(e: &WebhookEndpoint) -> Self {
        let state = if !e.enabled {
            "Disabled".to_owned()
        } else if let Some(since) = e.failing_since_ms {
            format!("Failing since {}", when(since))
        } else {
            "Active".to_owned()
        };
        Self {
            id: e.id,
            url: e.url.clone(),
            events: e
                .events
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            state,
            enabled: e.enabled,
        }
    }
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct ListTpl {
    chrome: Chrome,
    endpoints: Vec<EndpointRow>,
    events: Vec<&'static str>,
}

async fn list(State(state): State<AppState>, Viewer(who): Viewer) -> Result<Response, PageError> {
    let endpoints = ops::webhooks::list(state.engine(), &who.actor()).await?;
    Ok(render(&ListTpl {
        chrome: Chrome::new(&who, "webhooks"),
        endpoints: endpoints.iter().map(EndpointRow::from).collect(),
        events: WebhookEvent::ALL.iter().map(|e| e.as_str()).collect(),
    }))
}

#[derive(Template)]
#[template(path = "webhook_secret.html")]
struct SecretTpl {
    id: i64,
    secret: String,
    rotated: bool,
}

fn secret_shown(id: i64, secret: &SecretString, rotated: bool) -> Response {
    render(&SecretTpl {
        id,
        secret: secret.expose_secret().to_owned(),
        rotated,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CreateForm {
    url: String,
    events: Vec<String>,
}

async fn create(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PageForm(form): PageForm<CreateForm>,
) -> Result<Response, PageError> {
    let (endpoint, secret) =
        ops::webhooks::create(state.engine(), &who.actor(), &form.url, &form.events).await?;
    Ok(secret_shown(endpoint.id, &secret, false))
}

struct DeliveryRow {
    id: i64,
    message_id: String,
    event_type: &'static str,
    status: &'static str,
    attempts: u32,
    answer: String,
    next_try: String,
    created: String,
}

impl From<&Delivery> for DeliveryRow {
    fn from(d: &Delivery) -> Self {
        let status = match d.status {
            DeliveryStatus::Pending if d.attempts == 0 => "Waiting",
            DeliveryStatus::Pending => "Retrying",
            DeliveryStatus::Delivered => "Delivered",
            DeliveryStatus::Failed => "Gave up",
        };
        let answer = match (&d.last_status, &d.last_error) {
            (_, Some(error)) => error.clone(),
            (Some(code), None) => format!("answered {code}"),
            (None, None) => String::new(),
        };
        Self {
            id: d.id,
            message_id: format!("msg_{}", d.event),
            event_type: d.event_type.as_str(),
            status,
            attempts: d.attempts,
            answer,
            next_try: if d.status == DeliveryStatus::Pending {
                when(d.next_try_at_ms)
            } else {
                String::new()
            },
            created: when(d.created_at_ms),
        }
    }
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct PageTpl {
    chrome: Chrome,
    endpoint: EndpointRow,
    disabled_reason: Option<String>,
    previous_until: Option<String>,
    deliveries: Vec<DeliveryRow>,
    next_before: Option<i64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LogParams {
    before: Option<i64>,
}

const LOG_PAGE: u32 = 50;

async fn page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<LogParams>,
) -> Result<Response, PageError> {
    let (endpoint, log) = ops::webhooks::deliveries(
        state.engine(),
        &who.actor(),
        &id,
        params.before,
        Some(LOG_PAGE),
    )
    .await?;
    let next_before = (log.len() == LOG_PAGE as usize)
        .then(|| log.last().map(|d| d.id))
        .flatten();
    let now = state.engine().now_ms();
    Ok(render(&PageTpl {
        chrome: Chrome::new(&who, "webhooks"),
        disabled_reason: endpoint.disabled_reason.clone(),
        previous_until: endpoint
            .previous_secret_until_ms
            .filter(|until| *until > now)
            .map(when),
        endpoint: EndpointRow::from(&endpoint),
        deliveries: log.iter().map(DeliveryRow::from).collect(),
        next_before,
    }))
}

async fn rotate(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let (endpoint, secret) = ops::webhooks::rotate(state.engine(), &who.actor(), &id).await?;
    Ok(secret_shown(endpoint.id, &secret, true))
}

async fn enable(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    ops::webhooks::enable(state.engine(), &who.actor(), &id).await?;
    Ok(message(
        true,
        "Enabled. Its waiting deliveries go out now, oldest first.",
    ))
}

async fn delete(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    ops::webhooks::delete(state.engine(), &who.actor(), &id).await?;
    let mut response = message(true, "Deleted.").into_response();
    response
        .headers_mut()
        .insert("hx-redirect", HeaderValue::from_static("/webhooks"));
    Ok(response)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ResendForm {
    delivery_id: i64,
}

async fn resend(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
    PageForm(form): PageForm<ResendForm>,
) -> Result<Response, PageError> {
    ops::webhooks::resend(state.engine(), &who.actor(), &id, form.delivery_id).await?;
    Ok(message(
        true,
        "Queued again, behind what is waiting; reload to follow it.",
    ))
}
