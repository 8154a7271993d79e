//! Starting emulators and signing requests for the tests.

use base64::Engine as _;
use netsuite_emulator::auth::tba::{base_string, encode, sign, OAuthHeader, SignedRequest};
use netsuite_emulator::{AccountConfig, Credentials, Emulator, EmulatorConfig, GeneratorSpec};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

pub const ACCOUNT: &str = "1234567";

/// A small generated OneWorld account (deterministic).
pub fn small_account() -> AccountConfig {
    AccountConfig::generated(
        ACCOUNT,
        GeneratorSpec {
            customers: 60,
            leads_and_prospects: 0,
            projects: 120,
            subsidiaries: 4,
            seed: 11,
        },
    )
}

pub async fn start(account: AccountConfig) -> Emulator {
    Emulator::start(EmulatorConfig::single(account))
        .await
        .expect("emulator starts")
}

pub async fn start_small() -> Emulator {
    start(small_account()).await
}

/// The TBA `Authorization` header for a request, signed with the emulator's clock.
pub fn tba_header(
    emulator: &Emulator,
    creds: &Credentials,
    method: &str,
    url: &str,
    nonce: &str,
) -> String {
    let parsed = url::Url::parse(url).expect("url");
    let host = match parsed.port() {
        Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
        None => parsed.host_str().unwrap_or_default().to_owned(),
    };
    let timestamp = emulator.control().now().timestamp().to_string();
    let params = vec![
        (
            "oauth_consumer_key".to_owned(),
            creds.tba.consumer_key.clone(),
        ),
        ("oauth_token".to_owned(), creds.tba.token_id.clone()),
        ("oauth_nonce".to_owned(), nonce.to_owned()),
        ("oauth_timestamp".to_owned(), timestamp),
        (
            "oauth_signature_method".to_owned(),
            "HMAC-SHA256".to_owned(),
        ),
        ("oauth_version".to_owned(), "1.0".to_owned()),
    ];
    let header = OAuthHeader {
        realm: Some(creds.account_id.clone()),
        params,
    };
    let request = SignedRequest {
        method,
        scheme: parsed.scheme(),
        host: &host,
        path: parsed.path(),
        query: parsed.query(),
    };
    let signature = sign(
        &base_string(&request, &header),
        &creds.tba.consumer_secret,
        &creds.tba.token_secret,
    );
    let mut out = format!("OAuth realm=\"{}\"", creds.account_id);
    for (k, v) in header
        .params
        .iter()
        .chain(std::iter::once(&("oauth_signature".to_owned(), signature)))
    {
        out.push_str(&format!(", {k}=\"{}\"", encode(v)));
    }
    out
}

/// A fresh nonce per call (unique within a test process).
pub fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("nonce{:08}", N.fetch_add(1, Ordering::SeqCst))
}

/// A request signed with TBA.
pub fn tba_request(emulator: &Emulator, method: Method, path_and_query: &str) -> RequestBuilder {
    let creds = emulator.credentials(ACCOUNT).expect("account");
    let url = format!("{}{path_and_query}", emulator.base_url());
    let auth = tba_header(emulator, &creds, method.as_str(), &url, &nonce());
    reqwest::Client::new()
        .request(method, url)
        .header("Authorization", auth)
}

/// Runs one SuiteQL page with TBA.
pub async fn suiteql(emulator: &Emulator, query: &str, q: &str) -> Response {
    tba_request(
        emulator,
        Method::POST,
        &format!("/services/rest/query/v1/suiteql{query}"),
    )
    .header("Prefer", "transient")
    .json(&json!({"q": q}))
    .send()
    .await
    .expect("request")
}

pub async fn json_of(response: Response) -> Value {
    response.json().await.expect("json body")
}

/// The single error code of a NetSuite error body.
pub fn error_code(body: &Value) -> &str {
    body["o:errorDetails"][0]["o:errorCode"]
        .as_str()
        .unwrap_or_default()
}

/// The single error detail of a NetSuite error body.
pub fn error_detail(body: &Value) -> &str {
    body["o:errorDetails"][0]["detail"]
        .as_str()
        .unwrap_or_default()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A client assertion signed with the shipped keys (`alg` picks RSA-PSS or ECDSA P-256).
pub fn assertion(alg: &str, kid: &str, claims: &Value) -> String {
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _, Signer as _};
    let header = b64(json!({"typ": "JWT", "alg": alg, "kid": kid})
        .to_string()
        .as_bytes());
    let signing_input = format!("{header}.{}", b64(claims.to_string().as_bytes()));
    let mut rng = rand::thread_rng();
    let signature = match alg {
        "PS256" | "PS384" | "PS512" => {
            let key =
                rsa::RsaPrivateKey::from_pkcs8_pem(netsuite_emulator::TEST_RSA_PRIVATE_KEY_PEM)
                    .expect("rsa key");
            match alg {
                "PS256" => rsa::pss::BlindedSigningKey::<sha2::Sha256>::new(key)
                    .sign_with_rng(&mut rng, signing_input.as_bytes())
                    .to_vec(),
                "PS384" => rsa::pss::BlindedSigningKey::<sha2::Sha384>::new(key)
                    .sign_with_rng(&mut rng, signing_input.as_bytes())
                    .to_vec(),
                _ => rsa::pss::BlindedSigningKey::<sha2::Sha512>::new(key)
                    .sign_with_rng(&mut rng, signing_input.as_bytes())
                    .to_vec(),
            }
        }
        "RS256" => {
            let key =
                rsa::RsaPrivateKey::from_pkcs8_pem(netsuite_emulator::TEST_RSA_PRIVATE_KEY_PEM)
                    .expect("rsa key");
            rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key)
                .sign(signing_input.as_bytes())
                .to_vec()
        }
        _ => {
            let key =
                p256::ecdsa::SigningKey::from_pkcs8_pem(netsuite_emulator::TEST_EC_PRIVATE_KEY_PEM)
                    .expect("ec key");
            let sig: p256::ecdsa::Signature = key.sign(signing_input.as_bytes());
            sig.to_bytes().to_vec()
        }
    };
    format!("{signing_input}.{}", b64(&signature))
}

/// Standard claims for the emulator's token URL at `base_url`.
pub fn claims(emulator: &Emulator, client_id: &str) -> Value {
    let now = emulator.control().now().timestamp();
    json!({
        "iss": client_id,
        "scope": ["rest_webservices"],
        "aud": format!("{}/services/rest/auth/oauth2/v1/token", emulator.base_url()),
        "iat": now,
        "exp": now + 1800,
    })
}

/// Posts an assertion to the token endpoint.
pub async fn token_response(emulator: &Emulator, assertion: &str) -> Response {
    let form = [
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    reqwest::Client::new()
        .post(format!(
            "{}/services/rest/auth/oauth2/v1/token",
            emulator.base_url()
        ))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token request")
}
