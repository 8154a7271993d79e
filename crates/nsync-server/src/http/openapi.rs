//! The OpenAPI 3.1 document of `/api/v1`, built from the one table the router is built from
//! ([`super::OPERATIONS`]): a route cannot be served without being documented, nor documented
//! without being served. The integration tests call every operation of the table on a live
//! server.

use axum::routing::MethodRouter;
use serde_json::{json, Map, Value};

use super::AppState;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Any signed-in user or token of the company.
    Member,
    /// Administrators only.
    Admin,
}

/// One operation of the API: a route of the router and an operation of the document.
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
    /// Its handler, routed under `method`.
    pub route: fn() -> MethodRouter<AppState>,
}

/// One row of the route table: `op!(post "/tokens" => create_token, "createApiToken",
/// "summary", Admin, 201)`. The method names both the routing function and the document's
/// method, so the two cannot disagree.
macro_rules! op {
    ($method:ident $path:literal => $handler:path, $id:literal, $summary:literal, $access:ident, $success:literal) => {
        $crate::http::openapi::Operation {
            method: stringify!($method),
            path: $path,
            id: $id,
            summary: $summary,
            access: $crate::http::openapi::Access::$access,
            success: $success,
            route: || ::axum::routing::$method($handler),
        }
    };
}
pub(crate) use op;

/// The document of `operations`.
pub fn document_value(operations: &[Operation]) -> Value {
    let mut paths = Map::new();
    for operation in operations {
        let mut parameters = Vec::new();
        if operation.path.contains("{id}") {
            parameters.push(json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}));
        }
        let role = match operation.access {
            Access::Member => "Any user or token of the company.",
            Access::Admin => "Administrators only.",
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
