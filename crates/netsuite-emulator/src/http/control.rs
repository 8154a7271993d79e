//! `/_emulator/...`: the control API over HTTP (JSON), mirroring [`crate::Control`].
//! Strict writes answer NetSuite-style errors; `/_emulator/raw/...` stores what NetSuite would refuse.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use netsuite_emulator_db::{Mode, Mutation};
use serde::Deserialize;
use serde_json::json;

use crate::config::LatencyConfig;
use crate::control::{Control, ControlError};
use crate::credentials::client_credentials;
use crate::errors::NsError;
use crate::faults::FaultRule;
use crate::state::Shared;

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/accounts", get(accounts))
        .route("/clock", get(clock).post(set_clock))
        .route("/accounts/{id}/mutations", post(mutate_strict))
        .route("/raw/accounts/{id}/mutations", post(mutate_raw))
        .route("/accounts/{id}/concurrency", put(set_concurrency))
        .route("/accounts/{id}/credentials", put(set_credentials))
        .route("/churn", post(churn))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/latency", put(set_latency))
        .route("/requests", get(requests).delete(clear_requests))
}

fn control(shared: Arc<Shared>) -> Control {
    Control { shared }
}

fn control_error(error: ControlError) -> NsError {
    match error {
        ControlError::UnknownAccount(id) => NsError::new(
            StatusCode::NOT_FOUND,
            "NONEXISTENT_ID",
            format!("No account {id} in this emulator."),
        ),
        ControlError::Mutation(e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            NsError::new(status, e.error_code(), e.detail())
        }
        ControlError::SuiteQl(e) => NsError::invalid_parameter("q", e.detail()),
        ControlError::BadFraction(_) => NsError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER",
            error.to_string(),
        ),
    }
}

/// `[{"account_id", "host", "concurrency_limit", "revoked", "credentials": {"account_id",
/// "tba": {consumer_key, consumer_secret, token_id, token_secret}, "oauth2": {client_id,
/// certificate_id, private_key_pem, ec_certificate_id, ec_private_key_pem}}}]`, in the order
/// the accounts were configured.
async fn accounts(State(shared): State<Arc<Shared>>) -> Response {
    let list: Vec<_> = shared
        .accounts
        .iter()
        .map(|a| {
            json!({
                "account_id": a.id.as_str(),
                "host": a.id.suitetalk_host(),
                "concurrency_limit": a.limit.load(Ordering::SeqCst),
                "revoked": a.is_revoked(),
                "credentials": client_credentials(&a.id, &a.tba, &a.oauth2),
            })
        })
        .collect();
    Json(list).into_response()
}

async fn clock(State(shared): State<Arc<Shared>>) -> Response {
    Json(json!({"now": shared.clock.now().to_rfc3339()})).into_response()
}

/// `{"set": "2024-01-01T00:00:00Z"}`, `{"advance_seconds": 60}` or `{"follow_system": true}`.
#[derive(Deserialize)]
struct ClockChange {
    set: Option<DateTime<Utc>>,
    advance_seconds: Option<i64>,
    #[serde(default)]
    follow_system: bool,
}

async fn set_clock(State(shared): State<Arc<Shared>>, Json(change): Json<ClockChange>) -> Response {
    if change.follow_system {
        shared.clock.follow_system();
    }
    if let Some(t) = change.set {
        shared.clock.set(t);
    }
    if let Some(s) = change.advance_seconds {
        shared.clock.advance(chrono::Duration::seconds(s));
    }
    clock(State(shared)).await
}

async fn mutate(
    shared: Arc<Shared>,
    id: &str,
    change: Mutation,
    mode: Mode,
) -> Result<Response, NsError> {
    let control = control(shared);
    let id = id.to_owned();
    let applied = tokio::task::spawn_blocking(move || control.apply_mode(&id, change, mode))
        .await
        .map_err(|_| NsError::unexpected("emulatorcontrolworkerfailed"))?
        .map_err(control_error)?;
    Ok(Json(applied).into_response())
}

async fn mutate_strict(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(change): Json<Mutation>,
) -> Result<Response, NsError> {
    mutate(shared, &id, change, Mode::Strict).await
}

async fn mutate_raw(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(change): Json<Mutation>,
) -> Result<Response, NsError> {
    mutate(shared, &id, change, Mode::Raw).await
}

#[derive(Deserialize)]
struct Concurrency {
    limit: usize,
}

async fn set_concurrency(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(body): Json<Concurrency>,
) -> Result<StatusCode, NsError> {
    control(shared)
        .set_concurrency_limit(&id, body.limit)
        .map_err(control_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A `FaultRule`; one naming an unknown `account` is refused with 404 (it could never fire).
async fn add_fault(
    State(shared): State<Arc<Shared>>,
    Json(rule): Json<FaultRule>,
) -> Result<StatusCode, NsError> {
    if let Some(id) = rule.account.as_deref() {
        if shared.account_by_id(id).is_none() {
            return Err(control_error(ControlError::UnknownAccount(id.to_owned())));
        }
    }
    control(shared).add_fault(rule);
    Ok(StatusCode::NO_CONTENT)
}

/// `{"revoked": true}` revokes the account's credentials, `{"revoked": false}` restores them.
#[derive(Deserialize)]
struct CredentialsState {
    revoked: bool,
}

async fn set_credentials(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Json(body): Json<CredentialsState>,
) -> Result<StatusCode, NsError> {
    let control = control(shared);
    let done = if body.revoked {
        control.revoke_credentials(&id)
    } else {
        control.restore_credentials(&id)
    };
    done.map_err(control_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{"fraction": 0.01, "seed": 42, "accounts": ["1000001", ...]}` (`accounts` optional: all).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChurnBody {
    fraction: f64,
    seed: u64,
    #[serde(default)]
    accounts: Option<Vec<String>>,
}

async fn churn(
    State(shared): State<Arc<Shared>>,
    Json(body): Json<ChurnBody>,
) -> Result<Response, NsError> {
    let control = control(shared);
    let outcome = tokio::task::spawn_blocking(move || {
        control.churn(body.fraction, body.seed, body.accounts.as_deref())
    })
    .await
    .map_err(|_| NsError::unexpected("emulatorcontrolworkerfailed"))?
    .map_err(control_error)?;
    Ok(Json(outcome).into_response())
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    control(shared).clear_faults();
    StatusCode::NO_CONTENT
}

/// `{"fixed_ms": 50, "jitter_ms": 20, "per_row_us": 0}` (per-row in microseconds).
#[derive(Deserialize)]
struct Latency {
    #[serde(default)]
    fixed_ms: u64,
    #[serde(default)]
    jitter_ms: u64,
    #[serde(default)]
    per_row_us: u64,
}

async fn set_latency(State(shared): State<Arc<Shared>>, Json(body): Json<Latency>) -> StatusCode {
    control(shared).set_latency(LatencyConfig {
        fixed: Duration::from_millis(body.fixed_ms),
        jitter: Duration::from_millis(body.jitter_ms),
        per_row: Duration::from_micros(body.per_row_us),
    });
    StatusCode::NO_CONTENT
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    Json(control(shared).requests()).into_response()
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    control(shared).clear_requests();
    StatusCode::NO_CONTENT
}
