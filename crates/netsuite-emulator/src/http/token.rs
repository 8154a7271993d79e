//! `POST /services/rest/auth/oauth2/v1/token`: client credentials with a JWT assertion.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::Engine as _;
use chrono::Duration;
use rand::RngCore as _;
use serde_json::json;

use super::gate::origin_parts;
use super::TOKEN_PATH;
use crate::auth::jwt::{self, Expectations};
use crate::errors::NsError;
use crate::state::{lock, Account, IssuedToken, Shared};

/// Access tokens live an hour on the emulated clock, as NetSuite's.
const TOKEN_LIFETIME_SECS: i64 = 3600;
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    Extension(host_account): Extension<Option<Arc<Account>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, NsError> {
    let realm = host_account
        .as_ref()
        .map(|a| a.id.to_string())
        .unwrap_or_default();
    let refuse =
        |realm: &str, error: &str, why: &str| NsError::invalid_login("Bearer", realm, error, why);
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if field("grant_type") != Some("client_credentials") {
        return Err(refuse(
            &realm,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        ));
    }
    if field("client_assertion_type") != Some(JWT_BEARER) {
        return Err(refuse(
            &realm,
            "invalid_request",
            "client_assertion_type must be jwt-bearer",
        ));
    }
    let assertion = field("client_assertion")
        .ok_or_else(|| refuse(&realm, "invalid_request", "client_assertion missing"))?;
    let account = match host_account {
        Some(a) => a,
        None => {
            let iss = jwt::peek_issuer(assertion).unwrap_or_default();
            let found = shared
                .accounts
                .iter()
                .find(|a| a.oauth2.client_id == iss)
                .cloned();
            found.ok_or_else(|| refuse(&realm, "invalid_grant", "unknown_issuer"))?
        }
    };
    let (scheme, host) = origin_parts(&headers);
    let audiences = if shared.strictness.strict_audience {
        vec![
            format!("{scheme}://{host}{TOKEN_PATH}"),
            format!("https://{}{TOKEN_PATH}", account.id.suitetalk_host()),
        ]
    } else {
        Vec::new()
    };
    let now = shared.clock.now();
    let expect = Expectations {
        audiences: &audiences,
        now: now.timestamp(),
    };
    jwt::verify(assertion, &account.oauth2, &expect)
        .map_err(|why| refuse(account.id.as_str(), "invalid_grant", &why.to_string()))?;
    if account.is_revoked() {
        return Err(refuse(account.id.as_str(), "invalid_grant", "revoked"));
    }
    let token = mint(&shared, &account);
    let expires = now + Duration::seconds(TOKEN_LIFETIME_SECS);
    lock(&shared.tokens).insert(
        token.clone(),
        IssuedToken {
            account: shared.account_index(&account),
            expires,
        },
    );
    Ok(Json(
        json!({"access_token": token, "expires_in": TOKEN_LIFETIME_SECS, "token_type": "Bearer"}),
    )
    .into_response())
}

/// A JWT-looking opaque token: clients must not read it, but some peek at it.
fn mint(shared: &Shared, account: &Account) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut random = [0u8; 32];
    lock(&shared.jitter_rng).fill_bytes(&mut random);
    let header = b64(br#"{"kid":"emulator","typ":"JWT","alg":"none"}"#);
    let payload = b64(
        json!({"sub": account.id.as_str(), "iss": "netsuite-emulator", "jti": b64(&random[..16])})
            .to_string()
            .as_bytes(),
    );
    format!("{header}.{payload}.{}", b64(&random))
}
