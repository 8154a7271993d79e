//! Import and Update: previews answered at once, applied runs started in the background.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsync_core::planner::Selection;
use nsync_core::{RunCounts, RunStatus, RunTrigger, UpstreamKey};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{owned_integration, parse_key, text_field, ApiJson, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;
use crate::{RefreshMode, RunOptions, RunReport, RunRequest};

/// Most changes a preview sends back (the counts are always complete).
const PREVIEW_CHANGES: usize = 1_000;
/// Most keys one import request may name.
const MAX_SELECTED: usize = 100_000;

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportBody {
    /// These records (their ancestors come along): `customer:ID` / `project:ID`.
    #[serde(default)]
    pub records: Vec<String>,
    /// These records and everything below them.
    #[serde(default)]
    pub subtrees: Vec<String>,
    /// Everything of the integrated subsidiary.
    #[serde(default)]
    pub all: bool,
    /// Everything whose name or number contains this.
    #[serde(default)]
    pub matching: Option<String>,
    /// Say what would change; write nothing.
    #[serde(default)]
    pub preview: bool,
}

impl ImportBody {
    pub(crate) fn selection(&self) -> Result<Selection, ApiError> {
        let keys = |list: &[String]| -> Result<Vec<UpstreamKey>, ApiError> {
            if list.len() > MAX_SELECTED {
                return Err(ApiError::Invalid(format!(
                    "at most {MAX_SELECTED} records per import"
                )));
            }
            list.iter().map(|k| parse_key(k)).collect()
        };
        let given = [
            !self.records.is_empty(),
            !self.subtrees.is_empty(),
            self.all,
            self.matching.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(ApiError::Invalid(
                "say what to import with exactly one of records, subtrees, all or matching".into(),
            ));
        }
        Ok(if self.all {
            Selection::All
        } else if let Some(text) = &self.matching {
            Selection::Matching(text_field("matching", text, 200, false)?)
        } else if !self.records.is_empty() {
            Selection::Records(keys(&self.records)?)
        } else {
            Selection::Subtrees(keys(&self.subtrees)?)
        })
    }
}

/// A run's answer: for a preview, what it would do; for a confirmation, what it did.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ReportView {
    pub run_id: Option<i64>,
    pub status: RunStatus,
    pub counts: RunCounts,
    pub deactivations: u32,
    pub changes: Vec<nsync_core::Change>,
    pub changes_truncated: bool,
}

impl From<RunReport> for ReportView {
    fn from(mut report: RunReport) -> Self {
        let truncated = report.changes.len() > PREVIEW_CHANGES;
        report.changes.truncate(PREVIEW_CHANGES);
        Self {
            run_id: report.run.map(|r| r.get()),
            status: report.status,
            counts: report.counts,
            deactivations: report.deactivations,
            changes: report.changes,
            changes_truncated: truncated,
        }
    }
}

/// A run started in the background: its id, to follow with getRun.
#[derive(Serialize, JsonSchema)]
pub(crate) struct RunStarted {
    run_id: i64,
    /// `running`.
    status: RunStatus,
}

/// A started run: its id, to follow with getRun.
pub(crate) fn accepted(run: nsync_core::RunId) -> Response {
    let started = RunStarted {
        run_id: run.get(),
        status: RunStatus::Running,
    };
    (StatusCode::ACCEPTED, Json(started)).into_response()
}

pub(crate) async fn import_records(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ImportBody>,
) -> Result<Response, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let selection = body.selection()?;
    if body.preview {
        let mut options = RunOptions::new(RunTrigger::Manual);
        options.preview = true;
        let report = state
            .engine()
            .import(integration.id, selection, options)
            .await?;
        return Ok(Json(ReportView::from(report)).into_response());
    }
    let request = RunRequest::Import(selection);
    let run = ops::integrations::start_run(
        state.engine(),
        &who.actor(),
        &integration,
        request,
        RefreshMode::Incremental,
    )
    .await?;
    Ok(accepted(run))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateBody {
    /// Say what would change; write nothing.
    #[serde(default)]
    pub preview: bool,
    /// Read everything from NetSuite rather than the changes since the last read.
    #[serde(default)]
    pub full: bool,
}

pub(crate) async fn start_update(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Response, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let refresh = if body.full {
        RefreshMode::Full
    } else {
        RefreshMode::Incremental
    };
    if body.preview {
        let options = RunOptions {
            preview: true,
            refresh,
            trigger: RunTrigger::Manual,
            job: None,
        };
        let report = state.engine().update(integration.id, options).await?;
        return Ok(Json(ReportView::from(report)).into_response());
    }
    let run = ops::integrations::start_run(
        state.engine(),
        &who.actor(),
        &integration,
        RunRequest::Update,
        refresh,
    )
    .await?;
    Ok(accepted(run))
}
