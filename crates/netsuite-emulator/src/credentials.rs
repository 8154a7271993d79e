//! Account secrets: TBA tokens, the OAuth 2.0 integration, and the shipped emulator-only keys.

use base64::Engine as _;
use rand::RngCore as _;
use rand::SeedableRng as _;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs8::DecodePublicKey as _;
use sha2::{Digest as _, Sha256};

use crate::account_id::AccountId;

/// The emulator-only RSA-2048 private key (PKCS#8 PEM). Public, in git, worthless elsewhere.
pub const TEST_RSA_PRIVATE_KEY_PEM: &str = include_str!("../keys/rsa-2048-private.pem");
/// The public half of [`TEST_RSA_PRIVATE_KEY_PEM`].
pub const TEST_RSA_PUBLIC_KEY_PEM: &str = include_str!("../keys/rsa-2048-public.pem");
/// The emulator-only EC P-256 private key (PKCS#8 PEM). Public, in git, worthless elsewhere.
pub const TEST_EC_PRIVATE_KEY_PEM: &str = include_str!("../keys/ec-p256-private.pem");
/// The public half of [`TEST_EC_PRIVATE_KEY_PEM`].
pub const TEST_EC_PUBLIC_KEY_PEM: &str = include_str!("../keys/ec-p256-public.pem");

/// The four TBA secrets of one integration + token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TbaCredentials {
    /// Integration record's consumer key.
    pub consumer_key: String,
    /// Integration record's consumer secret.
    pub consumer_secret: String,
    /// Access token id.
    pub token_id: String,
    /// Access token secret.
    pub token_secret: String,
}

/// An OAuth 2.0 client-credentials integration: its client id and the certificates mapped to it.
#[derive(Debug, Clone)]
pub struct OAuth2Integration {
    /// The integration's client id (the JWT `iss`).
    pub client_id: String,
    /// Uploaded certificates; the JWT `kid` names one.
    pub certificates: Vec<Certificate>,
}

/// A public key uploaded on NetSuite's M2M setup page, known by its certificate id.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// The certificate id (the JWT `kid`).
    pub certificate_id: String,
    /// The verifying key.
    pub public_key: PublicKey,
}

/// A verifying key; its type fixes which JWT algorithms it accepts.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// RSA, for PS256/PS384/PS512 (RSA-PSS only, as NetSuite).
    Rsa(rsa::RsaPublicKey),
    /// EC P-256, for ES256.
    P256(p256::ecdsa::VerifyingKey),
    /// EC P-384, for ES384.
    P384(p384::ecdsa::VerifyingKey),
    /// EC P-521, for ES512.
    P521(p521::PublicKey),
}

/// A PEM that holds no RSA, P-256, P-384 or P-521 public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RSA or EC (P-256/P-384/P-521) SubjectPublicKeyInfo PEM")]
pub struct BadPublicKey;

impl Certificate {
    /// Parses a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_pem(certificate_id: &str, pem: &str) -> Result<Self, BadPublicKey> {
        let public_key = if let Ok(k) = rsa::RsaPublicKey::from_public_key_pem(pem) {
            PublicKey::Rsa(k)
        } else if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            PublicKey::P256(k)
        } else if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_pem(pem) {
            PublicKey::P384(k)
        } else if let Ok(k) = p521::PublicKey::from_public_key_pem(pem) {
            PublicKey::P521(k)
        } else {
            return Err(BadPublicKey);
        };
        Ok(Self {
            certificate_id: certificate_id.to_owned(),
            public_key,
        })
    }
}

/// What a client needs to connect to one account: returned by [`crate::Emulator::credentials`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Credentials {
    /// Canonical account id (`1234567_SB1`), also the TBA realm.
    pub account_id: String,
    /// TBA secrets.
    pub tba: TbaCredentials,
    /// OAuth 2.0 client credentials.
    pub oauth2: OAuth2Credentials,
}

/// The client side of the OAuth 2.0 integration, with private keys for both shipped certificates.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OAuth2Credentials {
    /// Client id: the JWT `iss`.
    pub client_id: String,
    /// Certificate id of the RSA key (use with PS256/384/512).
    pub certificate_id: String,
    /// RSA-2048 private key, PKCS#8 PEM.
    pub private_key_pem: String,
    /// Certificate id of the EC P-256 key (use with ES256).
    pub ec_certificate_id: String,
    /// EC P-256 private key, PKCS#8 PEM.
    pub ec_private_key_pem: String,
}

/// Derives an account's secrets from the emulator seed and the account id, and maps both
/// shipped keys to its integration.
pub(crate) fn derive_secrets(
    account: &AccountId,
    seed: u64,
) -> (TbaCredentials, OAuth2Integration) {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(account.as_str().as_bytes());
    let mut rng = ChaCha20Rng::from_seed(hasher.finalize().into());
    let mut hex = || {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let tba = TbaCredentials {
        consumer_key: hex(),
        consumer_secret: hex(),
        token_id: hex(),
        token_secret: hex(),
    };
    let client_id = hex();
    let rsa_id = certificate_id(&hex());
    let ec_id = certificate_id(&hex());
    let certificates = vec![
        Certificate::from_pem(&rsa_id, TEST_RSA_PUBLIC_KEY_PEM).expect("shipped RSA key parses"),
        Certificate::from_pem(&ec_id, TEST_EC_PUBLIC_KEY_PEM).expect("shipped EC key parses"),
    ];
    (
        tba,
        OAuth2Integration {
            client_id,
            certificates,
        },
    )
}

/// NetSuite certificate ids look like 43 base64url characters (a SHA-256).
fn certificate_id(material: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(material.as_bytes()))
}

/// The client-side view of an account's secrets, pairing each certificate id with its private key.
pub(crate) fn client_credentials(
    account: &AccountId,
    tba: &TbaCredentials,
    oauth2: &OAuth2Integration,
) -> Credentials {
    let id_of = |rsa: bool| {
        oauth2
            .certificates
            .iter()
            .find(|c| matches!(c.public_key, PublicKey::Rsa(_)) == rsa)
            .map(|c| c.certificate_id.clone())
            .unwrap_or_default()
    };
    Credentials {
        account_id: account.as_str().to_owned(),
        tba: tba.clone(),
        oauth2: OAuth2Credentials {
            client_id: oauth2.client_id.clone(),
            certificate_id: id_of(true),
            private_key_pem: TEST_RSA_PRIVATE_KEY_PEM.to_owned(),
            ec_certificate_id: id_of(false),
            ec_private_key_pem: TEST_EC_PRIVATE_KEY_PEM.to_owned(),
        },
    }
}
