//! The client's one error type, and the pure classification of NetSuite's error bodies into it.

use std::time::Duration;

use serde::Deserialize;

use crate::account::AccountIdError;
use crate::auth::jwt::KeyError;

/// Everything that can go wrong talking to NetSuite. Each message says what happened and what a
/// person can do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The account id is not one.
    #[error(transparent)]
    AccountId(#[from] AccountIdError),
    /// The OAuth 2.0 private key is unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The client configuration is wrong (for example a base URL that is not http(s)).
    #[error("invalid NetSuite client configuration: {0}")]
    Config(String),
    /// `INVALID_LOGIN`: NetSuite rejected the credentials.
    #[error(
        "NetSuite rejected the credentials (INVALID_LOGIN{reason}): check the account id, the \
         consumer key/secret and token id/secret (or client id, certificate id and private key), \
         and the Login Audit Trail (Setup > Users/Roles > User Management > View Login Audit Trail)"
    )]
    InvalidLogin {
        /// The reason from `WWW-Authenticate`, when NetSuite gave one (`, token_rejected`).
        reason: String,
    },
    /// The role behind the credentials lacks a permission.
    #[error(
        "the NetSuite role lacks a permission: {detail} (grant it on the role: Setup > Users/Roles > \
         Manage Roles; nsync needs Customers, Projects, Subsidiaries, Deleted Records, REST Web \
         Services and SuiteAnalytics Workbook, all View)"
    )]
    InsufficientPermission {
        /// NetSuite's own detail, or the permission nsync found missing.
        detail: String,
    },
    /// The Projects feature is off in this account.
    #[error(
        "the Projects feature is not enabled in this NetSuite account, so only customers can be \
         read (enable it at Setup > Company > Enable Features > Company > Projects)"
    )]
    ProjectsDisabled,
    /// A subsidiary filter was used on an account without subsidiaries.
    #[error(
        "this NetSuite account is not OneWorld and has no subsidiaries: read the whole account \
         instead of subsidiary {0}"
    )]
    NotOneWorld(String),
    /// 404 `NONEXISTENT_ID` or similar.
    #[error("NetSuite says the record does not exist: {detail}")]
    NotFound {
        /// NetSuite's detail.
        detail: String,
    },
    /// 400 on a query: NetSuite's own detail explains it.
    #[error("NetSuite refused the query: {detail}")]
    InvalidQuery {
        /// NetSuite's detail, e.g. `Search error occurred: Unknown identifier 'x'...`.
        detail: String,
    },
    /// 429 / `CONCURRENCY_LIMIT_EXCEEDED`, still failing after every retry.
    #[error(
        "NetSuite kept refusing requests over the account's concurrency limit ({detail}); other \
         integrations share that limit: lower nsync's concurrency budget or check Setup > \
         Integration > Integration Management > Integration Governance"
    )]
    RateLimited {
        /// NetSuite's detail.
        detail: String,
    },
    /// 5xx, still failing after every retry.
    #[error("NetSuite answered {status} ({detail}); it is probably a temporary NetSuite problem: try again later")]
    Server {
        /// HTTP status.
        status: u16,
        /// NetSuite's detail.
        detail: String,
    },
    /// Another 4xx that is not retried.
    #[error("NetSuite refused the request with {status} {code}: {detail}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// `o:errorCode`.
        code: String,
        /// NetSuite's detail.
        detail: String,
    },
    /// No answer within the configured timeout.
    #[error("NetSuite did not answer within {0:?}; check the network or raise the timeout")]
    Timeout(Duration),
    /// The connection failed or was reset.
    #[error("could not reach NetSuite: {0}")]
    Transport(String),
    /// NetSuite's answer could not be read (truncated, malformed or too large).
    #[error("could not read NetSuite's answer: {0}")]
    Decode(String),
    /// The account's request budget shared with other processes could not be reached (its
    /// database is down): nothing was sent to NetSuite.
    #[error("the account's shared request budget is unavailable: {0}")]
    Budget(String),
}

impl Error {
    /// Whether the request path retries this error. Other 4xx errors are never retried.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Server { .. }
                | Error::Timeout(_)
                | Error::Transport(_)
                | Error::Decode(_)
                | Error::Budget(_)
        )
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "o:errorDetails", default)]
    details: Vec<Detail>,
    #[serde(rename = "o:errorCode")]
    code: Option<String>,
    title: Option<String>,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(default)]
    detail: String,
    #[serde(rename = "o:errorCode", default)]
    code: String,
}

/// The first `o:errorCode` and detail of a NetSuite error body, tolerating other shapes.
fn code_and_detail(body: &str) -> (String, String) {
    const MAX: usize = 2000;
    let Ok(env) = serde_json::from_str::<Envelope>(body) else {
        let text: String = body.chars().take(MAX).collect();
        return (String::new(), text);
    };
    let first = env.details.into_iter().next();
    let code = first
        .as_ref()
        .map(|d| d.code.clone())
        .filter(|c| !c.is_empty())
        .or(env.code)
        .unwrap_or_default();
    let detail = first
        .map(|d| d.detail)
        .filter(|d| !d.is_empty())
        .or(env.title)
        .unwrap_or_default();
    (code, detail.chars().take(MAX).collect())
}

/// Classifies a non-2xx answer. `www_authenticate` is the header of a 401, if any.
pub fn classify(status: u16, body: &str, www_authenticate: Option<&str>) -> Error {
    let (code, detail) = code_and_detail(body);
    match (status, code.as_str()) {
        (_, "CONCURRENCY_LIMIT_EXCEEDED") | (429, _) => Error::RateLimited { detail },
        (401, _) | (_, "INVALID_LOGIN") => Error::InvalidLogin {
            reason: www_authenticate.and_then(auth_reason).unwrap_or_default(),
        },
        (403, _) | (_, "INSUFFICIENT_PERMISSION") => Error::InsufficientPermission { detail },
        (404, _) | (_, "NONEXISTENT_ID") => Error::NotFound { detail },
        (500..=599, _) => Error::Server { status, detail },
        (400, "INVALID_PARAMETER") => Error::InvalidQuery { detail },
        _ => Error::Rejected {
            status,
            code,
            detail,
        },
    }
}

/// `, token_rejected: nonce_used` from `OAuth realm="1", error="token_rejected", error_description="..."`.
fn auth_reason(header: &str) -> Option<String> {
    let field = |name: &str| {
        let start = header.find(&format!("{name}=\""))? + name.len() + 2;
        let end = header[start..].find('"')? + start;
        Some(header[start..end].chars().take(200).collect::<String>())
    };
    let error = field("error")?;
    match field("error_description") {
        Some(d) if !d.is_empty() => Some(format!(", {error}: {d}")),
        _ => Some(format!(", {error}")),
    }
}
