//! The TBA (OAuth 1.0a, HMAC-SHA256) signer. Pure: the clock and the nonce are arguments, so the
//! known-answer vectors pin it byte for byte.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use secrecy::ExposeSecret;
use sha2::Sha256;
use url::Url;

use super::TbaCredentials;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (RFC 5849 3.6).
const OAUTH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes per RFC 5849 section 3.6.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, OAUTH).to_string()
}

/// The per-request values that make each signature unique.
#[derive(Debug, Clone, Copy)]
pub struct Nonce<'a> {
    /// At least 6 characters, unique per token and timestamp (20 is ideal).
    pub nonce: &'a str,
    /// Seconds since the Unix epoch; NetSuite accepts +/- 5 minutes.
    pub timestamp: i64,
}

/// The `oauth_*` parameters that are signed, in the order NetSuite's example header lists them.
fn oauth_params(creds: &TbaCredentials, n: Nonce<'_>) -> Vec<(&'static str, String)> {
    vec![
        ("oauth_token", creds.token_id.expose_secret().to_owned()),
        (
            "oauth_consumer_key",
            creds.consumer_key.expose_secret().to_owned(),
        ),
        ("oauth_nonce", n.nonce.to_owned()),
        ("oauth_timestamp", n.timestamp.to_string()),
        ("oauth_signature_method", "HMAC-SHA256".to_owned()),
        ("oauth_version", "1.0".to_owned()),
    ]
}

/// The base string URI: lower-case scheme and host, the port only when not the default, the path.
fn base_uri(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{host}{port}{}",
        url.scheme().to_ascii_lowercase(),
        url.path()
    )
}

/// The RFC 5849 signature base string: method, URI, and every oauth and query parameter sorted.
/// The realm is not part of it.
pub fn base_string(method: &str, url: &Url, creds: &TbaCredentials, n: Nonce<'_>) -> String {
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (encode(&k), encode(&v)))
        .chain(
            oauth_params(creds, n)
                .into_iter()
                .map(|(k, v)| (encode(k), encode(&v))),
        )
        .collect();
    params.sort();
    let joined = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(&base_uri(url)),
        encode(&joined)
    )
}

/// `base64(HMAC-SHA256(enc(consumer_secret)&enc(token_secret), base_string))`.
pub fn signature(method: &str, url: &Url, creds: &TbaCredentials, n: Nonce<'_>) -> String {
    let key = format!(
        "{}&{}",
        encode(creds.consumer_secret.expose_secret()),
        encode(creds.token_secret.expose_secret())
    );
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base_string(method, url, creds, n).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The full `Authorization` header value, with every value percent-encoded.
pub fn authorization_header(
    realm: &str,
    method: &str,
    url: &Url,
    creds: &TbaCredentials,
    n: Nonce<'_>,
) -> String {
    let sig = signature(method, url, creds, n);
    let mut parts = vec![format!("realm=\"{}\"", encode(realm))];
    for (k, v) in oauth_params(creds, n) {
        parts.push(format!("{k}=\"{}\"", encode(&v)));
    }
    parts.push(format!("oauth_signature=\"{}\"", encode(&sig)));
    format!("OAuth {}", parts.join(", "))
}
