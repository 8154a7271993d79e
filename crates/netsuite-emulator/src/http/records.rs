//! The REST record API: collections (ids and links, `q`, paging), single records with
//! `{id, refName, links}` references, `governanceLimits`, and NetSuite's 404 for anything else.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{OriginalUri, Path};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use netsuite_emulator_db::{AccountData, RecordError};
use serde_json::{json, Value};

use super::paging::{links, PageMeta, Paging};
use super::{RequestCtx, RowCount};
use crate::errors::NsError;

const RECORD_TYPES: [&str; 4] = [
    "customer",
    "job",
    "subsidiary",
    "customersubsidiaryrelationship",
];

fn record_error(error: RecordError) -> NsError {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut ns = NsError::new(status, error.error_code(), error.detail());
    if matches!(error, RecordError::InvalidQuery(_)) {
        ns.query_param = Some("q");
    }
    ns
}

fn with_type(mut response: Response, kind: &'static str) -> Response {
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    response
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, NsError> + Send + 'static,
) -> Result<T, NsError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| NsError::unexpected("emulatorrecordworkerfailed"))?
}

/// `GET /record/v1/{type}?q=&limit=&offset=`.
pub(crate) async fn list(
    Extension(ctx): Extension<RequestCtx>,
    Path(record_type): Path<String>,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, NsError> {
    let record_type = record_type.to_ascii_lowercase();
    let paging = Paging::parse(uri.query())?;
    let q = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.into_owned());
    if paging.offset >= paging.reach() {
        return Err(paging.past_reach());
    }
    let db = Arc::clone(&ctx.account.db);
    let (rt, qq, fetch) = (record_type.clone(), q.clone(), paging.rows_to_fetch());
    let page = blocking(move || {
        db.list_records(&rt, qq.as_deref(), paging.offset, fetch)
            .map_err(record_error)
    })
    .await?;
    let url = format!("{}/services/rest/record/v1/{record_type}", ctx.origin);
    let extra = q
        .map(|q| {
            format!(
                "q={}&",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            )
        })
        .unwrap_or_default();
    let meta = PageMeta::new(&paging, page.ids.len(), page.total_results);
    let items: Vec<Value> = page
        .ids
        .iter()
        .map(|id| json!({"links": [{"rel": "self", "href": format!("{url}/{id}")}], "id": id.to_string()}))
        .collect();
    let body = json!({
        "links": links(&url, &extra, &paging, &meta),
        "count": meta.count,
        "hasMore": meta.has_more,
        "items": items,
        "offset": paging.offset,
        "totalResults": meta.total_results,
    });
    let mut response = with_type(
        Json(body).into_response(),
        "application/vnd.oracle.resource+json; type=collection",
    );
    response.extensions_mut().insert(RowCount(meta.count));
    Ok(response)
}

/// `GET /record/v1/{type}/{id}`.
pub(crate) async fn get_one(
    Extension(ctx): Extension<RequestCtx>,
    Path((record_type, id)): Path<(String, String)>,
) -> Result<Response, NsError> {
    let record_type = record_type.to_ascii_lowercase();
    let Ok(id) = id.parse::<i64>() else {
        return Err(NsError::not_found());
    };
    let db = Arc::clone(&ctx.account.db);
    let origin = ctx.origin.clone();
    let body = blocking(move || {
        let mut record = db.get_record(&record_type, id).map_err(record_error)?;
        add_links(&db, &origin, &record_type, id, &mut record);
        Ok(record)
    })
    .await?;
    Ok(with_type(
        Json(body).into_response(),
        "application/vnd.oracle.resource+json; type=singular",
    ))
}

/// Adds `links` to the record and to each `{id, refName}` reference in it.
fn add_links(db: &AccountData, origin: &str, record_type: &str, id: i64, record: &mut Value) {
    let base = format!("{origin}/services/rest/record/v1");
    let Some(fields) = record.as_object_mut() else {
        return;
    };
    for (field, value) in fields.iter_mut() {
        let Some(reference) = value.as_object_mut() else {
            continue;
        };
        let Some(ref_id) = reference
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            continue;
        };
        if !reference.contains_key("refName") {
            continue;
        }
        let target = reference_type(db, record_type, field, &ref_id);
        reference.insert(
            "links".into(),
            json!([{"rel": "self", "href": format!("{base}/{target}/{ref_id}")}]),
        );
    }
    fields.insert(
        "links".into(),
        json!([{"rel": "self", "href": format!("{base}/{record_type}/{id}")}]),
    );
}

/// Which record type a reference field points at.
fn reference_type(db: &AccountData, record_type: &str, field: &str, ref_id: &str) -> String {
    match (record_type, field) {
        ("job", "parent") => {
            let is_project = ref_id
                .parse()
                .is_ok_and(|id| db.get_record("job", id).is_ok());
            if is_project { "job" } else { "customer" }.to_owned()
        }
        ("customer", "parent") | (_, "entity") => "customer".to_owned(),
        ("subsidiary", "parent") | (_, "subsidiary") => "subsidiary".to_owned(),
        (_, "entityStatus") if record_type == "customer" => "customerstatus".to_owned(),
        (_, other) => other.to_ascii_lowercase(),
    }
}

/// `GET /system/v1/governanceLimits`: the account limit, all of it unallocated.
pub(crate) async fn governance_limits(Extension(ctx): Extension<RequestCtx>) -> Response {
    let limit = ctx.account.limit.load(Ordering::SeqCst);
    Json(json!({
        "accountConcurrencyLimit": limit,
        "accountUnallocatedConcurrencyLimit": limit,
        "integrationLimitType": "accountLimit",
    }))
    .into_response()
}

/// Any other NetSuite path (after authentication): record types the emulator does not
/// have answer like an unknown record type; everything else is 404.
pub(crate) async fn no_such_resource(OriginalUri(uri): OriginalUri) -> NsError {
    let path = uri.path();
    if let Some(rest) = path.strip_prefix("/services/rest/record/v1/") {
        let record_type = rest
            .split('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !RECORD_TYPES.contains(&record_type.as_str()) {
            return record_error(RecordError::UnknownRecordType(record_type));
        }
    }
    NsError::new(
        StatusCode::NOT_FOUND,
        "NONEXISTENT_ID",
        "Record does not exist.",
    )
}
