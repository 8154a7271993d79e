//! The Import Customers list: NetSuite's customers and projects of the integrated subsidiary,
//! read into the mirror, a page at a time with search and filters.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use nsync_core::RunTrigger;
use nsync_store::Integration;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{key_text, owned_integration, parse_key, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::{CandidateQuery, CandidateStatus, ParentFilter, RunOptions};

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CandidateParams {
    /// `top`, or `customer:ID` / `project:ID` for the records below it; absent: every level.
    pub parent: Option<String>,
    pub search: Option<String>,
    /// `new`, `imported` or `removed_here`.
    pub status: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
    pub limit: Option<u32>,
    /// Leave out projects in a status counted as closed.
    #[serde(default)]
    pub hide_closed: bool,
    /// Refused: reading NetSuite changes state, so it is `refreshCandidates` (a POST). Kept
    /// to say so, rather than "unknown field".
    #[serde(default)]
    pub refresh: bool,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct CandidateView {
    pub key: String,
    pub parent: Option<String>,
    pub name: String,
    pub number: Option<String>,
    pub inactive: bool,
    /// A project's status, by NetSuite's name.
    pub project_status: Option<String>,
    /// In a status the integration counts as closed.
    pub closed: bool,
    pub status: &'static str,
    /// Why the record cannot be imported as it is in NetSuite (fix it there, then Update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// `key` as an HTML id (no `:`, which a CSS selector would read as a pseudo-class).
    #[serde(skip)]
    pub anchor: String,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct CandidatePageView {
    pub candidates: Vec<CandidateView>,
    pub next: Option<String>,
}

pub(crate) fn status_text(status: CandidateStatus) -> &'static str {
    match status {
        CandidateStatus::New => "new",
        CandidateStatus::Imported => "imported",
        CandidateStatus::RemovedHere => "removed_here",
    }
}

pub(crate) async fn candidate_page(
    state: &AppState,
    integration: &Integration,
    params: CandidateParams,
) -> Result<CandidatePageView, ApiError> {
    let parent = match params.parent.as_deref() {
        None | Some("") => ParentFilter::Any,
        Some("top") => ParentFilter::Top,
        Some(key) => ParentFilter::Of(parse_key(key)?),
    };
    let status = match params.status.as_deref() {
        None | Some("") => None,
        Some("new") => Some(CandidateStatus::New),
        Some("imported") => Some(CandidateStatus::Imported),
        Some("removed_here") => Some(CandidateStatus::RemovedHere),
        Some(other) => {
            return Err(ApiError::Invalid(format!(
                "unknown status {other:?}: use new, imported or removed_here"
            )))
        }
    };
    let search = params.search.filter(|s| !s.trim().is_empty());
    if search.as_ref().is_some_and(|s| s.chars().count() > 200) {
        return Err(ApiError::Invalid(
            "search is longer than 200 characters".into(),
        ));
    }
    if !params.refresh && integration.cursor.is_none() {
        // An empty list here would say "NetSuite has nothing", which is not what is known.
        return Err(ApiError::NotReadYet);
    }
    if params.refresh {
        return Err(ApiError::Invalid(format!(
            "refresh=true is not read on a GET (a read must not change anything): POST \
             /api/v1/integrations/{}/candidates/refresh first",
            integration.id
        )));
    }
    let query = CandidateQuery {
        search,
        parent,
        status,
        after: params.after.as_deref().map(parse_key).transpose()?,
        limit: params.limit.unwrap_or(100).clamp(1, 1000),
        hide_closed: params.hide_closed,
    };
    let page = state.engine().candidates(integration.id, &query).await?;
    Ok(CandidatePageView {
        candidates: page
            .candidates
            .into_iter()
            .map(|c| CandidateView {
                key: key_text(c.key),
                parent: c.parent.map(key_text),
                name: c.name,
                number: c.number,
                inactive: c.inactive,
                project_status: c.project_status,
                closed: c.closed,
                status: status_text(c.status),
                problem: c.problem,
                anchor: format!("{}-{}", c.key.kind, c.key.id),
            })
            .collect(),
        next: page.next.map(key_text),
    })
}

/// Reads NetSuite's changes into the integration's mirror (applied, not a preview: the Import
/// Customers list is served from the mirror it writes). The API and the pages share it.
pub(crate) async fn refresh_mirror(
    state: &AppState,
    integration: &Integration,
) -> Result<(), ApiError> {
    let options = RunOptions::new(RunTrigger::Manual);
    state.engine().refresh(integration.id, options).await?;
    Ok(())
}

/// `POST /integrations/{id}/candidates/refresh`: the Import Customers list catches up with
/// NetSuite (204); list it with listImportCandidates.
pub(crate) async fn refresh_candidates(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<StatusCode, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    refresh_mirror(&state, &integration).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn list_candidates(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiQuery(params): ApiQuery<CandidateParams>,
) -> Result<Json<CandidatePageView>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    Ok(Json(candidate_page(&state, &integration, params).await?))
}
