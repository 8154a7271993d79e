//! The headers every answer carries (OWASP ASVS V14.4): a Content-Security-Policy that allows
//! only this origin's own scripts and styles and no framing, `nosniff`, no referrer, no
//! framing for old browsers, and `no-store` unless a handler says otherwise (every page and API
//! answer is private to a company; the one-time secrets and new tokens must never sit in a
//! cache). The static assets set their own `Cache-Control`, which is kept.

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy: nothing by default; scripts, styles, images, fetches (htmx) and form posts
/// only to this origin; no `<base>`, no plugins, never inside a frame. No `'unsafe-inline'`:
/// the pages have no inline script, style element or style attribute.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

/// `router` with the headers added to every answer (a handler's own value wins).
pub(crate) fn add_to<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    router
        .layer(set(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::CACHE_CONTROL, "no-store"))
}
