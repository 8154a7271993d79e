//! The JSON API under `/api/v1`. Every route and its operationId is also listed in
//! [`super::openapi::OPERATIONS`]; a test keeps the two in step.

pub(crate) mod account;
pub(crate) mod candidates;
pub(crate) mod imports;
pub(crate) mod integrations;
pub(crate) mod me;
pub(crate) mod options;
mod runs;
mod settings;

use std::str::FromStr;

use axum::routing::{delete, get, post, put};
use axum::Router;
use nsync_core::{RecordId, Run, StoredOption, UpstreamKey, UpstreamKind};
use nsync_store::{CustomField, Integration};

use super::auth::Principal;
use super::{ApiError, AppState};
use crate::ops;

pub(crate) use super::extract::{ApiJson, ApiQuery, PathId};
pub(crate) use crate::ops::text_field;

/// The `/api/v1` routes.
pub(super) fn router() -> Router<AppState> {
    use account::*;
    use candidates::*;
    use imports::*;
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

// The application layer's lookups, for the handlers: each refuses what is not the caller's.

/// The integration, if it is the caller's.
pub(crate) async fn owned_integration(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<Integration, ApiError> {
    Ok(ops::integrations::owned(state.engine(), &who.actor(), id).await?)
}

/// The run, if it belongs to one of the caller's integrations.
pub(crate) async fn owned_run(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<Run, ApiError> {
    Ok(ops::runs::owned(state.engine(), &who.actor(), id).await?)
}

/// The custom field, if it is the caller's.
pub(crate) async fn owned_field(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<CustomField, ApiError> {
    Ok(ops::options::owned_field(state.engine(), &who.actor(), id).await?)
}

/// The option, if its field is the caller's.
pub(crate) async fn owned_option(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<StoredOption, ApiError> {
    Ok(ops::options::owned(state.engine(), &who.actor(), id).await?)
}
