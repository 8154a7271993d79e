//! The HTTP layer: the JSON API under `/api/v1`, the web pages, sign-in, health checks,
//! NetSuite notifications (`/hooks/netsuite/{id}`) and Prometheus metrics (`/metrics`).
//!
//! Handlers are thin: they authenticate, check the company owns what is asked for (another
//! company's ids answer 404, exactly like ids that do not exist), check the role, and call the
//! store or the engine. Every failure goes through [`ApiError`], mapped to a status in one place.

mod api;
mod auth;
mod error;
mod extract;
pub mod hooks;

pub mod openapi;
mod security_headers;
mod web;

use std::future::Future;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use nsync_core::CompanyId;
use nsync_store::Store;

pub use api::OPERATIONS;
pub use auth::SessionKey;
pub use error::ApiError;

use crate::Engine;

/// The largest request body accepted (credentials with a PEM key fit easily).
const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// How the HTTP layer behaves; not tenant-controlled.
#[derive(Clone)]
pub struct HttpConfig {
    /// Signs session cookies and CSRF tokens. Sessions end when it changes.
    pub session_key: SessionKey,
    /// Mark cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
}

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Arc<Engine>,
    config: HttpConfig,
    signins: crate::ops::limit::SignInLimiter,
}

impl AppState {
    /// State over an engine (which holds the store and the master key).
    pub fn new(engine: Arc<Engine>, config: HttpConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                engine,
                config,
                signins: crate::ops::limit::SignInLimiter::default(),
            }),
        }
    }

    fn engine(&self) -> &Arc<Engine> {
        &self.inner.engine
    }

    fn store(&self) -> &Store {
        self.inner.engine.store()
    }

    fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// Now, in seconds since the Unix epoch, by the engine's clock.
    fn now_secs(&self) -> u64 {
        u64::try_from(self.engine().now_ms() / 1000).unwrap_or(0)
    }

    fn signins(&self) -> &crate::ops::limit::SignInLimiter {
        &self.inner.signins
    }
}

/// Every route: health, the API, the web pages and their assets.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/hooks/netsuite/{id}", post(hooks::netsuite_notification))
        .route("/assets/htmx.min.js", get(htmx))
        .route("/assets/nsync.css", get(stylesheet))
        .route("/assets/nsync.js", get(script))
        .nest("/api/v1", api::router())
        .merge(web::router())
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES));
    security_headers::add_to(routes)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds the sign-in limit per address.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Any path nothing serves: the API's JSON 404.
/// No such path: the API's JSON 404 for the API and for clients that do not take HTML; a page a
/// person can read for a browser.
async fn no_route(
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if browser && !uri.path().starts_with("/api/") {
        return (StatusCode::NOT_FOUND, web::not_found_page()).into_response();
    }
    ApiError::NoRoute.into_response()
}

/// A served path under another method: the API's JSON 405 (axum adds `Allow`).
async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    // Any cheap read that touches the database will do; the company need not exist.
    let probe = match CompanyId::new(1) {
        Ok(company) => state.store().fields_of(company).await.map(|_| ()),
        Err(_) => Ok(()),
    };
    match probe {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ready"}))),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "database unavailable"})),
            )
        }
    }
}

/// Prometheus metrics of this process, with the deployment's queue depth. Aggregates only (no
/// tenant ids); expose it to the scraper's network, not the internet.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    metrics_of(state.engine()).await
}

async fn metrics_of(engine: &crate::Engine) -> impl IntoResponse {
    let depth = match engine.store().queue_depth().await {
        Ok(depth) => depth,
        Err(err) => {
            tracing::warn!(error = %err, "queue depth unavailable for /metrics");
            -1
        }
    };
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        engine.metrics().encode(depth),
    )
}

/// Serves `/metrics` alone (an `nsync worker`'s counters live in its own process), until
/// `shutdown`.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    engine: std::sync::Arc<crate::Engine>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        get(move || {
            let engine = std::sync::Arc::clone(&engine);
            async move { metrics_of(&engine).await.into_response() }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The vendored htmx (2.x), served from the binary: no build step, no CDN.
async fn htmx() -> impl IntoResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/htmx.min.js"),
    )
}

/// The pages' stylesheet (no inline styles: the Content-Security-Policy refuses them).
async fn stylesheet() -> impl IntoResponse {
    asset(
        "text/css; charset=utf-8",
        include_bytes!("../assets/nsync.css"),
    )
}

/// The pages' own script (no inline scripts: the Content-Security-Policy refuses them).
async fn script() -> impl IntoResponse {
    asset(
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/nsync.js"),
    )
}

/// A static file from the binary, cacheable for a day (it holds nothing private).
fn asset(content_type: &'static str, bytes: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
}
