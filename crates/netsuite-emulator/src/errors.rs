//! NetSuite's error envelope, and the one place emulator errors become HTTP answers.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The detail NetSuite sends with every 401.
pub const INVALID_LOGIN_DETAIL: &str = "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.";

/// A NetSuite REST error: `{type, title, status, o:errorDetails: [{detail, o:errorCode, ...}]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NsError {
    /// HTTP status.
    pub status: StatusCode,
    /// `o:errorCode` of the single detail.
    pub code: &'static str,
    /// Human text.
    pub detail: String,
    /// `o:errorQueryParam`, e.g. `q`, `limit`, `offset`.
    pub query_param: Option<&'static str>,
    /// `WWW-Authenticate` header (401s).
    pub www_authenticate: Option<String>,
    /// Top-level `o:errorCode` (only NetSuite's 429 carries one).
    pub top_code: Option<&'static str>,
}

impl NsError {
    /// An error with one detail.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            query_param: None,
            www_authenticate: None,
            top_code: None,
        }
    }

    /// 400 `INVALID_PARAMETER` about a query parameter.
    pub fn invalid_parameter(param: &'static str, detail: impl Into<String>) -> Self {
        Self {
            query_param: Some(param),
            ..Self::new(StatusCode::BAD_REQUEST, "INVALID_PARAMETER", detail)
        }
    }

    /// 401 `INVALID_LOGIN` with `WWW-Authenticate: <scheme> realm=..., error=..., error_description=<reason>`.
    pub fn invalid_login(scheme: &str, realm: &str, error: &str, reason: &str) -> Self {
        let header = format!(
            "{scheme} realm=\"{realm}\", error=\"{error}\", error_description=\"{reason}\""
        );
        Self {
            www_authenticate: Some(header),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "INVALID_LOGIN",
                INVALID_LOGIN_DETAIL,
            )
        }
    }

    /// 429 `CONCURRENCY_LIMIT_EXCEEDED`, in the valid-JSON form of Oracle's example.
    pub fn concurrency_limit() -> Self {
        Self {
            top_code: Some("USER_ERROR"),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "CONCURRENCY_LIMIT_EXCEEDED",
                "Concurrent request limit exceeded. Request blocked.",
            )
        }
    }

    /// 500 `UNEXPECTED_ERROR` with a random-looking error id.
    pub fn unexpected(error_id: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNEXPECTED_ERROR",
            format!("An unexpected error occurred. Error ID: {error_id}"),
        )
    }

    /// 503 for a scripted outage. NetSuite's 503 body is not captured: this envelope and its
    /// code are the emulator's choice (docs/netsuite-emulator.md).
    pub fn service_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable. Please try again later.",
        )
    }

    /// 404 `NONEXISTENT_ID`.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NONEXISTENT_ID",
            "Record does not exist.",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut detail = json!({"detail": self.detail, "o:errorCode": self.code});
        if let Some(p) = self.query_param {
            detail["o:errorQueryParam"] = json!(p);
        }
        let mut body = json!({
            "type": type_uri(self.status),
            "title": title(self.status),
            "status": self.status.as_u16(),
            "o:errorDetails": [detail],
        });
        if let Some(code) = self.top_code {
            body["o:errorCode"] = json!(code);
        }
        body
    }
}

fn type_uri(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
        401 => "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
        _ => "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
    }
}

fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        // NetSuite titles its 429 "Bad Request" too.
        _ => "Bad Request",
    }
}

impl IntoResponse for NsError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.oracle.resource+json; type=error"),
        );
        if let Some(value) = self
            .www_authenticate
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
