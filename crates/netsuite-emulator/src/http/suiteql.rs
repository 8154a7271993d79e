//! `POST /services/rest/query/v1/suiteql`: the request checks NetSuite makes, the query on the
//! account's database (off the async runtime), and the paged envelope.

use std::io::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::paging::{links, PageMeta, Paging};
use super::{RequestCtx, RowCount};
use crate::errors::NsError;
use crate::state::Shared;

#[derive(Deserialize)]
struct Body {
    q: String,
    #[serde(default)]
    params: Vec<Value>,
}

fn malformed() -> NsError {
    NsError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_REQUEST",
        "The request could not be understood by the server due to malformed syntax.",
    )
}

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    Extension(ctx): Extension<RequestCtx>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NsError> {
    if shared.strictness.require_prefer_transient && !prefers_transient(&headers) {
        return Err(NsError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_HEADER",
            "The 'Prefer' header parameter is required and must be 'transient' for SuiteQL requests.",
        ));
    }
    let paging = Paging::parse(uri.query())?;
    let body: Body = serde_json::from_slice(&body).map_err(|_| malformed())?;
    if paging.offset >= paging.reach() && shared.strictness.error_past_reach {
        return Err(paging.past_reach());
    }
    let db = Arc::clone(&ctx.account.db);
    let fetch = paging.rows_to_fetch();
    let page = tokio::task::spawn_blocking(move || {
        db.suiteql(&body.q, &body.params, paging.offset, fetch)
    })
    .await
    .map_err(|_| NsError::unexpected("emulatorqueryworkerfailed"))?
    .map_err(|e| NsError::invalid_parameter("q", e.detail()))?;
    let meta = PageMeta::new(&paging, page.items.len(), page.total_results);
    let url = format!("{}/services/rest/query/v1/suiteql", ctx.origin);
    let bytes = envelope(
        &links(&url, "", &paging, &meta),
        &meta,
        paging.offset,
        &page.items,
    );
    let mut response = (StatusCode::OK, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response.extensions_mut().insert(RowCount(meta.count));
    Ok(response)
}

fn prefers_transient(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("transient"))
        })
}

/// Writes the envelope by hand so every item starts with `"links": []`, as NetSuite's do,
/// without building a second JSON tree for 1000-row pages.
fn envelope(
    links: &Value,
    meta: &PageMeta,
    offset: usize,
    items: &[Map<String, Value>],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + items.len() * 256);
    let _ = write!(
        out,
        "{{\"links\":{links},\"count\":{},\"hasMore\":{},\"items\":[",
        meta.count, meta.has_more
    );
    for (i, item) in items.iter().enumerate() {
        out.extend_from_slice(if i == 0 {
            b"{\"links\":[]"
        } else {
            b",{\"links\":[]"
        });
        for (key, value) in item {
            out.push(b',');
            let _ = serde_json::to_writer(&mut out, key);
            out.push(b':');
            let _ = serde_json::to_writer(&mut out, value);
        }
        out.push(b'}');
    }
    let _ = write!(
        out,
        "],\"offset\":{offset},\"totalResults\":{}}}",
        meta.total_results
    );
    out
}
