//! The audit page: the company's administrative actions, newest first.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{render, Chrome, PageError, Viewer};
use crate::http::api::ApiQuery;
use crate::http::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/audit", get(page))
}

struct EventRow {
    at: String,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    chrome: Chrome,
    events: Vec<EventRow>,
    next_before: Option<i64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    before: Option<i64>,
}

const PAGE: u32 = 100;

async fn page(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    ApiQuery(params): ApiQuery<Params>,
) -> Result<Response, PageError> {
    who.require_admin()?;
    let entries = state
        .store()
        .audit_log(who.company, params.before, PAGE)
        .await?;
    let next_before = (entries.len() == PAGE as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let events = entries
        .into_iter()
        .map(|e| EventRow {
            at: chrono::DateTime::from_timestamp_millis(e.entry.at_ms)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default(),
            actor: e
                .entry
                .actor
                .map_or_else(|| "nsync".to_owned(), |a| format!("user {a}")),
            action: e.entry.action.replace('_', " "),
            target: e.entry.target.unwrap_or_default(),
            detail: match &e.entry.detail {
                serde_json::Value::Object(map) if map.is_empty() => String::new(),
                other => other.to_string(),
            },
        })
        .collect();
    Ok(render(&AuditTpl {
        chrome: Chrome::new(&who, "audit"),
        events,
        next_before,
    }))
}
