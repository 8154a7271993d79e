//! The OAuth 2.0 client assertion: PS256 from an RSA key, ES256 from an EC key, NetSuite's claims.

use chrono::{TimeZone, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use netsuite::auth::jwt::client_assertion;
use netsuite::ClientCredentials;
use serde_json::Value;
use url::Url;

fn creds(pem: &str) -> ClientCredentials {
    ClientCredentials {
        client_id: "client-1".into(),
        certificate_id: "cert-1".into(),
        private_key_pem: pem.to_owned().into(),
    }
}

fn token_url() -> Url {
    Url::parse("https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token")
        .unwrap()
}

fn verify(token: &str, alg: Algorithm, key: DecodingKey) -> Value {
    let mut validation = Validation::new(alg);
    validation.set_audience(&[token_url().as_str()]);
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}

#[test]
fn an_rsa_key_signs_ps256_with_netsuites_claims() {
    let now = Utc.with_ymd_and_hms(2026, 3, 8, 9, 0, 0).unwrap();
    let token = client_assertion(
        &creds(include_str!("keys/rsa-test-private.pem")),
        &token_url(),
        now,
        "jti-1",
    )
    .unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::PS256);
    assert_eq!(header.kid.as_deref(), Some("cert-1"));
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let key = DecodingKey::from_rsa_pem(include_bytes!("keys/rsa-test-public.pem")).unwrap();
    let claims = verify(&token, Algorithm::PS256, key);
    assert_eq!(claims["iss"], "client-1");
    assert_eq!(claims["aud"], token_url().as_str());
    assert_eq!(claims["scope"], serde_json::json!(["rest_webservices"]));
    assert_eq!(claims["iat"], now.timestamp());
    let life = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(life > 0 && life < 3600, "{life}");
    assert_eq!(claims["jti"], "jti-1");
}

#[test]
fn an_ec_key_signs_es256() {
    let now = Utc::now();
    let token = client_assertion(
        &creds(include_str!("keys/ec-test-private.pem")),
        &token_url(),
        now,
        "j",
    )
    .unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&token).unwrap().alg,
        Algorithm::ES256
    );
    let key = DecodingKey::from_ec_pem(include_bytes!("keys/ec-test-public.pem")).unwrap();
    assert_eq!(verify(&token, Algorithm::ES256, key)["iss"], "client-1");
}

#[test]
fn a_key_that_is_not_a_private_key_is_refused_with_a_clear_error() {
    let err = client_assertion(&creds("not a key"), &token_url(), Utc::now(), "j").unwrap_err();
    assert!(
        err.to_string().contains("OAuth 2.0 Client Credentials"),
        "{err}"
    );
    let public = include_str!("keys/rsa-test-public.pem");
    assert!(client_assertion(&creds(public), &token_url(), Utc::now(), "j").is_err());
}

#[test]
fn the_private_key_never_shows_in_debug_output() {
    let text = format!(
        "{:?}",
        netsuite::Auth::OAuth2(creds(include_str!("keys/rsa-test-private.pem")))
    );
    assert!(
        !text.contains("PRIVATE KEY") && text.contains("cert-1"),
        "{text}"
    );
}
