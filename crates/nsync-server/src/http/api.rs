//! The JSON API under `/api/v1`. Every route and its operationId is also listed in
//! [`super::openapi::OPERATIONS`]; a test keeps the two in step.

pub(crate) mod account;
pub(crate) mod integrations;
pub(crate) mod me;
pub(crate) mod options;
mod runs;
mod settings;

use std::str::FromStr;

use axum::routing::{delete, get, post, put};
use axum::Router;
use nsync_core::{
    CustomFieldId, IntegrationId, OptionId, RecordId, Run, RunId, StoredOption, UpstreamKey,
    UpstreamKind,
};
use nsync_store::{CustomField, Integration, NewAuditEntry};

use super::auth::Principal;
use super::{ApiError, AppState};

pub(crate) use super::extract::{ApiJson, ApiQuery, PathId};

/// The `/api/v1` routes.
pub(super) fn router() -> Router<AppState> {
    use account::*;
    use integrations::*;
    use me::*;
    use options::*;
    use runs::*;
    Router::new()
        .route("/openapi.json", get(super::openapi::document))
        .route("/integrations", post(create_integration))
        .route(
            "/integrations/{id}",
            get(get_integration).patch(update_integration),
        )
        .route("/integrations/{id}/credentials", put(set_credentials))
        .route("/integrations/{id}/test", post(test_connection))
        .route("/integrations/{id}/subsidiaries", get(list_subsidiaries))
        .route("/integrations/{id}/candidates", get(list_candidates))
        .route(
            "/integrations/{id}/candidates/refresh",
            post(refresh_candidates),
        )
        .route("/integrations/{id}/import", post(import_records))
        .route("/integrations/{id}/update", post(start_update))
        .route("/integrations/{id}/runs", get(list_runs))
        .route(
            "/integrations/{id}/notification-secret",
            post(create_notification_secret),
        )
        .route("/runs/{id}", get(get_run))
        .route("/runs/{id}/changes", get(list_run_changes))
        .route("/runs/{id}/confirm", post(confirm_run))
        .route("/fields", get(list_fields))
        .route(
            "/fields/{id}/options",
            get(list_options).post(create_option),
        )
        .route("/fields/{id}/options/search", get(search_options))
        .route("/options/{id}", get(get_option))
        .route("/options/{id}/remove", post(remove_option))
        .route("/options/{id}/restore", post(restore_option))
        .route("/options/{id}/rename", post(rename_option))
        .route("/options/{id}/deactivate", post(deactivate_option))
        .route("/audit", get(list_audit_events))
        .route("/tokens", post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/sessions/revoke", post(revoke_sessions))
        .route("/me/password", post(change_my_password))
}

/// An id from a path or a body: one that cannot exist, or is not written the one way ids are
/// written (`12`, not `012` or `+12`), is simply not found.
pub(crate) fn parse_id<T: FromStr>(text: &str, what: &'static str) -> Result<T, ApiError> {
    if !super::extract::canonical_id(text) {
        return Err(ApiError::NotFound(what));
    }
    text.parse().map_err(|_| ApiError::NotFound(what))
}

/// `customer:12` or `project:34`.
pub(crate) fn parse_key(text: &str) -> Result<UpstreamKey, ApiError> {
    let bad = || {
        ApiError::Invalid(format!(
            "{text:?} is not a record key (customer:ID or project:ID)"
        ))
    };
    let (kind, id) = text.split_once(':').ok_or_else(bad)?;
    Ok(UpstreamKey {
        kind: UpstreamKind::parse(kind).map_err(|_| bad())?,
        id: RecordId::from_str(id).map_err(|_| bad())?,
    })
}

/// `customer:12`.
pub(crate) fn key_text(key: UpstreamKey) -> String {
    format!("{}:{}", key.kind, key.id)
}

/// The integration, if it is the caller's.
pub(crate) async fn owned_integration(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<Integration, ApiError> {
    let id: IntegrationId = parse_id(id, "integration")?;
    let integration = state.store().integration(id).await?;
    who.owns(integration.company, "integration")?;
    Ok(integration)
}

/// The run, if it belongs to one of the caller's integrations.
pub(crate) async fn owned_run(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<Run, ApiError> {
    let id: RunId = parse_id(id, "run")?;
    let run = state.store().run(id).await?;
    let integration = state.store().integration(run.integration).await?;
    who.owns(integration.company, "run")?;
    Ok(run)
}

/// The custom field, if it is the caller's.
pub(crate) async fn owned_field(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<CustomField, ApiError> {
    let id: CustomFieldId = parse_id(id, "custom field")?;
    let field = state.store().field(id).await?;
    who.owns(field.company, "custom field")?;
    Ok(field)
}

/// The option, if its field is the caller's.
pub(crate) async fn owned_option(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<StoredOption, ApiError> {
    let id: OptionId = parse_id(id, "option")?;
    let option = state.store().option(id).await?;
    let field = state.store().field(option.field).await?;
    who.owns(field.company, "option")?;
    Ok(option)
}

/// Removes an option here (with everything below it) or restores it, as an admin, and audits
/// it; the API and the pages share this. Returns the option and how many options changed mark.
pub(crate) async fn set_removed_here(
    state: &AppState,
    who: &Principal,
    id: &str,
    removed: bool,
) -> Result<(StoredOption, u64), ApiError> {
    let option = owned_option(state, who, id).await?;
    who.require_admin()?;
    let (marked, action) = if removed {
        (
            state.store().remove_option_here(option.id).await?,
            "remove_option",
        )
    } else {
        (
            state.store().restore_option_here(option.id).await?,
            "restore_option",
        )
    };
    let detail = serde_json::json!({ "marked": marked });
    audit(state, who, action, format!("option {}", option.id), detail).await?;
    Ok((option, marked))
}

/// Records an administrative action in the company's audit log.
pub(crate) async fn audit(
    state: &AppState,
    who: &Principal,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> Result<(), ApiError> {
    state
        .store()
        .append_audit(&NewAuditEntry {
            company: who.company,
            actor: who.user,
            action: action.to_owned(),
            target: Some(target),
            detail,
            at_ms: now_ms(),
        })
        .await?;
    Ok(())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Checks a free-text value: trimmed, not empty, at most `max` characters, no control
/// characters (except newlines where `multiline`).
pub(crate) fn text_field(
    name: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::Invalid(format!("{name} is required")));
    }
    if value.chars().count() > max {
        return Err(ApiError::Invalid(format!(
            "{name} is longer than {max} characters"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r')))
    {
        return Err(ApiError::Invalid(format!(
            "{name} contains control characters"
        )));
    }
    Ok(value.to_owned())
}
