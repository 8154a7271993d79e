//! The integration page: connection, Test connection, the automatic update, the notification
//! secret, last runs. Import Customers and Update are in `imports.rs`.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use nsync_core::{AutoUpdate, LocalTime, RunTrigger, SubsidiaryId, Weekdays};
use nsync_store::{Integration, NewIntegration};
use secrecy::ExposeSecret;

use super::runs::{run_rows, RunNames, RunRow};
use super::{company_integration, render, Chrome, MessageTpl, PageError, Viewer};
use crate::http::api::integrations::{run_connection_test, CredentialsInput};
use crate::http::auth::Principal;
use crate::http::extract::PageForm;
use crate::http::{ApiError, AppState};
use crate::ops;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/integration", get(page))
        .route("/integration/test", post(test))
        .route("/integration/subsidiaries", get(subsidiaries))
        .route("/integration/credentials", post(credentials))
        .route("/integration/create", post(create))
        .route("/integration/schedule", post(schedule))
        .route(
            "/integration/notification-secret",
            post(notification_secret),
        )
}

pub(super) async fn require_integration(
    state: &AppState,
    who: &Principal,
) -> Result<Integration, ApiError> {
    who.require_admin()?;
    company_integration(state, who)
        .await?
        .ok_or(ApiError::NotFound("integration"))
}

struct IntegrationInfo {
    account: String,
    auth_kind: &'static str,
    subsidiary: Option<i64>,
    include_prospects: bool,
    include_leads: bool,
    auto_enabled: bool,
    /// (value, name, ticked) for each weekday, Monday first.
    auto_days: Vec<(&'static str, &'static str, bool)>,
    auto_at: String,
    time_zone: String,
    next_auto: Option<String>,
    /// The last automatic update, when it failed: when and why.
    scheduled_failure: Option<(String, String)>,
}

const WEEKDAYS: [(chrono::Weekday, &str, &str); 7] = [
    (chrono::Weekday::Mon, "Mon", "Monday"),
    (chrono::Weekday::Tue, "Tue", "Tuesday"),
    (chrono::Weekday::Wed, "Wed", "Wednesday"),
    (chrono::Weekday::Thu, "Thu", "Thursday"),
    (chrono::Weekday::Fri, "Fri", "Friday"),
    (chrono::Weekday::Sat, "Sat", "Saturday"),
    (chrono::Weekday::Sun, "Sun", "Sunday"),
];

/// When the next automatic update after `now` starts, in the company's time zone; `None` when
/// it is off.
fn next_auto(
    auto: &AutoUpdate,
    tz: &nsync_core::TimeZone,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let slot = auto.next_slot(tz.tz(), now)?;
    Some(
        slot.starts_at
            .with_timezone(&tz.tz())
            .format("%A %-d %B %Y, %H:%M %Z")
            .to_string(),
    )
}

#[derive(Template)]
#[template(path = "integration.html")]
struct PageTpl {
    chrome: Chrome,
    integration: Option<IntegrationInfo>,
    runs: Vec<RunRow>,
    /// The newest run when it waits for a confirmation: its id and the deactivations it holds.
    held: Option<(i64, u32)>,
    /// The last import or update.
    last: Option<RunRow>,
}

async fn page(State(state): State<AppState>, Viewer(who): Viewer) -> Result<Response, PageError> {
    who.require_admin()?;
    let integration = company_integration(&state, &who).await?;
    let company = state.store().company(who.company).await?;
    let recent = match &integration {
        Some(i) => state.store().runs_that_matter(i.id, None, 20).await?,
        None => Vec::new(),
    };
    let scheduled_failure = recent
        .iter()
        .find(|r| r.trigger == RunTrigger::Schedule)
        .filter(|r| r.status == nsync_core::RunStatus::Failed)
        .map(|r| {
            let at = chrono::DateTime::from_timestamp_millis(r.started_at_ms)
                .map(|t| {
                    t.with_timezone(&company.time_zone.tz())
                        .format("%Y-%m-%d %H:%M %Z")
                        .to_string()
                })
                .unwrap_or_default();
            (at, r.error.clone().unwrap_or_default())
        });
    let names = RunNames::of(&state, &who, &recent).await?;
    // The newest run, when it waits for a confirmation: the page says so at the top.
    let held = recent
        .first()
        .filter(|r| r.status == nsync_core::RunStatus::NeedsConfirmation)
        .map(|r| (r.id.get(), r.counts.deactivated));
    let last = recent
        .iter()
        .find(|r| r.kind != nsync_core::RunKind::Refresh)
        .cloned();
    let last = last.map(|r| run_rows(vec![r], &names).remove(0));
    let runs = run_rows(recent.into_iter().take(5).collect(), &names);
    let now = state.engine().now();
    let info = integration.map(|i| {
        let auto = &i.settings.auto_update;
        IntegrationInfo {
            account: i.account.as_str().to_owned(),
            auth_kind: match i.auth_kind {
                nsync_core::AuthKind::Tba => "token-based authentication",
                nsync_core::AuthKind::OAuth2 => "OAuth 2.0 (client credentials with a certificate)",
            },
            subsidiary: i.subsidiary.map(|s| s.get()),
            include_prospects: i.settings.include_prospects,
            include_leads: i.settings.include_leads,
            auto_enabled: auto.enabled,
            auto_days: WEEKDAYS
                .iter()
                .map(|(day, value, name)| (*value, *name, auto.weekdays.contains(*day)))
                .collect(),
            auto_at: auto.at.to_string(),
            time_zone: company.time_zone.as_str().to_owned(),
            next_auto: next_auto(auto, &company.time_zone, now),
            scheduled_failure,
        }
    });
    Ok(render(&PageTpl {
        chrome: Chrome::new(&who, "integration"),
        integration: info,
        runs,
        held,
        last,
    }))
}

pub(super) fn message(ok: bool, message: impl Into<String>) -> Response {
    render(&MessageTpl {
        ok,
        message: message.into(),
    })
}

async fn test(State(state): State<AppState>, Viewer(who): Viewer) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let result = run_connection_test(&state, &integration).await;
    Ok(message(result.ok, result.message))
}

#[derive(Template)]
#[template(
    source = "<ul>{% for s in subsidiaries %}<li>{{ s.0 }}: {{ s.1 }}{% if s.2 %} <span class=\"badge inactive\">inactive</span>{% endif %}</li>{% else %}<li class=\"muted\">This account has no subsidiaries.</li>{% endfor %}</ul>",
    ext = "html"
)]
struct SubsidiariesTpl {
    subsidiaries: Vec<(i64, String, bool)>,
}

async fn subsidiaries(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    match state.engine().subsidiaries(integration.id).await {
        Ok(list) => Ok(render(&SubsidiariesTpl {
            subsidiaries: list
                .into_iter()
                .map(|s| (s.id.0, s.full_name.unwrap_or(s.name), s.is_inactive))
                .collect(),
        })),
        Err(err) => Ok(message(false, ApiError::from(err).public_message())),
    }
}

/// Token-based authentication's four fields, as the connection forms send them.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TbaForm {
    consumer_key: String,
    consumer_secret: String,
    token_id: String,
    token_secret: String,
}

impl TbaForm {
    fn credentials(self) -> Result<nsync_core::Credentials, ApiError> {
        CredentialsInput::Tba {
            consumer_key: self.consumer_key,
            consumer_secret: self.consumer_secret,
            token_id: self.token_id,
            token_secret: self.token_secret,
        }
        .validate()
    }
}

/// The form that connects an account.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CreateForm {
    account_id: String,
    subsidiary_id: String,
    #[serde(flatten)]
    tba: TbaForm,
}

/// The automatic update's form: on or off, the ticked weekdays, the local time.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ScheduleForm {
    enabled: Option<String>,
    day: Vec<String>,
    at: String,
}

async fn credentials(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PageForm(form): PageForm<TbaForm>,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let credentials = form.credentials()?;
    ops::integrations::replace_credentials(
        state.engine(),
        &who.actor(),
        &integration,
        &credentials,
    )
    .await?;
    Ok(message(
        true,
        "Credentials saved. Click Test connection to check them.",
    ))
}

async fn create(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PageForm(form): PageForm<CreateForm>,
) -> Result<Response, PageError> {
    who.require_admin()?;
    let subsidiary = match form.subsidiary_id.trim() {
        "" => None,
        text => Some(text.parse::<SubsidiaryId>()?),
    };
    let new = NewIntegration {
        company: who.company,
        account: crate::parse_account_id(&form.account_id)?,
        subsidiary,
        credentials: form.tba.credentials()?,
        settings: Default::default(),
        field_name: "Customer / Project".to_owned(),
    };
    ops::integrations::register(state.engine(), &who.actor(), &new).await?;
    let mut response = message(true, "Connected.");
    response
        .headers_mut()
        .insert("hx-refresh", HeaderValue::from_static("true"));
    Ok(response)
}

/// Saves the automatic update's schedule from the form: on or off, weekdays, local time.
async fn schedule(
    State(state): State<AppState>,
    Viewer(who): Viewer,
    PageForm(form): PageForm<ScheduleForm>,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let days = form
        .day
        .iter()
        .map(|v| {
            WEEKDAYS
                .iter()
                .find(|(_, value, _)| value == v)
                .map(|(day, _, _)| *day)
                .ok_or_else(|| ApiError::Invalid(format!("{v:?} is not a weekday")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let auto_update = AutoUpdate {
        enabled: form.enabled.is_some(),
        weekdays: Weekdays::new(days)?,
        at: LocalTime::parse(&form.at)?,
    };
    let mut settings = integration.settings.clone();
    settings.auto_update = auto_update;
    let saved =
        ops::integrations::save_settings(state.engine(), &who.actor(), &integration, settings)
            .await?;
    let company = state.store().company(who.company).await?;
    let auto = &saved.settings.auto_update;
    Ok(
        match next_auto(auto, &company.time_zone, state.engine().now()) {
            Some(next) => message(
                true,
                format!("Saved. The next automatic update starts {next}."),
            ),
            None => message(true, "Saved. The automatic update is off."),
        },
    )
}

#[derive(Template)]
#[template(
    source = "<p class=\"ok\">Paste this secret into NetSuite (Setup &gt; Company &gt; API Secrets) now: it is not shown again, and it replaces any former one.</p><p><code>{{ secret }}</code></p><p>Notifications go to <code>{{ path }}</code> on this server.</p>",
    ext = "html"
)]
struct SecretTpl<'a> {
    secret: &'a str,
    path: String,
}

/// Makes a new notification secret and shows it this once.
async fn notification_secret(
    State(state): State<AppState>,
    Viewer(who): Viewer,
) -> Result<Response, PageError> {
    let integration = require_integration(&state, &who).await?;
    let secret =
        ops::integrations::new_notification_secret(state.engine(), &who.actor(), &integration)
            .await?;
    Ok(render(&SecretTpl {
        secret: secret.expose_secret(),
        path: format!("/hooks/netsuite/{}", integration.id),
    }))
}
