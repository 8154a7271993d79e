//! The OAuth 2.0 client-credentials assertion: a JWT signed with the certificate's private key.
//! Pure: the clock and the `jti` are arguments.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use serde::Serialize;
use url::Url;

use super::ClientCredentials;

/// How long an assertion is valid. NetSuite requires `exp - iat` under 60 minutes; a short life
/// limits replay if one leaks from a log.
pub const ASSERTION_LIFETIME_SECS: i64 = 300;

/// Why a private key cannot sign an assertion.
#[derive(Debug, thiserror::Error)]
#[error(
    "the OAuth 2.0 private key cannot sign ({0}); it must be the PEM private key (RSA, used with \
     PS256, or EC P-256, used with ES256) whose certificate was uploaded on Setup > Integration > \
     OAuth 2.0 Client Credentials (M2M) Setup"
)]
pub struct KeyError(String);

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: [&'static str; 1],
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: &'a str,
}

/// The signing key and the algorithm NetSuite expects for it.
fn key_for(pem: &str) -> Result<(EncodingKey, Algorithm), KeyError> {
    // RSA keys must be used with RSA-PSS: NetSuite does not list RS256.
    if let Ok(key) = EncodingKey::from_rsa_pem(pem.as_bytes()) {
        return Ok((key, Algorithm::PS256));
    }
    EncodingKey::from_ec_pem(pem.as_bytes())
        .map(|key| (key, Algorithm::ES256))
        .map_err(|e| KeyError(e.to_string()))
}

/// Signs the client assertion posted to `token_url` (which is also its `aud`).
pub fn client_assertion(
    creds: &ClientCredentials,
    token_url: &Url,
    now: DateTime<Utc>,
    jti: &str,
) -> Result<String, KeyError> {
    let (key, alg) = key_for(creds.private_key_pem.expose_secret())?;
    let mut header = Header::new(alg);
    header.kid = Some(creds.certificate_id.clone());
    header.typ = Some("JWT".to_owned());
    let claims = Claims {
        iss: &creds.client_id,
        scope: ["rest_webservices"],
        aud: token_url.as_str(),
        iat: now.timestamp(),
        exp: now.timestamp() + ASSERTION_LIFETIME_SECS,
        jti,
    };
    jsonwebtoken::encode(&header, &claims, &key).map_err(|e| KeyError(e.to_string()))
}
