//! The HTTP face: NetSuite's routes behind one gate (routing, faults, auth, governance,
//! latency, log), and the `/_emulator` control API beside them.

mod control;
mod gate;
mod paging;
mod records;
mod suiteql;
mod token;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use crate::state::{Account, Shared};

/// The OAuth 2.0 token endpoint path.
pub(crate) const TOKEN_PATH: &str = "/services/rest/auth/oauth2/v1/token";

/// What the gate hands to NetSuite handlers.
#[derive(Clone)]
pub(crate) struct RequestCtx {
    /// The authenticated account.
    pub(crate) account: Arc<Account>,
    /// `scheme://host` as the client addressed us, for `links`.
    pub(crate) origin: String,
}

/// Rows a collection answer carried, for per-row latency and the log.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowCount(pub(crate) usize);

/// Marks a response whose connection must be dropped instead of answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResetConnection;

/// Every route the emulator serves.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let netsuite = Router::new()
        .route("/services/rest/query/v1/suiteql", post(suiteql::handle))
        .route("/services/rest/record/v1/{record_type}", get(records::list))
        .route(
            "/services/rest/record/v1/{record_type}/{id}",
            get(records::get_one),
        )
        .route(
            "/services/rest/system/v1/governanceLimits",
            get(records::governance_limits),
        )
        .route(TOKEN_PATH, post(token::handle))
        .fallback(records::no_such_resource)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            gate::gate,
        ));
    Router::new()
        .nest("/_emulator", control::router())
        .merge(netsuite)
        .with_state(shared)
}
