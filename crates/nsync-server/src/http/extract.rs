//! The extractors every handler takes its input through, so each kind of bad input is refused
//! one way, in the API's JSON error format: a JSON object body, a query string, one path id.

use crate::ops::canonical_id;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;

use super::ApiError;

/// A JSON body: `Content-Type: application/json`, within the body limit (413 beyond it), and
/// an object. serde would read a struct from an array too (`[true, true]` was an update with
/// `preview` and `full`), so anything but an object is refused before serde sees it.
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state).await?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first != Some(&b'{') {
            return Err(ApiError::Invalid(
                "the request body must be a JSON object".into(),
            ));
        }
        let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
        Ok(Self(value))
    }
}

fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(mime) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
    else {
        return false;
    };
    let mime = mime.trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// A page's urlencoded form, read into a typed struct (repeated names, as checkboxes send them,
/// into a `Vec`). Forms' fields default when absent, as a browser leaves out unticked boxes;
/// a body that cannot be read as the form is invalid (422).
pub(crate) struct PageForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for PageForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await?;
        serde_html_form::from_bytes(&bytes)
            .map(Self)
            .map_err(|e| ApiError::Invalid(format!("the form cannot be read: {e}")))
    }
}

/// A query string whose rejection is an [`ApiError`].
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub(crate) struct ApiQuery<T>(pub T);

/// The one id of a path (`/runs/{id}`), in its canonical decimal form: `12`, never `012`,
/// `+12`, `12 ` or `1e1`. Any other text names nothing (404, as an id that does not exist); a
/// path that is not UTF-8 is malformed (400).
pub(crate) struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(text) = Path::<String>::from_request_parts(parts, state).await?;
        if canonical_id(&text) {
            Ok(Self(text))
        } else {
            Err(ApiError::NotFound("resource"))
        }
    }
}
