//! The JSON API under `/api/v1`: the route table [`OPERATIONS`] (each route with its
//! operationId, summary and access, from which the OpenAPI document is generated) and the
//! lookups the handlers share.

pub(crate) mod account;
pub(crate) mod candidates;
mod feed;
pub(crate) mod imports;
pub(crate) mod integrations;
pub(crate) mod me;
pub(crate) mod options;
mod runs;
mod settings;
mod webhooks;

use std::str::FromStr;

use axum::routing::get;
use axum::{Json, Router};
use nsync_core::{RecordId, Run, StoredOption, UpstreamKey, UpstreamKind};
use nsync_store::{CustomField, Integration};

use super::auth::Principal;
use super::openapi::{op, Operation};
use super::{ApiError, AppState};
use crate::ops;

pub(crate) use super::extract::{ApiJson, ApiQuery, PathId};
pub(crate) use crate::ops::text_field;

/// Every operation of `/api/v1`: the router and the OpenAPI document are both built from it.
pub const OPERATIONS: &[Operation] = {
    use account::*;
    use candidates::*;
    use feed::*;
    use imports::*;
    use integrations::*;
    use me::*;
    use options::*;
    use runs::*;
    use webhooks::*;
    &[
        op!(post "/integrations" => create_integration, "createIntegration", "Connect a NetSuite account (credentials are sealed at once and never returned)", Admin, 201, [CreateIntegration -> 201 IntegrationView]),
        op!(get "/integrations/{id}" => get_integration, "getIntegration", "An integration and its settings (never its credentials)", Admin, 200, [_ -> 200 IntegrationView]),
        op!(patch "/integrations/{id}" => update_integration, "updateIntegration", "Replace an integration's settings", Admin, 200, [UpdateIntegration -> 200 IntegrationView]),
        op!(put "/integrations/{id}/credentials" => set_credentials, "setIntegrationCredentials", "Replace the credentials (write-only)", Admin, 204, [CredentialsInput -> ]),
        op!(post "/integrations/{id}/test" => test_connection, "testIntegrationConnection", "Ask NetSuite whether the credentials work; answers in plain words", Admin, 200, [_ -> 200 ConnectionTest]),
        op!(get "/integrations/{id}/subsidiaries" => list_subsidiaries, "listSubsidiaries", "The subsidiaries of the account", Admin, 200, [_ -> 200 SubsidiariesView]),
        op!(get "/integrations/{id}/candidates" => list_candidates, "listImportCandidates", "The Import Customers list: a tree level (parent=top|customer:ID|project:ID), search, status filter, keyset pages (after)", Admin, 200, [_ -> 200 CandidatePageView]),
        op!(post "/integrations/{id}/candidates/refresh" => refresh_candidates, "refreshCandidates", "Reads NetSuite's changes into the Import Customers list (a POST: it changes state); then list it with listImportCandidates", Admin, 204, [_ -> ]),
        op!(post "/integrations/{id}/import" => import_records, "importRecords", "Import records, subtrees, all, or all matching a search; preview=true answers what would change", Admin, 202, [ImportBody -> 202 RunStarted, 200 ReportView]),
        op!(post "/integrations/{id}/update" => start_update, "startUpdate", "Update the imported options from NetSuite (preview, full)", Admin, 202, [UpdateBody -> 202 RunStarted, 200 ReportView]),
        op!(get "/integrations/{id}/runs" => list_runs, "listRuns", "Runs of an integration, newest first", Admin, 200, [_ -> 200 RunsPage]),
        op!(post "/integrations/{id}/notification-secret" => create_notification_secret, "createNotificationSecret", "Make a new secret for NetSuite notifications (replaces the former one; shown this once)", Admin, 201, [_ -> 201 NotificationSecret]),
        op!(get "/runs/{id}" => get_run, "getRun", "A run and its status", Admin, 200, [_ -> 200 nsync_core::Run]),
        op!(get "/runs/{id}/changes" => list_run_changes, "listRunChanges", "A page of a run's change list", Admin, 200, [_ -> 200 ChangesPage]),
        op!(post "/runs/{id}/confirm" => confirm_run, "confirmRun", "Apply an update held by the mass-deactivation guard", Admin, 200, [_ -> 200 ReportView]),
        op!(post "/runs/{id}/discard" => discard_run, "discardRun", "Discard an update held by the mass-deactivation guard (nothing of it is applied)", Admin, 200, [_ -> 200 Run]),
        op!(get "/fields" => list_fields, "listCustomFields", "The company's custom fields", Member, 200, [_ -> 200 FieldsView]),
        op!(get "/fields/{id}" => get_field, "getCustomField", "A custom field, with its change feed's current cursor (changes_cursor)", Member, 200, [_ -> 200 FieldDetailView]),
        op!(get "/fields/{id}/changes" => list_field_changes, "listFieldChanges", "The field's change feed after a cursor, in commit order; 410 cursor_expired when the entries after it were pruned (re-read the options and start from changes_cursor)", Member, 200, [_ -> 200 FieldChangesPage]),
        op!(get "/fields/{id}/options" => list_options, "listOptions", "Children of an option (top level without parent), a keyset page at a time", Member, 200, [_ -> 200 OptionsPage]),
        op!(get "/fields/{id}/options/search" => search_options, "searchOptions", "Typeahead over active options, with full path labels", Member, 200, [_ -> 200 HitsView]),
        op!(post "/fields/{id}/options" => create_option, "createOption", "Add an option by hand (manual fields only)", Admin, 201, [NameBody -> 201 OptionView]),
        op!(get "/options/{id}" => get_option, "getOption", "An option in any state, with its full path", Member, 200, [_ -> 200 OptionView]),
        op!(post "/options/{id}/remove" => remove_option, "removeOption", "Remove an option (and what is below it) here; NetSuite is not touched", Admin, 200, [_ -> 200 Marked]),
        op!(post "/options/{id}/restore" => restore_option, "restoreOption", "Bring back an option removed here", Admin, 200, [_ -> 200 Marked]),
        op!(post "/options/{id}/rename" => rename_option, "renameOption", "Rename an option (manual fields only)", Admin, 200, [NameBody -> 200 OptionView]),
        op!(post "/options/{id}/deactivate" => deactivate_option, "deactivateOption", "Deactivate an option (manual fields only)", Admin, 200, [_ -> 200 OptionView]),
        op!(post "/webhooks" => create_webhook, "createWebhook", "Register a webhook endpoint for event types; its signing secret is shown this once", Admin, 201, [CreateWebhook -> 201 WebhookCreated]),
        op!(get "/webhooks" => list_webhooks, "listWebhooks", "The company's webhook endpoints (never their secrets)", Admin, 200, [_ -> 200 WebhooksView]),
        op!(get "/webhooks/{id}" => get_webhook, "getWebhook", "A webhook endpoint, and why it is disabled when it is", Admin, 200, [_ -> 200 WebhookView]),
        op!(delete "/webhooks/{id}" => delete_webhook, "deleteWebhook", "Delete a webhook endpoint and its delivery log", Admin, 204, [_ -> ]),
        op!(post "/webhooks/{id}/rotate-secret" => rotate_webhook_secret, "rotateWebhookSecret", "A new signing secret, shown this once; the former one also signs for 24 hours", Admin, 200, [_ -> 200 WebhookCreated]),
        op!(post "/webhooks/{id}/enable" => enable_webhook, "enableWebhook", "Enable an endpoint again after it was disabled; its pending deliveries go out in order", Admin, 200, [_ -> 200 WebhookView]),
        op!(get "/webhooks/{id}/deliveries" => list_webhook_deliveries, "listWebhookDeliveries", "The endpoint's delivery log, newest first: status, answer code, attempts, next try", Admin, 200, [_ -> 200 DeliveriesPage]),
        op!(post "/webhooks/{id}/resend" => resend_webhook_delivery, "resendWebhookDelivery", "Send a delivery's event again, behind what is pending", Admin, 202, [ResendBody -> 202 Resent]),
        op!(get "/audit" => list_audit_events, "listAuditEvents", "The company's audit log, newest first", Admin, 200, [_ -> 200 AuditPage]),
        op!(post "/tokens" => create_token, "createApiToken", "Create an API token; its secret is shown once", Admin, 201, [TokenBody -> 201 TokenCreated]),
        op!(delete "/tokens/{id}" => revoke_token, "revokeApiToken", "Revoke an API token", Admin, 204, [_ -> ]),
        op!(post "/me/password" => change_my_password, "changeMyPassword", "Change your own password (current_password, new_password of 12 to 128 characters); ends your other sessions in every process and, for a session, reissues this one (new cookie and CSRF token)", Member, 204, [PasswordChange -> ]),
        op!(post "/sessions/revoke" => revoke_sessions, "revokeSessions", "Sign out everywhere: ends every session of every user of the company, in every process", Admin, 204, [_ -> ]),
    ]
};

/// The `/api/v1` routes, and the document at `/openapi.json`.
pub(super) fn router() -> Router<AppState> {
    let document = || async { Json(super::openapi::document_value(OPERATIONS)) };
    OPERATIONS.iter().fold(
        Router::new().route("/openapi.json", get(document)),
        |router, operation| router.route(operation.path, (operation.route)()),
    )
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
