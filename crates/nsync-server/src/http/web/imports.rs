//! Import Customers (the list with search and Select all, Import) and Update (preview, apply)
//! on the integration page.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use nsync_core::planner::Selection;
use nsync_core::{ChangeKind, RunTrigger, UpstreamKind};

use super::integration::{message, require_integration};
use super::runs::{change_rows, started_fragment, ChangeRow};
use super::{render, Chrome, PageError, Viewer};
use crate::http::api::candidates::{
    candidate_page, refresh_mirror, CandidateParams, CandidateView,
};
use crate::http::api::imports::ImportBody;
use crate::http::api::ApiQuery;
use crate::http::extract::PageForm;
use crate::http::{ApiError, AppState};
use crate::ops;
use crate::{RefreshMode, RunOptions, RunRequest};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/integration/candidates", get(candidates))
        .route("/integration/candidates/refresh", post(refresh_candidates))
        .route("/integration/import", post(import))
        .route("/integration/import/summary", post(import_summary))
        .route("/integration/update/preview", post(preview_update))
        .route("/integration/update", post(update))
}

#[derive(Template)]
#[template(path = "candidates.html")]
struct CandidatesTpl {
    chrome: Chrome,
    search: String,
    candidates: Vec<CandidateView>,
    next: Option<String>,
    more_query: String,
    expandable: bool,
    hide_closed: bool,
}

#[derive(Template)]
#[template(path = "candidate_rows.html")]
struct CandidateRowsTpl {
    candidates: Vec<CandidateView>,
    next: Option<String>,
    more_query: String,
    expandable: bool,
    hide_closed: bool,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CandidatesQuery {
    parent: Option<String>,
    search: Option<String>,
    after: Option<String>,
    /// Refused: reading NetSuite changes state, so it is a POST to
    /// `/integration/candidates/refresh` (CSRF-checked). Kept to say so.
    #[serde(default)]
    refresh: bool,
    /// Leaves out projects in a status the integration counts as closed.
    #[serde(default)]
    hide_closed: bool,
    /// `form`: the whole Import Customers form, not only rows.
    view: Option<String>,
}

async fn candidates(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    ApiQuery(q): ApiQuery<CandidatesQuery>,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let search = q.search.clone().unwrap_or_default().trim().to_owned();
    // A search lists matches at every level; without one, the tree starts at the customers.
    let parent = match (&q.parent, search.is_empty()) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some("top".to_owned()),
        (None, false) => None,
    };
    let params = CandidateParams {
        parent: parent.clone(),
        search: Some(search.clone()).filter(|s| !s.is_empty()),
        status: None,
        after: q.after,
        limit: Some(50),
        hide_closed: q.hide_closed,
        refresh: q.refresh,
    };
    let view_form = q.view.as_deref() == Some("form");
    let page = candidate_page(&state, &integration, params).await?;
    let more_query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(parent.iter().map(|p| ("parent", p.as_str())))
        .extend_pairs(Some(("search", search.as_str())).filter(|_| !search.is_empty()))
        .extend_pairs(Some(("hide_closed", "true")).filter(|_| q.hide_closed))
        .finish();
    let expandable = search.is_empty();
    if view_form {
        return Ok(render(&CandidatesTpl {
            chrome: Chrome::new(&who, "integration"),
            search,
            candidates: page.candidates,
            next: page.next,
            more_query,
            expandable,
            hide_closed: q.hide_closed,
        }));
    }
    Ok(render(&CandidateRowsTpl {
        candidates: page.candidates,
        next: page.next,
        more_query,
        expandable,
        hide_closed: q.hide_closed,
    }))
}

/// "Import Customers": reads NetSuite's changes (a POST, so the session's CSRF token is
/// checked), then shows the whole form at the customers' level.
async fn refresh_candidates(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    refresh_mirror(&state, &integration).await?;
    let query = CandidatesQuery {
        parent: Some("top".to_owned()),
        view: Some("form".to_owned()),
        ..Default::default()
    };
    candidates(State(state), Viewer(who), ApiQuery(query)).await
}

/// The Import Customers form: Select all (with the search it narrows to), or the ticked records
/// (with what is below them, unless "only the ticked records" is ticked too).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ImportForm {
    all: Option<String>,
    search: String,
    records: Vec<String>,
    only_ticked: Option<String>,
}

impl ImportForm {
    /// What the form selects; `None` when nothing is ticked.
    fn selection(self) -> Result<Option<Selection>, ApiError> {
        let all = self.all.as_deref() == Some("true");
        let search = self.search.trim().to_owned();
        let body = match (all, search.is_empty()) {
            (true, true) => ImportBody {
                all: true,
                ..Default::default()
            },
            (true, false) => ImportBody {
                matching: Some(search),
                ..Default::default()
            },
            (false, _) if self.records.is_empty() => return Ok(None),
            (false, _) if self.only_ticked.is_some() => ImportBody {
                records: self.records,
                ..Default::default()
            },
            (false, _) => ImportBody {
                subtrees: self.records,
                ..Default::default()
            },
        };
        body.selection().map(Some)
    }
}

async fn import(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PageForm(form): PageForm<ImportForm>,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let Some(selection) = form.selection()? else {
        return Ok(message(false, "Tick the records to import, or Select all."));
    };
    let run = ops::integrations::start_run(
        state.engine(),
        &who.actor(),
        &integration,
        RunRequest::Import(selection),
        RefreshMode::Incremental,
    )
    .await?;
    Ok(started_fragment(run))
}

/// What Import would bring in for the form as it stands: planned from the records the list
/// read when it opened, so a tick costs no NetSuite request.
async fn import_summary(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PageForm(form): PageForm<ImportForm>,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let Some(selection) = form.selection()? else {
        return Ok(message(true, "Nothing ticked yet."));
    };
    let mut options = RunOptions::new(RunTrigger::Manual);
    options.preview = true;
    options.refresh = RefreshMode::Stored;
    let report = state
        .engine()
        .import(integration.id, selection, options)
        .await?;
    let count = |kind, change| {
        report
            .changes
            .iter()
            .filter(|c| c.upstream.kind == kind && c.kind == change)
            .count()
    };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let customers = count(UpstreamKind::Customer, ChangeKind::Added);
    let projects = count(UpstreamKind::Project, ChangeKind::Added);
    let restored = report
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Restored)
        .count();
    let mut text = format!(
        "Import will add {} and {}",
        plural(customers, "customer", "customers"),
        plural(projects, "project", "projects")
    );
    if restored > 0 {
        text.push_str(&format!(", and restore {restored} removed here"));
    }
    if report.counts.rejected > 0 {
        text.push_str(&format!(
            "; {} cannot be imported as they are in NetSuite (see the list)",
            plural(report.counts.rejected as usize, "record", "records")
        ));
    }
    text.push('.');
    Ok(message(true, text))
}

#[derive(Template)]
#[template(path = "preview.html")]
struct PreviewTpl {
    counts: nsync_core::RunCounts,
    changes: Vec<ChangeRow>,
    truncated: bool,
    held: bool,
}

async fn preview_update(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let mut options = RunOptions::new(RunTrigger::Manual);
    options.preview = true;
    let report = state.engine().update(integration.id, options).await?;
    let truncated = report.changes.len() > 200;
    let changes: Vec<_> = report.changes.into_iter().take(200).collect();
    let ids: Vec<_> = changes.iter().filter_map(|c| c.option).collect();
    let labels = state.store().path_labels(&ids).await?.into_iter().collect();
    let changes = change_rows(changes, &labels, Some(integration.account.as_str()));
    Ok(render(&PreviewTpl {
        counts: report.counts,
        changes,
        truncated,
        held: report.status == nsync_core::RunStatus::NeedsConfirmation,
    }))
}

async fn update(State(state): State<AppState>, Viewer(who): Viewer) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let run = ops::integrations::start_run(
        state.engine(),
        &who.actor(),
        &integration,
        RunRequest::Update,
        RefreshMode::Incremental,
    )
    .await?;
    Ok(started_fragment(run))
}
