//! The company's audit log and API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsync_core::TokenId;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{audit, parse_id, text_field, ApiJson, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    before: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct AuditView {
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
) -> Result<Json<serde_json::Value>, ApiError> {
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
    Ok(Json(
        json!({ "events": events, "next_before": next_before }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenBody {
    name: String,
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Response, ApiError> {
    who.require_admin()?;
    let name = text_field("name", &body.name, 100, false)?;
    let token = state
        .store()
        .create_api_token(who.company, who.user, &name)
        .await?;
    audit(
        &state,
        &who,
        "create_api_token",
        format!("token {}", token.id),
        json!({"name": name}),
    )
    .await?;
    // The only time the secret leaves the server.
    let body = json!({ "id": token.id.get(), "name": name, "token": token.secret.expose_secret() });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let token: TokenId = parse_id(&id, "token")?;
    match state.store().api_token_company(token).await? {
        Some(company) => who.owns(company, "token")?,
        None => return Err(ApiError::NotFound("token")),
    }
    who.require_admin()?;
    state.store().revoke_api_token(token).await?;
    audit(
        &state,
        &who,
        "revoke_api_token",
        format!("token {token}"),
        json!({}),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Sign out everywhere": ends every session of every user of the company, in every process
/// (API tokens are revoked one by one, with revokeApiToken).
pub(crate) async fn revoke_sessions(
    State(state): State<AppState>,
    who: Principal,
) -> Result<StatusCode, ApiError> {
    end_company_sessions(&state, &who).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the caller's company, as an admin, and audits it; the API and the
/// pages share it.
pub(crate) async fn end_company_sessions(
    state: &AppState,
    who: &Principal,
) -> Result<(), ApiError> {
    who.require_admin()?;
    let users = state.store().end_company_sessions(who.company).await?;
    audit(
        state,
        who,
        "revoke_sessions",
        format!("company {}", who.company),
        json!({"users": users}),
    )
    .await
}
