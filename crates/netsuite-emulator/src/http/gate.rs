//! The gate every NetSuite request passes: account routing, scripted faults, authentication,
//! the account's concurrency limit and injected latency, then the request log.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng as _;

use super::{RequestCtx, ResetConnection, RowCount, TOKEN_PATH};
use crate::account_id::host_label_of;
use crate::auth::tba::SignedRequest;
use crate::auth::{authenticate, named_account, AuthInput};
use crate::errors::NsError;
use crate::faults::{Drawn, FaultKind};
use crate::log::{AuthKind, LoggedRequest};
use crate::state::{lock, Account, Shared, Slot};

/// `scheme://host` of the request as the client addressed it. Behind a TLS-terminating proxy
/// `X-Forwarded-Proto: https` restores the scheme the client signed.
pub(crate) fn origin_parts(headers: &HeaderMap) -> (String, String) {
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v == "https" || *v == "http")
        .unwrap_or("http");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    (scheme.to_owned(), host.to_owned())
}

/// The most of a body the gate buffers for a fault rule that reads bodies.
const BUFFERED_BODY_LIMIT: usize = 4 << 20;

pub(crate) async fn gate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let at = shared.clock.now();
    let (method, path) = (
        request.method().to_string(),
        request.uri().path().to_owned(),
    );
    let query = request.uri().query().map(str::to_owned);
    let (scheme, host) = origin_parts(request.headers());
    let host_account = host_label_of(&host)
        .and_then(|label| shared.account_by_label(label))
        .cloned();
    // A rule that looks at bodies needs this one's first (tests only: bodies are small).
    let (request, body) = if shared.faults.reads_bodies() {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, BUFFERED_BODY_LIMIT)
            .await
            .unwrap_or_default();
        (
            Request::from_parts(parts, Body::from(bytes.clone())),
            Some(bytes),
        )
    } else {
        (request, None)
    };
    // Account-scoped rules need the account the request names, before it is authenticated.
    let named = match &host_account {
        Some(a) => Some(Arc::clone(a)),
        None if shared.faults.scopes_accounts() => named_account(&shared, request.headers()),
        None => None,
    };
    let drawn = Drawn {
        path: &path,
        body: body.as_deref(),
        account: named.as_ref().map(|a| a.id.as_str()),
    };
    let fault = shared.faults.draw(&drawn, at);
    // Logged when this future ends, also when it is dropped because the client gave up (a
    // timed-out slow answer): then the entry keeps status 0, "no answer sent".
    let mut logged = LogOnDrop {
        shared: Arc::clone(&shared),
        entry: Some(LoggedRequest {
            at,
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            status: 0,
            auth: AuthKind::None,
            account_id: host_account.as_ref().map(|a| a.id.to_string()),
            fault,
            rows: None,
        }),
    };
    let mut outcome = Outcome {
        account: host_account.clone(),
        auth: AuthKind::None,
    };
    let response = match fault {
        Some(FaultKind::ServerError) => NsError::unexpected(&error_id(&shared)).into_response(),
        Some(FaultKind::ServiceUnavailable) => NsError::service_unavailable().into_response(),
        Some(FaultKind::TooManyRequests) => NsError::concurrency_limit().into_response(),
        Some(FaultKind::Unauthorized) => {
            let realm = host_account
                .as_ref()
                .map(|a| a.id.to_string())
                .unwrap_or_default();
            NsError::invalid_login("OAuth", &realm, "token_rejected", "Invalid login attempt.")
                .into_response()
        }
        Some(FaultKind::ResetConnection) => {
            let mut r = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            r.extensions_mut().insert(ResetConnection);
            r
        }
        other => {
            if let Some(FaultKind::Slow { millis }) = other {
                tokio::time::sleep(Duration::from_millis(millis)).await;
            }
            let origin = format!("{scheme}://{host}");
            let signed = SignedRequest {
                method: &method,
                scheme: &scheme,
                host: &host,
                path: &path,
                query: query.as_deref(),
            };
            let headers = request.headers().clone();
            let input = AuthInput {
                headers: &headers,
                signed,
                host_account,
            };
            let served = serve(&shared, input, origin, request, next, &mut outcome).await;
            mangle(served, other).await
        }
    };
    let rows = response.extensions().get::<RowCount>().map(|r| r.0);
    let status = if response.extensions().get::<ResetConnection>().is_some() {
        0
    } else {
        response.status().as_u16()
    };
    if let Some(entry) = logged.entry.as_mut() {
        entry.status = status;
        entry.auth = outcome.auth;
        entry.account_id = outcome.account.map(|a| a.id.to_string());
        entry.rows = rows;
    }
    response
}

/// Pushes its entry to the request log when dropped.
struct LogOnDrop {
    shared: Arc<Shared>,
    entry: Option<LoggedRequest>,
}

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            self.shared.log.push(entry);
        }
    }
}

struct Outcome {
    account: Option<Arc<Account>>,
    auth: AuthKind,
}

/// Authenticates, takes a concurrency slot, waits the injected latency and runs the handler.
async fn serve(
    shared: &Arc<Shared>,
    input: AuthInput<'_>,
    origin: String,
    mut request: Request,
    next: Next,
    outcome: &mut Outcome,
) -> Response {
    if input.signed.path == TOKEN_PATH {
        // The token endpoint authenticates the client assertion itself and is not governed.
        outcome.auth = AuthKind::ClientAssertion;
        request.extensions_mut().insert(input.host_account.clone());
        return next.run(request).await;
    }
    let (account, auth) = match authenticate(shared, &input) {
        Ok(found) => found,
        Err((error, auth)) => {
            outcome.auth = auth;
            return error.into_response();
        }
    };
    outcome.auth = auth;
    outcome.account = Some(Arc::clone(&account));
    let Some(_slot) = Slot::acquire(&account) else {
        return NsError::concurrency_limit().into_response();
    };
    let latency = *lock(&shared.latency);
    let jitter = if latency.jitter.is_zero() {
        Duration::ZERO
    } else {
        lock(&shared.jitter_rng).gen_range(Duration::ZERO..=latency.jitter)
    };
    // The latency is the answer's response time, not time added to the emulator's own work: a
    // NetSuite that answers in 100 ms includes its query time in those 100 ms. Otherwise the
    // emulator's CPU time (it shares this machine with the client under test) would count twice.
    let wait = latency.fixed + jitter;
    let started = tokio::time::Instant::now();
    account.db.set_clock(shared.clock.now());
    request
        .extensions_mut()
        .insert(RequestCtx { account, origin });
    let response = next.run(request).await;
    let rows = response.extensions().get::<RowCount>().map_or(0, |r| r.0);
    let per_row = latency.per_row * u32::try_from(rows).unwrap_or(u32::MAX);
    tokio::time::sleep_until(started + wait + per_row).await;
    response
}

/// Applies body faults to an answer that was otherwise served normally.
async fn mangle(response: Response, fault: Option<FaultKind>) -> Response {
    let Some(kind @ (FaultKind::TruncatedBody | FaultKind::MalformedJson)) = fault else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    parts.headers.remove(header::CONTENT_LENGTH);
    if kind == FaultKind::MalformedJson {
        parts.status = StatusCode::OK;
        return Response::from_parts(parts, Body::from(half));
    }
    // Send half the body, then fail the stream: hyper aborts the connection mid-body. The pause
    // lets hyper flush the head and the first half; an immediate error would abort before the
    // client sees any answer at all (that is the reset-connection fault, not this one).
    use futures::StreamExt as _;
    let stream = futures::stream::iter([Ok::<Bytes, std::io::Error>(half)]).chain(
        futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "emulator fault: truncated body",
            ))
        }),
    );
    Response::from_parts(parts, Body::from_stream(stream))
}

/// NetSuite's error ids look like 20 lowercase letters.
fn error_id(shared: &Shared) -> String {
    let mut rng = lock(&shared.jitter_rng);
    (0..20)
        .map(|_| char::from(b'a' + rng.gen_range(0..26u8)))
        .collect()
}
