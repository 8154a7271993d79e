//! The web pages: server-rendered (askama escapes everything by default), htmx for partial
//! updates, no front-end build step.

use axum::Router;

use super::AppState;

/// The page routes.
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
