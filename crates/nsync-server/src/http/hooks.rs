//! NetSuite notifications: `POST /hooks/netsuite/{integration}`, sent by the user-event script
//! in `docs/netsuite-notifications.md` when a customer or project is created, edited or deleted.
//!
//! A notification is accepted when `X-Nsync-Signature: sha256=<hex>` is the HMAC-SHA256 of
//! `"{timestamp}.{body}"` under the integration's notification secret, `X-Nsync-Timestamp`
//! (Unix seconds) is within five minutes of now, and the same signature was not accepted
//! before. It only queues an incremental update, debounced per integration; what changed is
//! read from NetSuite, never taken from the body. Every refusal looks the same from outside
//! whether the integration exists or not, and causes nothing.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use hmac::{Hmac, Mac};
use nsync_core::IntegrationId;
use secrecy::ExposeSecret;
use sha2::Sha256;

use super::api::PathId;
use super::{ApiError, AppState};
use crate::automation::queue_notified_update;

/// The header carrying `sha256=<hex of the HMAC>`.
pub const SIGNATURE_HEADER: &str = "x-nsync-signature";
/// The header carrying the Unix time (seconds) the notification was signed at.
pub const TIMESTAMP_HEADER: &str = "x-nsync-timestamp";
/// How far a notification's timestamp may be from now, either way.
const TOLERANCE_SECS: i64 = 300;
/// Updates asked for by notifications start at least this far apart per integration.
pub const DEBOUNCE: Duration = Duration::from_secs(60);
/// A notification names a record; it never needs more.
const MAX_BODY_BYTES: usize = 16 * 1024;

const NOT_VERIFIED: ApiError =
    ApiError::BadNotification("the notification's signature does not verify");

/// The HMAC of a notification, as the sender computes it (hex, lower case).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    encode_hex(&mac(secret, timestamp, body).finalize().into_bytes())
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// `POST /hooks/netsuite/{integration}`: verifies and queues an update (202).
pub(crate) async fn netsuite_notification(
    State(state): State<AppState>,
    PathId(id): PathId,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::Invalid(format!(
            "a notification is at most {MAX_BODY_BYTES} bytes"
        )));
    }
    let integration: IntegrationId = id.parse().map_err(|_| NOT_VERIFIED)?;
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let timestamp: i64 = header(TIMESTAMP_HEADER)
        .and_then(|t| t.trim().parse().ok())
        .ok_or(NOT_VERIFIED)?;
    let signature = header(SIGNATURE_HEADER)
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .and_then(decode_hex)
        .ok_or(NOT_VERIFIED)?;
    let secret = match state
        .store()
        .hook_secret(state.engine().master_key(), integration)
        .await
    {
        Ok(Some(secret)) => secret,
        Ok(None) | Err(nsync_store::StoreError::NotFound { .. }) => return Err(NOT_VERIFIED),
        Err(err) => return Err(err.into()),
    };
    mac(secret.expose_secret(), timestamp, &body)
        .verify_slice(&signature)
        .map_err(|_| NOT_VERIFIED)?;
    let now = state.engine().now_ms();
    if (now / 1000 - timestamp).abs() > TOLERANCE_SECS {
        return Err(ApiError::BadNotification(
            "the notification's timestamp is more than 5 minutes away from now",
        ));
    }
    let signature_hex = encode_hex(&signature);
    let keep_ms = 2 * TOLERANCE_SECS * 1000 + 60_000;
    if !state
        .store()
        .record_hook_delivery(integration, &signature_hex, now, keep_ms)
        .await?
    {
        return Err(ApiError::BadNotification(
            "this notification was received already",
        ));
    }
    let (job, queued) = queue_notified_update(state.store(), integration, now, DEBOUNCE).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "job": job.get(), "queued": queued })),
    ))
}

/// Bytes as lower-case hex text.
fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex text to bytes; `None` unless it is an even number of hex digits (at most 128).
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
