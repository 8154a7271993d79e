//! The operator's master key and the AES-256-GCM envelope credentials are sealed in.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;

use crate::StoreError;

const NONCE_LEN: usize = 12;

/// The environment variable holding the master key (base64 of 32 bytes).
pub const MASTER_KEY_ENV: &str = "NSYNC_MASTER_KEY";

/// The 256-bit key credentials are encrypted under. Given by the operator; never stored,
/// never shown (`Debug` prints `[REDACTED]`).
pub struct MasterKey(SecretBox<[u8; 32]>);

impl MasterKey {
    /// Reads a key from its base64 text (standard alphabet, 32 bytes once decoded).
    pub fn from_base64(text: &str) -> Result<Self, StoreError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| StoreError::MasterKey("the master key is not valid base64".to_owned()))?;
        let key: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            StoreError::MasterKey(format!("the master key must be 32 bytes, not {}", b.len()))
        })?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// Reads a key file holding the base64 text.
    pub fn from_file(path: &Path) -> Result<Self, StoreError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            StoreError::MasterKey(format!("cannot read the key file {}: {e}", path.display()))
        })?;
        Self::from_base64(&text)
    }

    /// Reads the key from `NSYNC_MASTER_KEY`.
    pub fn from_env() -> Result<Self, StoreError> {
        let text = std::env::var(MASTER_KEY_ENV).map_err(|_| {
            StoreError::MasterKey(format!("set {MASTER_KEY_ENV} to a base64 32-byte key"))
        })?;
        Self::from_base64(&text)
    }

    /// A fresh random key, with its base64 text (for the operator to keep).
    pub fn generate() -> (Self, String) {
        let key: [u8; 32] = Aes256Gcm::generate_key(&mut OsRng).into();
        let text = base64::engine::general_purpose::STANDARD.encode(key);
        (Self(SecretBox::new(Box::new(key))), text)
    }

    /// A 32-byte key for another purpose (`label`), derived with HMAC-SHA256: every process
    /// that holds the master key agrees on it, with no second secret to hand out. Rotating the
    /// master key changes it too.
    pub fn derive(&self, label: &str) -> SecretBox<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"nsync:derived-key:v1:");
        mac.update(label.as_bytes());
        SecretBox::new(Box::new(mac.finalize().into_bytes().into()))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(*self.0.expose_secret()))
    }

    /// Encrypts with a fresh random nonce; returns nonce followed by ciphertext and tag.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // Encryption only fails for inputs of gigabytes; credentials are a few kilobytes.
        let ciphertext = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_default();
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same key and associated data.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::from(<[u8; NONCE_LEN]>::try_from(nonce).ok()?);
        self.cipher()
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .ok()
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([REDACTED])")
    }
}

/// The associated data binding a sealed credential to its company and integration, so a
/// ciphertext copied onto another integration's row does not open.
pub(crate) fn credentials_aad(company: i64, integration: i64) -> Vec<u8> {
    format!("nsync:credentials:v1:company={company}:integration={integration}").into_bytes()
}

/// The associated data binding a sealed notification secret to its company and integration.
pub(crate) fn hook_secret_aad(company: i64, integration: i64) -> Vec<u8> {
    format!("nsync:hook-secret:v1:company={company}:integration={integration}").into_bytes()
}
