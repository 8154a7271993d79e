//! OAuth 2.0 client-credentials assertions (RFC 7523 JWTs) checked as NetSuite documents:
//! PS256/384/512 or ES256/384/512 only, known `kid` and `iss`, `aud` = the token URL,
//! `exp - iat` at most an hour, not expired.
//!
//! The signature check is written over the RustCrypto curves and RSA rather than taken from
//! `jsonwebtoken`, which has no ES512: NetSuite accepts P-521 keys, so the emulator must too.

use base64::Engine as _;
use serde::Deserialize;

use crate::credentials::{Certificate, OAuth2Integration, PublicKey};

/// Longest accepted `exp - iat`. Oracle's own example assertion spans exactly 3600 s.
pub const MAX_ASSERTION_LIFETIME_SECS: i64 = 3600;
/// Clock skew tolerated on `iat` in the future.
const IAT_SKEW_SECS: i64 = 60;

/// Why an assertion is refused; the `Display` text is the `WWW-Authenticate` reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtReject {
    /// Not three base64url parts of JSON.
    #[error("malformed_assertion")]
    Malformed,
    /// `alg` outside PS256/384/512, ES256/384/512 (RS256 and HS* included).
    #[error("unsupported_algorithm")]
    Algorithm,
    /// `kid` names no certificate of the integration.
    #[error("unknown_kid")]
    Kid,
    /// The algorithm does not fit the certificate's key type.
    #[error("algorithm_key_mismatch")]
    KeyMismatch,
    /// Signature check failed.
    #[error("invalid_signature")]
    Signature,
    /// `iss` is not the integration's client id.
    #[error("unknown_issuer")]
    Issuer,
    /// `aud` is not the token URL.
    #[error("invalid_audience")]
    Audience,
    /// `exp - iat` over an hour, or `exp` before `iat`.
    #[error("lifetime_too_long")]
    Lifetime,
    /// `exp` has passed, or `iat` is in the future.
    #[error("assertion_expired")]
    Expired,
    /// `scope` does not include `rest_webservices`.
    #[error("invalid_scope")]
    Scope,
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

/// The claims NetSuite reads from a client assertion.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// Client id.
    pub iss: Option<String>,
    /// Token URL (string or array).
    pub aud: Option<serde_json::Value>,
    /// Issued at, epoch seconds.
    pub iat: Option<i64>,
    /// Expiry, epoch seconds.
    pub exp: Option<i64>,
    /// Array, comma- or space-separated string.
    pub scope: Option<serde_json::Value>,
}

fn b64(part: &str) -> Result<Vec<u8>, JwtReject> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtReject::Malformed)
}

fn parts(token: &str) -> Result<[&str; 3], JwtReject> {
    let mut it = token.split('.');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(h), Some(p), Some(s), None) => Ok([h, p, s]),
        _ => Err(JwtReject::Malformed),
    }
}

/// The unverified `iss`, used only to find which account an assertion is for.
pub fn peek_issuer(token: &str) -> Option<String> {
    let [_, payload, _] = parts(token).ok()?;
    serde_json::from_slice::<Claims>(&b64(payload).ok()?)
        .ok()?
        .iss
}

/// What the verifier needs to know about the request and the time.
#[derive(Debug, Clone)]
pub struct Expectations<'a> {
    /// Accepted `aud` values (the token URLs); empty accepts any.
    pub audiences: &'a [String],
    /// Emulated now, epoch seconds.
    pub now: i64,
}

/// Verifies an assertion against one integration; returns its claims.
pub fn verify(
    token: &str,
    integration: &OAuth2Integration,
    expect: &Expectations<'_>,
) -> Result<Claims, JwtReject> {
    let [header_b64, payload_b64, signature_b64] = parts(token)?;
    let header: Header =
        serde_json::from_slice(&b64(header_b64)?).map_err(|_| JwtReject::Malformed)?;
    let claims: Claims =
        serde_json::from_slice(&b64(payload_b64)?).map_err(|_| JwtReject::Malformed)?;
    let signature = b64(signature_b64)?;
    if !matches!(
        header.alg.as_str(),
        "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "ES512"
    ) {
        return Err(JwtReject::Algorithm);
    }
    let certificate = integration
        .certificates
        .iter()
        .find(|c| Some(&c.certificate_id) == header.kid.as_ref())
        .ok_or(JwtReject::Kid)?;
    let signed = &token[..header_b64.len() + 1 + payload_b64.len()];
    verify_signature(certificate, &header.alg, signed.as_bytes(), &signature)?;
    check_claims(&claims, integration, expect)?;
    Ok(claims)
}

fn check_claims(
    claims: &Claims,
    integration: &OAuth2Integration,
    expect: &Expectations<'_>,
) -> Result<(), JwtReject> {
    if claims.iss.as_deref() != Some(integration.client_id.as_str()) {
        return Err(JwtReject::Issuer);
    }
    let auds: Vec<&str> = match &claims.aud {
        Some(serde_json::Value::String(s)) => vec![s.as_str()],
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str()).collect(),
        _ => Vec::new(),
    };
    if !expect.audiences.is_empty() && !auds.iter().any(|a| expect.audiences.iter().any(|e| e == a))
    {
        return Err(JwtReject::Audience);
    }
    let (Some(iat), Some(exp)) = (claims.iat, claims.exp) else {
        return Err(JwtReject::Lifetime);
    };
    if exp <= iat || exp - iat > MAX_ASSERTION_LIFETIME_SECS {
        return Err(JwtReject::Lifetime);
    }
    if exp <= expect.now || iat > expect.now + IAT_SKEW_SECS {
        return Err(JwtReject::Expired);
    }
    if !scopes(claims.scope.as_ref())
        .iter()
        .any(|s| s == "rest_webservices")
    {
        return Err(JwtReject::Scope);
    }
    Ok(())
}

/// Scopes as an array, or one string separated by commas and/or spaces.
fn scopes(scope: Option<&serde_json::Value>) -> Vec<String> {
    let split = |s: &str| {
        s.split([',', ' '])
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    match scope {
        Some(serde_json::Value::String(s)) => split(s),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .flat_map(split)
            .collect(),
        _ => Vec::new(),
    }
}

fn verify_signature(
    certificate: &Certificate,
    alg: &str,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), JwtReject> {
    use rsa::signature::Verifier as _;
    fn bad<E>(_: E) -> JwtReject {
        JwtReject::Signature
    }
    match (&certificate.public_key, alg) {
        (PublicKey::Rsa(key), "PS256") => {
            let sig = rsa::pss::Signature::try_from(signature).map_err(bad)?;
            rsa::pss::VerifyingKey::<sha2::Sha256>::new(key.clone())
                .verify(signed, &sig)
                .map_err(bad)
        }
        (PublicKey::Rsa(key), "PS384") => {
            let sig = rsa::pss::Signature::try_from(signature).map_err(bad)?;
            rsa::pss::VerifyingKey::<sha2::Sha384>::new(key.clone())
                .verify(signed, &sig)
                .map_err(bad)
        }
        (PublicKey::Rsa(key), "PS512") => {
            let sig = rsa::pss::Signature::try_from(signature).map_err(bad)?;
            rsa::pss::VerifyingKey::<sha2::Sha512>::new(key.clone())
                .verify(signed, &sig)
                .map_err(bad)
        }
        (PublicKey::P256(key), "ES256") => {
            let sig = p256::ecdsa::Signature::from_slice(signature).map_err(bad)?;
            key.verify(signed, &sig).map_err(bad)
        }
        (PublicKey::P384(key), "ES384") => {
            let sig = p384::ecdsa::Signature::from_slice(signature).map_err(bad)?;
            key.verify(signed, &sig).map_err(bad)
        }
        (PublicKey::P521(key), "ES512") => {
            let sig = p521::ecdsa::Signature::from_slice(signature).map_err(bad)?;
            let key =
                p521::ecdsa::VerifyingKey::from_sec1_bytes(&key.to_sec1_bytes()).map_err(bad)?;
            key.verify(signed, &sig).map_err(bad)
        }
        _ => Err(JwtReject::KeyMismatch),
    }
}
