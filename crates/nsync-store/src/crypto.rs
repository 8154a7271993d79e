//! The operator's master key and the AES-256-GCM envelope credentials are sealed in.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use hkdf::Hkdf;
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

    /// A 32-byte key for another purpose (`label`), derived with HKDF-SHA256 (RFC 5869): every
    /// process that holds the master key agrees on it, with no second secret to hand out.
    /// Rotating the master key changes it too. Sealing does not use it (credentials are sealed
    /// under the master key itself), so a change of derivation never touches a ciphertext.
    pub fn derive(&self, label: &str) -> SecretBox<[u8; 32]> {
        let hkdf = Hkdf::<Sha256>::new(Some(b"nsync:derived-key:v2"), self.0.expose_secret());
        let mut okm = [0u8; 32];
        hkdf.expand(label.as_bytes(), &mut okm)
            .unwrap_or_else(|_| unreachable!("32 bytes is within HKDF-SHA256's 8,160"));
        SecretBox::new(Box::new(okm))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_key_is_hkdf_sha256_of_the_master_key() {
        // Computed independently: Python's hmac module, RFC 5869's extract-then-expand with the
        // salt "nsync:derived-key:v2" and the label as info.
        let key = MasterKey(SecretBox::new(Box::new(std::array::from_fn(|i| i as u8))));
        let derived = key.derive("sessions");
        let hex: String = derived
            .expose_secret()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "11be5d822f6dd5905fed990a49ebc35fadaa1d06e82c7ea331b595f7a8e8ed3a"
        );
        assert_ne!(key.derive("other").expose_secret(), derived.expose_secret());
    }
}
