//! Credentials and the two ways NetSuite accepts them: token-based auth (OAuth 1.0a, signed per
//! request) and OAuth 2.0 client credentials (a signed JWT exchanged for a bearer token).

pub mod jwt;
pub mod tba;

use std::fmt;

use secrecy::SecretString;

/// Token-based authentication secrets: the integration's consumer key/secret and the user's token.
#[derive(Clone)]
pub struct TbaCredentials {
    /// Consumer key of the integration record.
    pub consumer_key: SecretString,
    /// Consumer secret of the integration record.
    pub consumer_secret: SecretString,
    /// Token id of the access token.
    pub token_id: SecretString,
    /// Token secret of the access token.
    pub token_secret: SecretString,
}

/// OAuth 2.0 client-credentials (machine to machine) secrets.
#[derive(Clone)]
pub struct ClientCredentials {
    /// Client id of the integration record (the JWT `iss`).
    pub client_id: String,
    /// Certificate id shown on the OAuth 2.0 Client Credentials Setup page (the JWT `kid`).
    pub certificate_id: String,
    /// PEM private key matching the uploaded certificate: RSA (signed PS256) or EC P-256 (ES256).
    pub private_key_pem: SecretString,
}

/// How the client proves who it is. `Debug` never prints a secret.
#[derive(Clone)]
pub enum Auth {
    /// Token-based authentication (OAuth 1.0a, HMAC-SHA256).
    Tba(TbaCredentials),
    /// OAuth 2.0 client credentials with a certificate.
    OAuth2(ClientCredentials),
}

impl Auth {
    /// A short name for logs and the request log: `tba` or `oauth2`.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::Tba(_) => "tba",
            Auth::OAuth2(_) => "oauth2",
        }
    }
}

impl fmt::Debug for TbaCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TbaCredentials([REDACTED])")
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client and certificate ids are not secret and help support find the integration.
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("certificate_id", &self.certificate_id)
            .field("private_key_pem", &"[REDACTED]")
            .finish()
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Tba(c) => f.debug_tuple("Tba").field(c).finish(),
            Auth::OAuth2(c) => f.debug_tuple("OAuth2").field(c).finish(),
        }
    }
}
