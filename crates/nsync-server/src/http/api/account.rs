//! The company's audit log and API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    before: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct AuditView {
    id: i64,
    actor_user_id: Option<i64>,
    action: String,
    target: Option<String>,
    detail: serde_json::Value,
    at_ms: i64,
}

pub(crate) async fn list_audit_events(
    State(state): State<AppState>,
    who: Principal,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    who.require_admin()?;
    let limit = params.limit.unwrap_or(50).clamp(1, 500);
    let events: Vec<AuditView> = state
        .store()
        .audit_log(who.company, params.before, limit)
        .await?
        .into_iter()
        .map(|e| AuditView {
            id: e.id,
            actor_user_id: e.entry.actor.map(|a| a.get()),
            action: e.entry.action,
            target: e.entry.target,
            detail: e.entry.detail,
            at_ms: e.entry.at_ms,
        })
        .collect();
    let next_before = (events.len() == limit as usize)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    Ok(Json(AuditPage {
        events,
        next_before,
    }))
}

/// A page of the audit log, newest first.
#[derive(Serialize, JsonSchema)]
pub(crate) struct AuditPage {
    events: Vec<AuditView>,
    /// Pass as `before` for the next page; absent on the last.
    next_before: Option<i64>,
}

/// A new API token: its secret is in this answer only.
#[derive(Serialize, JsonSchema)]
pub(crate) struct TokenCreated {
    id: i64,
    name: String,
    token: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenBody {
    name: String,
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Response, ApiError> {
    let (name, token) =
        ops::account::create_token(state.engine(), &who.actor(), &body.name).await?;
    // The only time the secret leaves the server.
    let body = TokenCreated {
        id: token.id.get(),
        name,
        token: token.secret.expose_secret().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    ops::account::revoke_token(state.engine(), &who.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Sign out everywhere": ends every session of every user of the company, in every process
/// (API tokens are revoked one by one, with revokeApiToken).
pub(crate) async fn revoke_sessions(
    State(state): State<AppState>,
    who: Principal,
) -> Result<StatusCode, ApiError> {
    ops::account::end_company_sessions(state.engine(), &who.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}
