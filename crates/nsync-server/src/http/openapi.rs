//! The OpenAPI 3.1 document of `/api/v1`, built from the one table the router is built from
//! ([`super::OPERATIONS`]): a route cannot be served without being documented, nor documented
//! without being served. The integration tests call every operation of the table on a live
//! server.

use axum::routing::MethodRouter;
use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
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
    /// The schema of its JSON request body, if it takes one.
    pub body: Option<SchemaFn>,
    /// The schema of each JSON answer, by status.
    pub answers: &'static [(u16, SchemaFn)],
}

/// One row of the route table: `op!(post "/tokens" => create_token, "createApiToken",
/// "summary", Admin, 201, [TokenBody -> 201 TokenCreated])`, the request body's type (`_` for
/// none) and the type of each JSON answer by status. The method names both the routing
/// function and the document's method, so the two cannot disagree; the schemas are generated
/// from the types serde reads and writes.
macro_rules! op {
    ($method:ident $path:literal => $handler:path, $id:literal, $summary:literal, $access:ident, $success:literal,
     [$body:tt -> $($status:literal $answer:ty),*]) => {
        $crate::http::openapi::Operation {
            method: stringify!($method),
            path: $path,
            id: $id,
            summary: $summary,
            access: $crate::http::openapi::Access::$access,
            success: $success,
            route: || ::axum::routing::$method($handler),
            body: $crate::http::openapi::schema_of!($body),
            answers: &[$(($status, |g| g.subschema_for::<$answer>())),*],
        }
    };
}
pub(crate) use op;

/// The schema function of a body type, or `None` for `_`.
macro_rules! schema_of {
    (_) => {
        None
    };
    ($ty:ty) => {
        Some(|g| g.subschema_for::<$ty>())
    };
}
pub(crate) use schema_of;

/// Writes a type's schema into a generator (a `$ref` to a component, for a named type).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The document of `operations`.
pub fn document_value(operations: &[Operation]) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas/".into())
        .into_generator();
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
        for (status, answer) in operation.answers {
            let schema = answer(&mut generator);
            responses.insert(
                status.to_string(),
                json!({"description": "Success", "content": {"application/json": {"schema": schema}}}),
            );
        }
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
        if let Some(body) = operation.body {
            let schema = body(&mut generator);
            entry["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": schema}}});
        } else if matches!(operation.method, "post" | "put" | "patch") {
            // No body is read.
            entry["requestBody"] = json!({"required": false, "description": "No body is read: send nothing, or {}.", "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}}});
        }
        let path = paths
            .entry(format!("/api/v1{}", operation.path))
            .or_insert_with(|| json!({}));
        path[operation.method] = entry;
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "Error".to_owned(),
        json!({
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                "code": {"type": "string", "enum": super::error::ApiError::CODES},
                "message": {"type": "string"}
            }}}
        }),
    );
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
            "schemas": schemas
        }
    })
}
