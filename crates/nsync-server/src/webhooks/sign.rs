//! Signing as the Standard Webhooks specification says: the secret is `whsec_` and the
//! base64 of the key; the signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the
//! signature is `v1,` and the base64 of its HMAC-SHA256, one per secret, separated by spaces
//! (so a receiver that has either secret of a rotation accepts it).
//! <https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The prefix of a secret.
const PREFIX: &str = "whsec_";
/// Key bytes of a new secret: the specification asks for 24 to 64.
const KEY_BYTES: usize = 32;

/// A stored secret that is not one this module made (a damaged row).
#[derive(Debug, thiserror::Error)]
#[error("the webhook secret is not a whsec_ secret")]
pub struct SecretError;

/// A new secret, `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> SecretString {
    let mut key = [0u8; KEY_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut key);
    SecretString::from(format!("{PREFIX}{}", STANDARD.encode(key)))
}

/// The `webhook-signature` header of `body` sent as message `id` at `timestamp` (seconds
/// since the Unix epoch), one signature per secret.
pub fn signature_header(
    secrets: &[SecretString],
    id: &str,
    timestamp: i64,
    body: &str,
) -> Result<String, SecretError> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let encoded = secret
            .expose_secret()
            .strip_prefix(PREFIX)
            .ok_or(SecretError)?;
        let key = STANDARD.decode(encoded).map_err(|_| SecretError)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SecretError)?;
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body.as_bytes());
        signatures.push(format!(
            "v1,{}",
            STANDARD.encode(mac.finalize().into_bytes())
        ));
    }
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A known answer computed apart from this code (Python's `hmac` over the same content):
    /// this secret, id, timestamp and body sign to this. `scripts/test` also checks live
    /// deliveries with the PyPI `standardwebhooks` package.
    #[test]
    fn signs_the_reference_example() {
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned());
        let header = signature_header(
            &[secret],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_rotation_signs_with_both_and_a_new_secret_is_well_formed() {
        let (a, b) = (new_secret(), new_secret());
        assert!(a.expose_secret().starts_with("whsec_"));
        assert_ne!(a.expose_secret(), b.expose_secret());
        let header = signature_header(&[a, b], "msg_1", 1, "{}").unwrap();
        assert_eq!(header.split(' ').count(), 2);
        assert!(signature_header(&[SecretString::from("nope".to_owned())], "m", 1, "").is_err());
    }
}
