//! The one error type of the HTTP layer, mapped to status codes in one place.

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsync_store::StoreError;

use crate::ops::OpsError;
use crate::EngineError;

/// Why a request did not go through. Each variant has a stable `code` for clients and a
/// message for people; 500s are opaque (the detail goes to the log only).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid token or session.
    #[error("sign in first, or send Authorization: Bearer <token>")]
    Unauthenticated,
    /// Email and password do not match a user.
    #[error("the email or the password is wrong")]
    BadCredentials,
    /// A NetSuite notification whose signature, timestamp or freshness does not check out.
    #[error("{0}")]
    BadNotification(&'static str),
    /// The user's role does not allow this.
    #[error("only an administrator of this company can do this")]
    AdminOnly,
    /// A form or request from a session without its CSRF token.
    #[error("the form is stale or did not come from this site: reload the page and try again")]
    Csrf,
    /// Nothing with this id in the caller's company (whether it exists elsewhere or not).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// No such route (the fallback of every path nothing serves).
    #[error("nothing is served at this path")]
    NoRoute,
    /// The route exists, but not with this method.
    #[error("this method is not allowed here; the Allow header lists those that are")]
    MethodNotAllowed,
    /// The body is larger than the server accepts.
    #[error("the request body is too large")]
    TooLarge,
    /// A body that is not `application/json` where JSON is expected.
    #[error("send the body as JSON, with Content-Type: application/json")]
    UnsupportedMediaType,
    /// The request cannot be read at all (a path that is not UTF-8, ...).
    #[error("{0}")]
    Malformed(String),
    /// The request is malformed or a value is out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// A rule of the integrated field refuses the action (the message says where to act).
    #[error("{0}")]
    Refused(String),
    /// Too many failed password checks for this account; try again in this many minutes.
    #[error("too many failed password checks for this account; try again in {0} minutes")]
    TooManyAttempts(u64),
    /// Another run of the integration is going on.
    #[error("{0}")]
    Busy(String),
    /// NetSuite has never been read for this integration: there is nothing to list yet.
    #[error(
        "NetSuite has not been read for this integration yet, so there is no list to show: read \
         it with POST /api/v1/integrations/{{id}}/candidates/refresh (the Import Customers button \
         does), or run an Update"
    )]
    NotReadYet,
    /// The run cannot be confirmed (nothing held, or overtaken by a later run).
    #[error("{0}")]
    NotConfirmable(String),
    /// NetSuite refused or failed; the message says what to do.
    #[error("{0}")]
    NetSuite(String),
    /// A change feed cursor from before what the feed still holds.
    #[error("{0}")]
    CursorExpired(String),
    /// Anything else: logged, shown as an opaque message.
    #[error("internal error")]
    Internal(String),
}

/// The JSON shape of every error.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(serde::Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

impl ApiError {
    /// Every stable code, as the OpenAPI document lists them.
    pub const CODES: [&'static str; 19] = [
        "unauthenticated",
        "bad_credentials",
        "bad_notification",
        "admin_only",
        "csrf",
        "not_found",
        "method_not_allowed",
        "too_large",
        "unsupported_media_type",
        "malformed_request",
        "invalid_request",
        "integrated_field",
        "too_many_attempts",
        "busy",
        "not_read_yet",
        "not_confirmable",
        "netsuite",
        "cursor_expired",
        "internal",
    ];

    /// The HTTP status and the stable code: the one place errors meet status codes.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            Self::BadNotification(_) => (StatusCode::UNAUTHORIZED, "bad_notification"),
            Self::AdminOnly => (StatusCode::FORBIDDEN, "admin_only"),
            Self::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            Self::NotFound(_) | Self::NoRoute => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_request"),
            Self::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
            Self::Refused(_) => (StatusCode::CONFLICT, "integrated_field"),
            Self::TooManyAttempts(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            Self::Busy(_) => (StatusCode::CONFLICT, "busy"),
            Self::NotReadYet => (StatusCode::CONFLICT, "not_read_yet"),
            Self::NotConfirmable(_) => (StatusCode::CONFLICT, "not_confirmable"),
            Self::NetSuite(_) => (StatusCode::BAD_GATEWAY, "netsuite"),
            Self::CursorExpired(_) => (StatusCode::GONE, "cursor_expired"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The message people see (never the detail of a 500).
    pub fn public_message(&self) -> String {
        self.to_string()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Internal(detail) = &self {
            tracing::error!(error = %detail, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.public_message(),
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<OpsError> for ApiError {
    fn from(err: OpsError) -> Self {
        match err {
            OpsError::AdminOnly => Self::AdminOnly,
            OpsError::NotFound(what) => Self::NotFound(what),
            OpsError::Invalid(message) => Self::Invalid(message),
            OpsError::TooManyAttempts(minutes) => Self::TooManyAttempts(minutes),
            OpsError::Core(err) => err.into(),
            OpsError::Store(err) => err.into(),
            OpsError::Engine(err) => err.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound { what, .. } => Self::NotFound(what),
            StoreError::OptionNotFound(_) => Self::NotFound("option"),
            StoreError::Rule(rule @ nsync_core::Error::IntegratedField { .. }) => {
                Self::Refused(rule.to_string())
            }
            StoreError::Rule(other) => Self::Invalid(other.to_string()),
            StoreError::Busy { .. } => Self::Busy(err.to_string()),
            StoreError::FeedPruned { .. } => Self::CursorExpired(err.to_string()),
            // The store's own failures: logged, never shown (they can name SQL and data).
            StoreError::UnsupportedUrl(_)
            | StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)
            | StoreError::InvalidPlan(_)
            | StoreError::MissingParent(_)
            | StoreError::MasterKey(_)
            | StoreError::Decrypt(_)
            | StoreError::WebhookSecret(_)
            | StoreError::LeaseLost(_)
            | StoreError::PasswordHash(_) => Self::Internal(err.to_string()),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        match err {
            EngineError::Busy { .. } => Self::Busy(err.to_string()),
            EngineError::NetSuite(_)
            | EngineError::Config(_)
            | EngineError::SuspiciousRead(_)
            | EngineError::SubsidiaryGone(_) => Self::NetSuite(err.to_string()),
            EngineError::NothingToConfirm(_) | EngineError::Stale { .. } => {
                Self::NotConfirmable(err.to_string())
            }
            EngineError::Store(store) => store.into(),
            // A failed run answers as its cause does: NetSuite's failure is a 502 that names
            // the run; the store's is a 500 whose detail goes to the log only.
            EngineError::RunFailed { run, source } => match Self::from(*source) {
                Self::NetSuite(message) => Self::NetSuite(format!("run {run} failed: {message}")),
                other => other,
            },
        }
    }
}

impl From<nsync_core::Error> for ApiError {
    fn from(err: nsync_core::Error) -> Self {
        match err {
            nsync_core::Error::IntegratedField { .. } => Self::Refused(err.to_string()),
            other => Self::Invalid(other.to_string()),
        }
    }
}

impl From<netsuite::AccountIdError> for ApiError {
    fn from(err: netsuite::AccountIdError) -> Self {
        Self::Invalid(err.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(err: JsonRejection) -> Self {
        match err.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            _ => Self::Invalid(format!(
                "the request body is not valid: {}",
                err.body_text()
            )),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(err: BytesRejection) -> Self {
        match err.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::TooLarge,
            _ => Self::Malformed(format!(
                "the request body cannot be read: {}",
                err.body_text()
            )),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(err: PathRejection) -> Self {
        if err.status().is_server_error() {
            // A handler extracting a parameter its route does not have: a bug.
            Self::Internal(err.body_text())
        } else {
            Self::Malformed(format!("the path is not valid: {}", err.body_text()))
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(err: QueryRejection) -> Self {
        Self::Invalid(format!(
            "the query string is not valid: {}",
            err.body_text()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nsync_core::RunId;

    #[test]
    fn a_run_that_failed_in_the_store_shows_no_store_text() {
        let err = EngineError::RunFailed {
            run: RunId::new(7).unwrap(),
            source: Box::new(EngineError::Store(StoreError::Corrupt(
                "options.name of row 12".into(),
            ))),
        };
        let api = ApiError::from(err);
        assert_eq!(api.status_and_code().0, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(api.public_message(), "internal error");
        let err = EngineError::RunFailed {
            run: RunId::new(8).unwrap(),
            source: Box::new(EngineError::SuspiciousRead("no customers came back".into())),
        };
        let api = ApiError::from(err);
        assert_eq!(api.status_and_code().0, StatusCode::BAD_GATEWAY);
        assert_eq!(
            api.public_message(),
            "run 8 failed: no customers came back; nothing was changed"
        );
    }

    #[test]
    fn every_code_is_in_the_documented_list_once() {
        let samples = [
            ApiError::Unauthenticated,
            ApiError::BadCredentials,
            ApiError::BadNotification("x"),
            ApiError::AdminOnly,
            ApiError::Csrf,
            ApiError::NotFound("x"),
            ApiError::NoRoute,
            ApiError::MethodNotAllowed,
            ApiError::TooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::Malformed(String::new()),
            ApiError::Invalid(String::new()),
            ApiError::Refused(String::new()),
            ApiError::TooManyAttempts(1),
            ApiError::Busy(String::new()),
            ApiError::NotReadYet,
            ApiError::NotConfirmable(String::new()),
            ApiError::NetSuite(String::new()),
            ApiError::CursorExpired(String::new()),
            ApiError::Internal(String::new()),
        ];
        let codes: std::collections::BTreeSet<_> =
            samples.iter().map(|e| e.status_and_code().1).collect();
        let listed: std::collections::BTreeSet<_> = ApiError::CODES.into_iter().collect();
        assert_eq!(listed.len(), ApiError::CODES.len(), "a code listed twice");
        assert_eq!(codes, listed);
    }
}
