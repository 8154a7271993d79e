//! NetSuite credentials of an integration. Secret parts never show in `Debug`.

use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::option::text_enum;
use crate::Error;

text_enum!(
    /// How nsync authenticates to NetSuite.
    AuthKind, "auth kind" {
        /// OAuth 2.0 client credentials with a certificate.
        OAuth2 = "oauth2",
        /// Token-based authentication (OAuth 1.0a style signatures).
        Tba = "tba",
    }
);

/// The secret material of an integration. The store encrypts it at rest.
#[derive(Clone)]
pub enum Credentials {
    /// OAuth 2.0 client credentials (machine to machine) with a certificate.
    OAuth2 {
        /// The integration record's client id.
        client_id: String,
        /// The certificate id NetSuite assigned.
        certificate_id: String,
        /// The private key, PEM.
        private_key_pem: SecretString,
    },
    /// Token-based authentication.
    Tba {
        /// Consumer key.
        consumer_key: String,
        /// Consumer secret.
        consumer_secret: SecretString,
        /// Token id.
        token_id: String,
        /// Token secret.
        token_secret: SecretString,
    },
}

impl Credentials {
    /// Which kind of authentication these are.
    pub fn kind(&self) -> AuthKind {
        match self {
            Self::OAuth2 { .. } => AuthKind::OAuth2,
            Self::Tba { .. } => AuthKind::Tba,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Ids are not secret and help support; every secret shows as redacted.
        match self {
            Self::OAuth2 {
                client_id,
                certificate_id,
                ..
            } => f
                .debug_struct("OAuth2")
                .field("client_id", client_id)
                .field("certificate_id", certificate_id)
                .field("private_key_pem", &"[REDACTED]")
                .finish(),
            Self::Tba {
                consumer_key,
                token_id,
                ..
            } => f
                .debug_struct("Tba")
                .field("consumer_key", consumer_key)
                .field("consumer_secret", &"[REDACTED]")
                .field("token_id", token_id)
                .field("token_secret", &"[REDACTED]")
                .finish(),
        }
    }
}

/// Plain form, serialised only inside the encryption envelope.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum CredentialsWire {
    /// See [`Credentials::OAuth2`].
    #[serde(rename = "oauth2")]
    OAuth2 {
        /// Client id.
        client_id: String,
        /// Certificate id.
        certificate_id: String,
        /// Private key PEM.
        private_key_pem: String,
    },
    /// See [`Credentials::Tba`].
    Tba {
        /// Consumer key.
        consumer_key: String,
        /// Consumer secret.
        consumer_secret: String,
        /// Token id.
        token_id: String,
        /// Token secret.
        token_secret: String,
    },
}

impl Credentials {
    /// Serialises the credentials to JSON bytes, for encryption. The caller must not log them.
    pub fn to_plaintext(&self) -> Vec<u8> {
        use secrecy::ExposeSecret;
        let wire = match self {
            Self::OAuth2 {
                client_id,
                certificate_id,
                private_key_pem,
            } => CredentialsWire::OAuth2 {
                client_id: client_id.clone(),
                certificate_id: certificate_id.clone(),
                private_key_pem: private_key_pem.expose_secret().to_owned(),
            },
            Self::Tba {
                consumer_key,
                consumer_secret,
                token_id,
                token_secret,
            } => CredentialsWire::Tba {
                consumer_key: consumer_key.clone(),
                consumer_secret: consumer_secret.expose_secret().to_owned(),
                token_id: token_id.clone(),
                token_secret: token_secret.expose_secret().to_owned(),
            },
        };
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Reads credentials back from decrypted JSON bytes.
    pub fn from_plaintext(bytes: &[u8]) -> Result<Self, Error> {
        let wire: CredentialsWire =
            serde_json::from_slice(bytes).map_err(|_| Error::UnknownValue {
                what: "credentials",
                value: "(unreadable; not shown)".to_owned(),
            })?;
        Ok(match wire {
            CredentialsWire::OAuth2 {
                client_id,
                certificate_id,
                private_key_pem,
            } => Self::OAuth2 {
                client_id,
                certificate_id,
                private_key_pem: private_key_pem.into(),
            },
            CredentialsWire::Tba {
                consumer_key,
                consumer_secret,
                token_id,
                token_secret,
            } => Self::Tba {
                consumer_key,
                consumer_secret: consumer_secret.into(),
                token_id,
                token_secret: token_secret.into(),
            },
        })
    }
}
