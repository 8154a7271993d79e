//! The OpenAPI 3.1 document of `/api/v1`, built from one table of operations.
//!
//! The document is generated from [`OPERATIONS`] rather than from annotations on each handler;
//! the integration tests call every operation of the table on a live server, so a route that is
//! listed but not served (or served under another method) fails the build's tests.

use axum::Json;
use serde_json::{json, Map, Value};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in user or token of the company.
    Member,
    /// Administrators only.
    Admin,
}

/// One operation of the API.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// Path under `/api/v1`, with `{id}` parameters.
    pub path: &'static str,
    /// The stable operationId.
    pub id: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Status of success.
    pub success: u16,
}

const fn op(
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    access: Access,
    success: u16,
) -> Operation {
    Operation {
        method,
        path,
        id,
        summary,
        access,
        success,
    }
}

use Access::{Admin, Member};

/// Every operation of `/api/v1`.
pub const OPERATIONS: &[Operation] = &[
    op("post", "/integrations", "createIntegration", "Connect a NetSuite account (credentials are sealed at once and never returned)", Admin, 201),
    op("get", "/integrations/{id}", "getIntegration", "An integration and its settings (never its credentials)", Admin, 200),
    op("patch", "/integrations/{id}", "updateIntegration", "Replace an integration's settings", Admin, 200),
    op("put", "/integrations/{id}/credentials", "setIntegrationCredentials", "Replace the credentials (write-only)", Admin, 204),
    op("post", "/integrations/{id}/test", "testIntegrationConnection", "Ask NetSuite whether the credentials work; answers in plain words", Admin, 200),
    op("get", "/integrations/{id}/subsidiaries", "listSubsidiaries", "The subsidiaries of the account", Admin, 200),
    op("get", "/integrations/{id}/candidates", "listImportCandidates", "The Import Customers list: a tree level (parent=top|customer:ID|project:ID), search, status filter, keyset pages (after)", Admin, 200),
    op("post", "/integrations/{id}/candidates/refresh", "refreshCandidates", "Reads NetSuite's changes into the Import Customers list (a POST: it changes state); then list it with listImportCandidates", Admin, 204),
    op("post", "/integrations/{id}/import", "importRecords", "Import records, subtrees, all, or all matching a search; preview=true answers what would change", Admin, 202),
    op("post", "/integrations/{id}/update", "startUpdate", "Update the imported options from NetSuite (preview, full)", Admin, 202),
    op("get", "/integrations/{id}/runs", "listRuns", "Runs of an integration, newest first", Admin, 200),
    op("post", "/integrations/{id}/notification-secret", "createNotificationSecret", "Make a new secret for NetSuite notifications (replaces the former one; shown this once)", Admin, 201),
    op("get", "/runs/{id}", "getRun", "A run and its status", Admin, 200),
    op("get", "/runs/{id}/changes", "listRunChanges", "A page of a run's change list", Admin, 200),
    op("post", "/runs/{id}/confirm", "confirmRun", "Apply an update held by the mass-deactivation guard", Admin, 200),
    op("get", "/fields", "listCustomFields", "The company's custom fields", Member, 200),
    op("get", "/fields/{id}/options", "listOptions", "Children of an option (top level without parent), a keyset page at a time", Member, 200),
    op("get", "/fields/{id}/options/search", "searchOptions", "Typeahead over active options, with full path labels", Member, 200),
    op("post", "/fields/{id}/options", "createOption", "Add an option by hand (manual fields only)", Admin, 201),
    op("get", "/options/{id}", "getOption", "An option in any state, with its full path", Member, 200),
    op("post", "/options/{id}/remove", "removeOption", "Remove an option (and what is below it) here; NetSuite is not touched", Admin, 200),
    op("post", "/options/{id}/restore", "restoreOption", "Bring back an option removed here", Admin, 200),
    op("post", "/options/{id}/rename", "renameOption", "Rename an option (manual fields only)", Admin, 200),
    op("post", "/options/{id}/deactivate", "deactivateOption", "Deactivate an option (manual fields only)", Admin, 200),
    op("get", "/audit", "listAuditEvents", "The company's audit log, newest first", Admin, 200),
    op("post", "/tokens", "createApiToken", "Create an API token; its secret is shown once", Admin, 201),
    op("delete", "/tokens/{id}", "revokeApiToken", "Revoke an API token", Admin, 204),
    op("post", "/me/password", "changeMyPassword", "Change your own password (current_password, new_password of 12 to 128 characters); ends your other sessions in every process and, for a session, reissues this one (new cookie and CSRF token)", Member, 204),
    op("post", "/sessions/revoke", "revokeSessions", "Sign out everywhere: ends every session of every user of the company, in every process", Admin, 204),
];

/// The document.
pub fn document_value() -> Value {
    let mut paths = Map::new();
    for operation in OPERATIONS {
        let mut parameters = Vec::new();
        if operation.path.contains("{id}") {
            parameters.push(json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}));
        }
        let role = match operation.access {
            Member => "Any user or token of the company.",
            Admin => "Administrators only.",
        };
        let mut responses = Map::new();
        responses.insert(
            operation.success.to_string(),
            json!({"description": "Success"}),
        );
        for (status, what) in [
            ("401", "Not signed in"),
            ("403", "Not allowed for this role"),
            ("404", "Not found in your company"),
            ("409", "Refused by a rule, or busy"),
            ("422", "Invalid request"),
            ("429", "Too many failed attempts"),
            ("502", "NetSuite refused or failed"),
        ] {
            responses.insert(status.to_owned(), json!({"description": what, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
        }
        let mut entry = json!({
            "operationId": operation.id,
            "summary": operation.summary,
            "description": role,
            "parameters": parameters,
            "responses": responses,
        });
        if matches!(operation.method, "post" | "put" | "patch") {
            entry["requestBody"] = json!({"required": false, "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        let path = paths
            .entry(format!("/api/v1{}", operation.path))
            .or_insert_with(|| json!({}));
        path[operation.method] = entry;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "nsync API", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "security": [{"bearer": []}, {"session": []}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "nsync_session"}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "enum": super::error::ApiError::CODES},
                        "message": {"type": "string"}
                    }}}
                }
            }
        }
    })
}

/// `GET /api/v1/openapi.json`.
pub(crate) async fn document() -> Json<Value> {
    Json(document_value())
}
