//! The audit page: the company's administrative actions, newest first.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{render, words, Chrome, PageError, Viewer};
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
    link: Option<String>,
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
    let company = state.store().company(who.company).await?;
    let emails: std::collections::HashMap<_, _> = state
        .store()
        .user_emails(who.company)
        .await?
        .into_iter()
        .collect();
    let events = entries
        .into_iter()
        .map(|e| {
            let target = e.entry.target.unwrap_or_default();
            // A run is linked to its page; other targets (an option, a webhook) say what they are.
            let link = target
                .strip_prefix("run ")
                .filter(|n| n.parse::<i64>().is_ok())
                .map(|n| format!("/runs/{n}"));
            EventRow {
                at: words::at(e.entry.at_ms, company.time_zone.tz()),
                actor: match e.entry.actor {
                    None => "nsync".to_owned(),
                    Some(user) => emails
                        .get(&user)
                        .cloned()
                        .unwrap_or_else(|| format!("a former user ({user})")),
                },
                action: words::audit_action(&e.entry.action),
                target,
                link,
                detail: words::detail(&e.entry.detail),
            }
        })
        .collect();
    Ok(render(&AuditTpl {
        chrome: Chrome::new(&who, "audit"),
        events,
        next_before,
    }))
}
