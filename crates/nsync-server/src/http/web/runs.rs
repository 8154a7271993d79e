//! The Runs page (history, a small chart of changes per run), one run's change list, and the
//! run status fragment a started run polls.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use nsync_core::{Change, ChangeKind, Run, RunStatus};

use super::{company_integration, render, Chrome, PageError, Viewer};
use crate::http::api::{key_text, owned_run, ApiQuery, PathId};
use crate::http::AppState;
use crate::ops;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/runs", get(page))
        .route("/runs/{id}", get(run_page))
        .route("/runs/{id}/status", get(status))
        .route("/runs/{id}/confirm", post(confirm))
}

/// A run as a table row.
pub(crate) struct RunRow {
    pub id: i64,
    pub kind: String,
    pub trigger: String,
    pub status: String,
    pub error: Option<String>,
    pub started: String,
    pub counts: nsync_core::RunCounts,
    pub total: u32,
    /// Width of the bar in the chart column, in pixels (log scale, so small runs still show).
    pub bar: u32,
}

pub(crate) fn run_rows(runs: Vec<Run>) -> Vec<RunRow> {
    runs.into_iter()
        .map(|r| {
            let c = r.counts;
            let total = c.added + c.renamed + c.moved + c.deactivated + c.reactivated + c.rejected;
            let bar = if total == 0 {
                0
            } else {
                4 + 12 * (f64::from(total).log10() as u32 + 1)
            };
            RunRow {
                id: r.id.get(),
                kind: r.kind.to_string(),
                trigger: r.trigger.to_string(),
                status: r.status.to_string(),
                error: r.error,
                started: chrono::DateTime::from_timestamp_millis(r.started_at_ms)
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_default(),
                counts: c,
                total,
                bar,
            }
        })
        .collect()
}

/// A change as a table row.
pub(crate) struct ChangeRow {
    pub record: String,
    pub kind: String,
    pub old: String,
    pub new: String,
    pub reason: String,
}

pub(crate) fn change_rows(changes: Vec<Change>) -> Vec<ChangeRow> {
    changes
        .into_iter()
        .map(|c| ChangeRow {
            record: key_text(c.upstream),
            kind: match c.kind {
                ChangeKind::NumberChanged => "number changed".to_owned(),
                other => other.to_string(),
            },
            old: c.old_value.unwrap_or_default(),
            new: c.new_value.unwrap_or_default(),
            reason: c.reason.unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsTpl {
    chrome: Chrome,
    runs: Vec<RunRow>,
}

async fn page(State(state): State<AppState>, Viewer(who): Viewer) -> Result<Response, PageError> {
    who.require_admin()?;
    let runs = match company_integration(&state, &who).await? {
        Some(i) => run_rows(state.store().runs(i.id, None, 100).await?),
        None => Vec::new(),
    };
    Ok(render(&RunsTpl {
        chrome: Chrome::new(&who, "runs"),
        runs,
    }))
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunTpl {
    chrome: Chrome,
    run: i64,
    kind: String,
    status: String,
    error: Option<String>,
    changes: Vec<ChangeRow>,
    truncated: bool,
    next_from: Option<u64>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FromQuery {
    from: Option<u64>,
}

const CHANGES_PER_PAGE: u32 = 200;

async fn run_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<FromQuery>,
) -> Result<Response, PageError> {
    let run = owned_run(&state, &who, &id).await?;
    who.require_admin()?;
    let from = q.from.unwrap_or(0);
    let changes = state
        .store()
        .changes(run.id, from, CHANGES_PER_PAGE)
        .await?;
    let next_from =
        (changes.len() == CHANGES_PER_PAGE as usize).then(|| from + changes.len() as u64);
    Ok(render(&RunTpl {
        chrome: Chrome::new(&who, "runs"),
        run: run.id.get(),
        kind: run.kind.to_string(),
        status: run.status.to_string(),
        error: run.error,
        changes: change_rows(changes),
        truncated: false,
        next_from,
    }))
}

fn status_fragment(run: &Run) -> Response {
    render(&RunStartedTpl {
        run: run.id.get(),
        status: run.status.to_string(),
        done: run.status != RunStatus::Running,
        counts: (run.status != RunStatus::Running).then_some(run.counts),
        error: run.error.clone(),
    })
}

async fn status(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let run = owned_run(&state, &who, &id).await?;
    who.require_admin()?;
    Ok(status_fragment(&run))
}

async fn confirm(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let run = owned_run(&state, &who, &id).await?;
    ops::runs::confirm(state.engine(), &who.actor(), &run).await?;
    Ok(status_fragment(&state.store().run(run.id).await?))
}

#[derive(Template)]
#[template(path = "run_started.html")]
struct RunStartedTpl {
    pub run: i64,
    pub status: String,
    pub done: bool,
    pub counts: Option<nsync_core::RunCounts>,
    pub error: Option<String>,
}

/// The status fragment of a run just started: it polls until the run ends.
pub(super) fn started_fragment(run: nsync_core::RunId) -> Response {
    render(&RunStartedTpl {
        run: run.get(),
        status: "running".into(),
        done: false,
        counts: None,
        error: None,
    })
}
