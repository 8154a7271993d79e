//! Runs: list, read, change lists (a held run's: what it would apply), and confirming or
//! discarding an update held by the guard.

use axum::extract::State;
use axum::Json;
use nsync_core::{Change, Run, RunId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::imports::ReportView;
use super::{owned_integration, owned_run, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunsParams {
    /// The last run id of the previous page.
    before: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct RunsPage {
    runs: Vec<Run>,
    /// Pass as `before` for the next page.
    next_before: Option<i64>,
}

pub(crate) async fn list_runs(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<RunsParams>,
) -> Result<Json<RunsPage>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let limit = params.limit.unwrap_or(20).clamp(1, 100);
    let before = params
        .before
        .map(RunId::new)
        .transpose()
        .map_err(|e| ApiError::Invalid(e.to_string()))?;
    let runs = state.store().runs(integration.id, before, limit).await?;
    let next_before = (runs.len() == limit as usize)
        .then(|| runs.last().map(|r| r.id.get()))
        .flatten();
    Ok(Json(RunsPage { runs, next_before }))
}

pub(crate) async fn get_run(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<Run>, ApiError> {
    let run = owned_run(&state, &who, &id).await?;
    who.require_admin()?;
    Ok(Json(run))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangesParams {
    /// Position of the first change (0 for the first page).
    from: Option<u64>,
    limit: Option<u32>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct ChangesPage {
    changes: Vec<Change>,
    /// Pass as `from` for the next page.
    next_from: Option<u64>,
}

pub(crate) async fn list_run_changes(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<ChangesParams>,
) -> Result<Json<ChangesPage>, ApiError> {
    let run = owned_run(&state, &who, &id).await?;
    who.require_admin()?;
    let from = params.from.unwrap_or(0);
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    let changes = ops::runs::changes(state.engine(), &run, from, limit).await?;
    let next_from = (changes.len() == limit as usize).then(|| from + changes.len() as u64);
    Ok(Json(ChangesPage { changes, next_from }))
}

pub(crate) async fn confirm_run(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<ReportView>, ApiError> {
    let run = owned_run(&state, &who, &id).await?;
    let report = ops::runs::confirm(state.engine(), &who.actor(), &run).await?;
    Ok(Json(ReportView::from(report)))
}

pub(crate) async fn discard_run(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<Run>, ApiError> {
    let run = owned_run(&state, &who, &id).await?;
    ops::runs::discard(state.engine(), &who.actor(), &run).await?;
    Ok(Json(state.store().run(run.id).await?))
}
