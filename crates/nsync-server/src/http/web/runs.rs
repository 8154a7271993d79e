//! The Runs page (history, a small chart of changes per run), one run's change list, and the
//! run status fragment a started run polls.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;

use nsync_core::{Change, ChangeKind, OptionId, Run, RunId, RunStatus, RunTrigger, UserId};

use super::{company_integration, render, words, Chrome, PageError, Viewer};
use crate::http::api::{key_text, owned_run, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/runs", get(page))
        .route("/runs/{id}", get(run_page))
        .route("/runs/{id}/status", get(status))
        .route("/runs/{id}/confirm", post(confirm))
        .route("/runs/{id}/discard", post(discard))
}

/// A run as a table row.
pub(crate) struct RunRow {
    pub id: i64,
    pub kind: &'static str,
    pub started_by: String,
    pub status: &'static str,
    /// The status code, for the row's style.
    pub status_code: &'static str,
    pub error: Option<String>,
    pub started: String,
    pub counts: nsync_core::RunCounts,
    pub total: u32,
    /// Width of the bar in the chart column, in pixels (log scale, so small runs still show).
    pub bar: u32,
}

/// What naming runs for people takes: the company's time zone and who started which run.
pub(crate) struct RunNames {
    tz: chrono_tz::Tz,
    emails: HashMap<UserId, String>,
    starters: HashMap<RunId, UserId>,
}

impl RunNames {
    /// For `runs` of the viewer's company.
    pub(crate) async fn of(
        state: &AppState,
        who: &Principal,
        runs: &[Run],
    ) -> Result<Self, ApiError> {
        let company = state.store().company(who.company).await?;
        let ids: Vec<RunId> = runs
            .iter()
            .filter(|r| r.trigger == RunTrigger::Manual)
            .map(|r| r.id)
            .collect();
        let starters = state.store().run_starters(who.company, &ids).await?;
        let emails = if starters.is_empty() {
            HashMap::new()
        } else {
            state
                .store()
                .user_emails(who.company)
                .await?
                .into_iter()
                .collect()
        };
        Ok(Self {
            tz: company.time_zone.tz(),
            emails,
            starters: starters.into_iter().collect(),
        })
    }

    pub(crate) fn tz(&self) -> chrono_tz::Tz {
        self.tz
    }

    /// Who started `run`: the person's address, or what started it.
    pub(crate) fn started_by(&self, run: &Run) -> String {
        self.starters
            .get(&run.id)
            .and_then(|user| self.emails.get(user))
            .cloned()
            .unwrap_or_else(|| words::run_trigger(run.trigger).to_owned())
    }
}

pub(crate) fn run_rows(runs: Vec<Run>, names: &RunNames) -> Vec<RunRow> {
    runs.into_iter()
        .map(|r| {
            let c = r.counts;
            let total = c.total();
            let bar = if total == 0 {
                0
            } else {
                4 + 12 * (f64::from(total).log10() as u32 + 1)
            };
            RunRow {
                id: r.id.get(),
                kind: words::run_kind(r.kind),
                started_by: names.started_by(&r),
                status: words::run_status(r.status),
                status_code: r.status.as_str(),
                started: words::at(r.started_at_ms, names.tz),
                error: r.error,
                counts: c,
                total,
                bar,
            }
        })
        .collect()
}

/// A change as a table row.
pub(crate) struct ChangeRow {
    /// The option's full path where it has one, else the record's name as the change gives it.
    pub label: String,
    pub kind: &'static str,
    pub old: String,
    pub new: String,
    pub reason: String,
    /// The record in NetSuite, on the account's own host.
    pub link: Option<String>,
    /// `customer 102`, `project 7`.
    pub record: String,
}

/// `changes` as rows; `labels` names the options that have a path, `account` (when known)
/// links each record to NetSuite.
pub(crate) fn change_rows(
    changes: Vec<Change>,
    labels: &HashMap<OptionId, String>,
    account: Option<&str>,
) -> Vec<ChangeRow> {
    changes
        .into_iter()
        .map(|c| {
            let label = c
                .option
                .and_then(|o| labels.get(&o).cloned())
                .or_else(|| c.new_value.clone())
                .or_else(|| c.old_value.clone())
                .unwrap_or_else(|| key_text(c.upstream));
            ChangeRow {
                label,
                kind: words::change_kind(c.kind),
                old: c.old_value.unwrap_or_default(),
                new: c.new_value.unwrap_or_default(),
                reason: c.reason.as_deref().map(words::reason).unwrap_or_default(),
                link: account.map(|a| netsuite_record_url(a, c.upstream.id.get())),
                record: format!("{} {}", c.upstream.kind, c.upstream.id),
            }
        })
        .collect()
}

/// A customer's or project's page in NetSuite. The host is built from the account id, which
/// is validated to letters, digits and `_` when the integration is made: never a tenant-chosen
/// host.
pub(crate) fn netsuite_record_url(account: &str, id: i64) -> String {
    format!(
        "https://{}.app.netsuite.com/app/common/entity/custjob.nl?id={id}",
        account.to_ascii_lowercase().replace('_', "-")
    )
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsTpl {
    chrome: Chrome,
    runs: Vec<RunRow>,
    refreshes: bool,
    chart: Chart,
    /// The id to list from for the next hundred, when there are older runs.
    older: Option<i64>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RunsQuery {
    /// List the refreshes that succeeded too (each opening of Import Customers is one).
    #[serde(default)]
    refreshes: bool,
    /// List the runs older than this one (the "Older runs" link).
    before: Option<RunId>,
}

/// Changes per run over the last 90 days, drawn on the server as SVG (no script needed).
pub(crate) struct Chart {
    /// (x, y, height, tooltip) of each run's bar.
    pub bars: Vec<(u32, u32, u32, String)>,
    pub width: u32,
    pub most: u32,
    pub from: String,
}

const CHART_DAYS: i64 = 90;
const CHART_HEIGHT: u32 = 80;

fn chart(runs: &[Run], now_ms: i64, tz: chrono_tz::Tz) -> Chart {
    let since = now_ms - CHART_DAYS * 86_400_000;
    let mut shown: Vec<&Run> = runs.iter().filter(|r| r.started_at_ms >= since).collect();
    shown.sort_by_key(|r| r.started_at_ms);
    let total = |r: &Run| r.counts.total();
    let most = shown.iter().map(|r| total(r)).max().unwrap_or(0);
    // One pixel column per day, the runs of a day side by side in it.
    let width = (CHART_DAYS as u32 + 1) * 6;
    let scale = |n: u32| {
        if n == 0 || most == 0 {
            1
        } else {
            let h = f64::from(n).ln_1p() / f64::from(most).ln_1p() * f64::from(CHART_HEIGHT);
            (h.round() as u32).clamp(2, CHART_HEIGHT)
        }
    };
    let mut per_day: HashMap<i64, u32> = HashMap::new();
    let bars = shown
        .into_iter()
        .map(|r| {
            let day = (r.started_at_ms - since) / 86_400_000;
            let slot = per_day.entry(day).or_default();
            let x = (day as u32) * 6 + (*slot).min(2) * 2;
            *slot += 1;
            let n = total(r);
            let h = scale(n);
            let tip = format!(
                "#{} {} {}: {n} changes",
                r.id,
                words::run_kind(r.kind),
                words::at(r.started_at_ms, tz)
            );
            (x, CHART_HEIGHT - h, h, tip)
        })
        .collect();
    Chart {
        bars,
        width,
        most,
        from: words::at(since, tz),
    }
}

async fn page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> Result<Response, PageError> {
    who.require_admin()?;
    let integration = company_integration(&state, &who).await?.map(|i| i.id);
    let list = |before: Option<RunId>, limit| {
        let store = state.store();
        async move {
            match integration {
                Some(i) if q.refreshes => store.runs(i, before, limit).await,
                Some(i) => store.runs_that_matter(i, before, limit).await,
                None => Ok(Vec::new()),
            }
        }
    };
    // The chart always shows the latest runs; the table pages back from `before`.
    let latest = list(None, 500).await?;
    let mut shown = match q.before {
        Some(id) => list(Some(id), RUNS_PER_PAGE + 1).await?,
        None => latest
            .iter()
            .take(RUNS_PER_PAGE as usize + 1)
            .cloned()
            .collect(),
    };
    let older = (shown.len() > RUNS_PER_PAGE as usize).then(|| {
        shown.truncate(RUNS_PER_PAGE as usize);
        shown.last().map_or(0, |r| r.id.get())
    });
    // Names for the rows shown; the chart needs only the company's time zone from them.
    let names = RunNames::of(&state, &who, &shown).await?;
    let chart = chart(&latest, state.engine().now_ms(), names.tz());
    Ok(render(&RunsTpl {
        chrome: Chrome::new(&who, "runs"),
        runs: run_rows(shown, &names),
        refreshes: q.refreshes,
        chart,
        older,
    }))
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunTpl {
    chrome: Chrome,
    run: RunRow,
    held: bool,
    finished: Option<String>,
    duration: Option<String>,
    requests: u32,
    /// (kind, count, bar width in px) of each kind with changes.
    bars: Vec<(&'static str, u32, u32)>,
    changes: Vec<ChangeRow>,
    truncated: bool,
    /// (value, words, selected) for the filter.
    kinds: Vec<(&'static str, &'static str, bool)>,
    kind: String,
    next_from: Option<u64>,
    prev_from: Option<u64>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RunQuery {
    from: Option<u64>,
    /// Only changes of this kind (`renamed`, ...); empty for all.
    kind: Option<String>,
}

const CHANGES_PER_PAGE: u32 = 200;

/// Runs in one page of the runs list.
const RUNS_PER_PAGE: u32 = 100;

/// The change kinds the filter offers, in the order a run reports them.
const KINDS: [ChangeKind; 9] = [
    ChangeKind::Added,
    ChangeKind::Renamed,
    ChangeKind::Moved,
    ChangeKind::Deactivated,
    ChangeKind::Reactivated,
    ChangeKind::Restored,
    ChangeKind::RemovedHere,
    ChangeKind::NumberChanged,
    ChangeKind::Rejected,
];

async fn run_page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
    ApiQuery(q): ApiQuery<RunQuery>,
) -> Result<Response, PageError> {
    let run = owned_run(&state, &who, &id).await?;
    who.require_admin()?;
    let kind = match q.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(ChangeKind::parse(text).map_err(|e| ApiError::Invalid(e.to_string()))?),
    };
    let from = q.from.unwrap_or(0);
    let changes =
        ops::runs::changes_of_kind(state.engine(), &run, kind, from, CHANGES_PER_PAGE).await?;
    let next_from =
        (changes.len() == CHANGES_PER_PAGE as usize).then(|| from + changes.len() as u64);
    let prev_from = (from > 0).then(|| from.saturating_sub(u64::from(CHANGES_PER_PAGE)));
    let ids: Vec<OptionId> = changes.iter().filter_map(|c| c.option).collect();
    let labels: HashMap<OptionId, String> =
        state.store().path_labels(&ids).await?.into_iter().collect();
    let integration = state.store().integration(run.integration).await?;
    let c = run.counts;
    let counted = [
        ("Added", c.added),
        ("Renamed", c.renamed),
        ("Moved", c.moved),
        ("Deactivated", c.deactivated),
        ("Reactivated", c.reactivated),
        ("Restored", c.restored),
        ("Deleted in NetSuite", c.deleted),
        ("Rejected", c.rejected),
    ];
    let most = counted.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let bars = counted
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(kind, n)| {
            (
                kind,
                n,
                (u64::from(n) * 240 / u64::from(most)).max(2) as u32,
            )
        })
        .collect();
    let names = RunNames::of(&state, &who, std::slice::from_ref(&run)).await?;
    let finished = run.finished_at_ms.map(|ms| words::at(ms, names.tz()));
    let duration = run
        .finished_at_ms
        .map(|end| words::duration(end - run.started_at_ms));
    let held = run.status == RunStatus::NeedsConfirmation;
    let requests = run.netsuite_requests;
    let row = run_rows(vec![run], &names).remove(0);
    Ok(render(&RunTpl {
        chrome: Chrome::new(&who, "runs"),
        run: row,
        held,
        finished,
        duration,
        requests,
        bars,
        changes: change_rows(changes, &labels, Some(integration.account.as_str())),
        truncated: false,
        kinds: KINDS
            .iter()
            .map(|k| (k.as_str(), words::change_kind(*k), Some(*k) == kind))
            .collect(),
        kind: kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        next_from,
        prev_from,
    }))
}

fn status_fragment(run: &Run) -> Response {
    let mut response = render(&RunStartedTpl {
        run: run.id.get(),
        status: words::run_status(run.status),
        code: run.status.as_str(),
        done: run.status != RunStatus::Running,
        counts: (run.status != RunStatus::Running).then_some(run.counts),
        error: run.error.clone(),
        progress: run
            .progress
            .as_ref()
            .filter(|_| run.status == RunStatus::Running)
            .map(|p| (p.phase.words(), p.pages_read, p.pages_planned)),
    });
    // An import that ended: the Import Customers list reloads its rows, so what was just
    // imported no longer reads "new".
    if run.kind == nsync_core::RunKind::Import && run.status != RunStatus::Running {
        response.headers_mut().insert(
            "hx-trigger",
            axum::http::HeaderValue::from_static("nsync-imported"),
        );
    }
    response
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

async fn discard(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let run = owned_run(&state, &who, &id).await?;
    ops::runs::discard(state.engine(), &who.actor(), &run).await?;
    Ok(status_fragment(&state.store().run(run.id).await?))
}

#[derive(Template)]
#[template(path = "run_started.html")]
struct RunStartedTpl {
    pub run: i64,
    pub status: &'static str,
    pub code: &'static str,
    pub done: bool,
    pub counts: Option<nsync_core::RunCounts>,
    pub error: Option<String>,
    /// While it runs: the phase in words, and pages read of pages planned.
    pub progress: Option<(&'static str, u64, u64)>,
}

/// The status fragment of a run just started: it polls until the run ends.
pub(super) fn started_fragment(run: nsync_core::RunId) -> Response {
    render(&RunStartedTpl {
        run: run.get(),
        status: words::run_status(RunStatus::Running),
        code: RunStatus::Running.as_str(),
        done: false,
        counts: None,
        error: None,
        progress: None,
    })
}
