//! Token-based authentication (OAuth 1.0a, HMAC-SHA256) as NetSuite checks it: a pure verifier.
//!
//! Deliberately written apart from the `netsuite` client's signer: the two agreeing on the
//! shared known-answer vectors is the evidence that both follow RFC 5849.

use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;

/// RFC 3986 unreserved characters stay; everything else is `%XX` (upper-case hex).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Why NetSuite refuses a TBA request; [`TbaReject::reason`] is what `WWW-Authenticate` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TbaReject {
    /// The header is not `OAuth k="v", ...` or lacks a required parameter.
    #[error("MissingTokenPassportRequiredFields")]
    Malformed,
    /// The realm is missing or not the canonical account id of this account.
    #[error("realm_rejected")]
    Realm,
    /// Not HMAC-SHA256.
    #[error("UnknownAlgorithm")]
    Algorithm,
    /// `oauth_version` present and not `1.0`.
    #[error("VersionRejected")]
    Version,
    /// Nonce shorter than 6 characters.
    #[error("nonce_rejected")]
    NonceTooShort,
    /// Nonce already used with this token and timestamp.
    #[error("nonce_used")]
    NonceUsed,
    /// Timestamp more than 300 s away from the (emulated) server time.
    #[error("InvalidTimestamp")]
    Timestamp,
    /// Unknown consumer key.
    #[error("consumer_key_unknown")]
    ConsumerKey,
    /// Unknown token.
    #[error("token_rejected")]
    Token,
    /// Signature does not match.
    #[error("InvalidSignature")]
    Signature,
}

impl TbaReject {
    /// The reason text for `WWW-Authenticate`'s `error_description`.
    pub fn reason(self) -> String {
        self.to_string()
    }
}

/// A parsed `Authorization: OAuth ...` header with its values percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthHeader {
    /// `realm`, if sent.
    pub realm: Option<String>,
    /// Every other parameter (including `oauth_signature`), in header order.
    pub params: Vec<(String, String)>,
}

impl OAuthHeader {
    /// Parses `OAuth realm="1234567", oauth_token="...", ...`.
    pub fn parse(header: &str) -> Result<Self, TbaReject> {
        let rest = header
            .trim()
            .strip_prefix("OAuth ")
            .ok_or(TbaReject::Malformed)?;
        let mut realm = None;
        let mut params = Vec::new();
        for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, quoted) = part.split_once('=').ok_or(TbaReject::Malformed)?;
            let value = quoted
                .trim()
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or(TbaReject::Malformed)?;
            let value = decode(value)?;
            match name.trim() {
                "realm" => realm = Some(value),
                other => params.push((decode(other)?, value)),
            }
        }
        Ok(Self { realm, params })
    }

    /// The value of one parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn decode(text: &str) -> Result<String, TbaReject> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| TbaReject::Malformed)
}

/// RFC 3986 percent-encoding as OAuth 1.0a uses it.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, RFC3986).to_string()
}

/// The request as the client sent it, which is what the signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The `Host` header (with port, if the client sent one).
    pub host: &'a str,
    /// Path, exactly as sent.
    pub path: &'a str,
    /// Raw query string, without `?`.
    pub query: Option<&'a str>,
}

/// The RFC 5849 signature base string: method, base URI, and sorted, re-encoded parameters
/// (every `oauth_*` but the signature, plus every query parameter).
pub fn base_string(request: &SignedRequest<'_>, oauth: &OAuthHeader) -> String {
    let mut pairs: Vec<(String, String)> = oauth
        .params
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .map(|(k, v)| (encode(k), encode(v)))
        .collect();
    if let Some(query) = request.query {
        pairs.extend(
            url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (encode(&k), encode(&v))),
        );
    }
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        request.method.to_ascii_uppercase(),
        encode(&base_uri(request)),
        encode(&normalized)
    )
}

/// `scheme://host[:port]/path`, lower-case scheme and host, default ports dropped.
fn base_uri(request: &SignedRequest<'_>) -> String {
    let scheme = request.scheme.to_ascii_lowercase();
    let mut host = request.host.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    if let Some(stripped) = host.strip_suffix(default_port) {
        host = stripped.to_owned();
    }
    format!("{scheme}://{host}{}", request.path)
}

/// `base64(HMAC-SHA256(enc(consumer_secret)&enc(token_secret), base_string))`.
pub fn sign(base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Compares a sent signature with the expected one in constant time.
pub fn signature_matches(
    base: &str,
    consumer_secret: &str,
    token_secret: &str,
    sent: &str,
) -> bool {
    let Ok(sent) = base64::engine::general_purpose::STANDARD.decode(sent) else {
        return false;
    };
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base.as_bytes());
    mac.verify_slice(&sent).is_ok()
}
