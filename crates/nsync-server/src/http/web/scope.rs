//! What the integration imports: the subsidiary by name, the customer stages, and which of the
//! account's project statuses count as closed. The names come from NetSuite when the page asks
//! (a fragment each), so the integration page itself never waits on NetSuite.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::integration::{message, require_integration};
use super::{render, PageError, Viewer};
use crate::http::extract::PageForm;
use crate::http::{ApiError, AppState};
use crate::ops;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/integration/subsidiary-name", get(subsidiary_name))
        .route("/integration/scope", get(scope_form).post(save_scope))
}

#[derive(Template)]
#[template(
    source = "<strong>{{ name }}</strong> <span class=\"muted\">(internal id {{ id }})</span>",
    ext = "html"
)]
struct SubsidiaryNameTpl {
    name: String,
    id: i64,
}

/// The integrated subsidiary's name as NetSuite has it now.
async fn subsidiary_name(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let Some(id) = integration.subsidiary else {
        return Ok(message(true, "none: the whole account"));
    };
    let found = match state.engine().subsidiaries(integration.id).await {
        Ok(list) => list.into_iter().find(|s| s.id.0 == id.get()),
        Err(err) => return Ok(message(false, ApiError::from(err).public_message())),
    };
    Ok(match found {
        Some(s) => render(&SubsidiaryNameTpl {
            name: s.full_name.unwrap_or(s.name),
            id: id.get(),
        }),
        None => message(
            false,
            format!(
                "subsidiary {id} is not among the account's subsidiaries any more: was it \
                 deleted or made an elimination subsidiary in NetSuite?"
            ),
        ),
    })
}

#[derive(Template)]
#[template(path = "scope.html")]
struct ScopeTpl {
    csrf: String,
    include_prospects: bool,
    include_leads: bool,
    /// (id, name, counts as closed)
    statuses: Vec<(i64, String, bool)>,
    /// Whether the closed ones are the default (the statuses named Closed).
    default_closed: bool,
}

/// The stages and closed statuses form, with the account's statuses read from NetSuite.
async fn scope_form(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let statuses = match state.engine().project_statuses(integration.id).await {
        Ok(list) => list,
        Err(err) => return Ok(message(false, ApiError::from(err).public_message())),
    };
    let settings = &integration.settings;
    let closed = |id: i64, name: &str| match &settings.closed_project_statuses {
        Some(ids) => ids.contains(&id),
        None => name.trim().eq_ignore_ascii_case("closed"),
    };
    Ok(render(&ScopeTpl {
        csrf: who.csrf.clone().unwrap_or_default(),
        include_prospects: settings.include_prospects,
        include_leads: settings.include_leads,
        statuses: statuses
            .into_iter()
            .map(|s| {
                let ticked = closed(s.id, &s.name);
                (s.id, s.name, ticked)
            })
            .collect(),
        default_closed: settings.closed_project_statuses.is_none(),
    }))
}

/// The scope form: the stages ticked, and the ticked closed statuses (`statuses_shown` says the
/// statuses could be listed at all).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ScopeForm {
    prospects: Option<String>,
    leads: Option<String>,
    statuses_shown: Option<String>,
    closed: Vec<String>,
}

/// Saves the stages and the closed statuses. Ticking exactly the statuses named Closed keeps
/// the default, so a status renamed "Closed" later still counts.
async fn save_scope(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PageForm(form): PageForm<ScopeForm>,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let closed: Vec<i64> = form
        .closed
        .iter()
        .map(|v| {
            v.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::Invalid(format!("{v:?} is not a project status id")))
        })
        .collect::<Result<_, _>>()?;
    let mut settings = integration.settings.clone();
    settings.include_prospects = form.prospects.is_some();
    settings.include_leads = form.leads.is_some();
    settings.closed_project_statuses = match form.statuses_shown {
        // The statuses could not be shown: leave the choice as it was.
        None => settings.closed_project_statuses,
        Some(_) => Some(closed),
    };
    ops::integrations::save_settings(state.engine(), &who.actor(), &integration, settings).await?;
    Ok(message(
        true,
        "Saved. The next Import or Update reads NetSuite with these choices (adding prospects or \
         leads reads every customer record once).",
    ))
}
