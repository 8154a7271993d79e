//! Integrations: create, read, settings, credentials (write-only), connection test,
//! subsidiaries, the Import Customers list, Import and Update.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsync_core::planner::Selection;
use nsync_core::{
    Credentials, IntegrationSettings, RunCounts, RunStatus, RunTrigger, SubsidiaryId, UpstreamKey,
};
use nsync_store::{Integration, NewIntegration};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::settings::SettingsPatch;
use super::{key_text, owned_integration, parse_key, text_field, ApiJson, ApiQuery, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;
use crate::{
    CandidateQuery, CandidateStatus, ParentFilter, RefreshMode, RunOptions, RunReport, RunRequest,
};

/// Most changes a preview sends back (the counts are always complete).
const PREVIEW_CHANGES: usize = 1_000;
/// Most keys one import request may name.
const MAX_SELECTED: usize = 100_000;

/// An integration as the API shows it: never its credentials.
#[derive(Serialize)]
pub(crate) struct IntegrationView {
    id: i64,
    account_id: String,
    auth_kind: String,
    subsidiary_id: Option<i64>,
    field_id: i64,
    settings: IntegrationSettings,
}

impl From<&Integration> for IntegrationView {
    fn from(i: &Integration) -> Self {
        Self {
            id: i.id.get(),
            account_id: i.account.as_str().to_owned(),
            auth_kind: i.auth_kind.to_string(),
            subsidiary_id: i.subsidiary.map(|s| s.get()),
            field_id: i.field.get(),
            settings: i.settings.clone(),
        }
    }
}

/// Credentials as sent; they are sealed at once and never shown again.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum CredentialsInput {
    /// Token-based authentication.
    Tba {
        consumer_key: String,
        consumer_secret: String,
        token_id: String,
        token_secret: String,
    },
    /// OAuth 2.0 client credentials with a certificate.
    #[serde(rename = "oauth2")]
    OAuth2 {
        client_id: String,
        certificate_id: String,
        private_key_pem: String,
    },
}

impl CredentialsInput {
    pub(crate) fn validate(self) -> Result<Credentials, ApiError> {
        Ok(match self {
            Self::Tba {
                consumer_key,
                consumer_secret,
                token_id,
                token_secret,
            } => Credentials::Tba {
                consumer_key: text_field("consumer_key", &consumer_key, 512, false)?,
                consumer_secret: text_field("consumer_secret", &consumer_secret, 512, false)?
                    .into(),
                token_id: text_field("token_id", &token_id, 512, false)?,
                token_secret: text_field("token_secret", &token_secret, 512, false)?.into(),
            },
            Self::OAuth2 {
                client_id,
                certificate_id,
                private_key_pem,
            } => Credentials::OAuth2 {
                client_id: text_field("client_id", &client_id, 512, false)?,
                certificate_id: text_field("certificate_id", &certificate_id, 512, false)?,
                private_key_pem: text_field("private_key_pem", &private_key_pem, 16_384, true)?
                    .into(),
            },
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateIntegration {
    account_id: String,
    subsidiary_id: Option<i64>,
    credentials: CredentialsInput,
    #[serde(default)]
    settings: Option<SettingsPatch>,
    #[serde(default)]
    field_name: Option<String>,
}

pub(crate) async fn create_integration(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<CreateIntegration>,
) -> Result<Response, ApiError> {
    who.require_admin()?;
    let new = NewIntegration {
        company: who.company,
        account: crate::parse_account_id(&body.account_id)?,
        subsidiary: body.subsidiary_id.map(SubsidiaryId::new).transpose()?,
        credentials: body.credentials.validate()?,
        settings: body
            .settings
            .unwrap_or_default()
            .apply(&IntegrationSettings::default())
            .validate()?,
        field_name: match body.field_name {
            Some(name) => text_field("field_name", &name, 200, false)?,
            None => "Customer / Project".to_owned(),
        },
    };
    let id = ops::integrations::register(state.engine(), &who.actor(), &new).await?;
    let integration = state.store().integration(id).await?;
    Ok((
        StatusCode::CREATED,
        Json(IntegrationView::from(&integration)),
    )
        .into_response())
}

pub(crate) async fn get_integration(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<IntegrationView>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    Ok(Json(IntegrationView::from(&integration)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateIntegration {
    /// Only the settings named change.
    settings: SettingsPatch,
}

pub(crate) async fn update_integration(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateIntegration>,
) -> Result<Json<IntegrationView>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let settings = body.settings.apply(&integration.settings);
    let integration =
        ops::integrations::save_settings(state.engine(), &who.actor(), &integration, settings)
            .await?;
    Ok(Json(IntegrationView::from(&integration)))
}

pub(crate) async fn set_credentials(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<CredentialsInput>,
) -> Result<StatusCode, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let credentials = body.validate()?;
    ops::integrations::replace_credentials(
        state.engine(),
        &who.actor(),
        &integration,
        &credentials,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What "Test connection" answers: NetSuite's verdict in plain words.
#[derive(Serialize)]
pub(crate) struct ConnectionTest {
    pub ok: bool,
    pub message: String,
    pub account: Option<String>,
    pub one_world: Option<bool>,
    pub projects_enabled: Option<bool>,
    pub time_zone: Option<String>,
    pub warnings: Vec<String>,
}

pub(crate) async fn test_connection(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<ConnectionTest>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    Ok(Json(run_connection_test(&state, &integration).await))
}

/// Probes NetSuite with a fresh client; a refusal is an answer, not an error.
pub(crate) async fn run_connection_test(
    state: &AppState,
    integration: &Integration,
) -> ConnectionTest {
    match state.engine().probe(integration.id).await {
        Ok(facts) => {
            let ok = facts.permissions_ok && facts.projects_enabled;
            ConnectionTest {
                ok,
                message: if ok {
                    format!("Connected to NetSuite account {}.", facts.account)
                } else {
                    format!(
                        "Connected to NetSuite account {}, but: {}",
                        facts.account,
                        facts.warnings.join("; ")
                    )
                },
                account: Some(facts.account),
                one_world: Some(facts.one_world),
                projects_enabled: Some(facts.projects_enabled),
                time_zone: Some(facts.time_zone),
                warnings: facts.warnings,
            }
        }
        Err(err) => ConnectionTest {
            ok: false,
            message: ApiError::from(err).public_message(),
            account: None,
            one_world: None,
            projects_enabled: None,
            time_zone: None,
            warnings: Vec::new(),
        },
    }
}

#[derive(Serialize)]
pub(crate) struct SubsidiaryView {
    id: i64,
    name: String,
    full_name: Option<String>,
    parent_id: Option<i64>,
    inactive: bool,
}

pub(crate) async fn list_subsidiaries(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<serde_json::Value>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let subsidiaries: Vec<SubsidiaryView> = state
        .engine()
        .subsidiaries(integration.id)
        .await?
        .into_iter()
        .map(|s| SubsidiaryView {
            id: s.id.0,
            name: s.name,
            full_name: s.full_name,
            parent_id: s.parent.map(|p| p.0),
            inactive: s.is_inactive,
        })
        .collect();
    Ok(Json(json!({ "subsidiaries": subsidiaries })))
}

#[derive(Deserialize, Default)]
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

#[derive(Serialize)]
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
}

#[derive(Serialize)]
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

#[derive(Deserialize, Default)]
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
#[derive(Serialize)]
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

/// A started run: its id, to follow with getRun.
pub(crate) fn accepted(run: nsync_core::RunId) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "run_id": run.get(), "status": "running" })),
    )
        .into_response()
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

#[derive(Deserialize, Default)]
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

/// Makes a new notification secret for NetSuite's user-event script (replacing any former one,
/// so a leaked secret is revoked by making another) and shows it this once.
pub(crate) async fn create_notification_secret(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let secret =
        ops::integrations::new_notification_secret(state.engine(), &who.actor(), &integration)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "secret": secret.expose_secret(),
            "path": format!("/hooks/netsuite/{}", integration.id),
        })),
    ))
}
