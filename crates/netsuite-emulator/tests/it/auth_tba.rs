//! TBA: the shared known-answer vectors are accepted over HTTP; everything NetSuite refuses is refused.

use chrono::TimeZone as _;
use netsuite_emulator::{AccountConfig, Emulator, EmulatorConfig, TbaCredentials};
use reqwest::Method;
use serde_json::Value;

use crate::support::{self, ACCOUNT};

fn vectors() -> Value {
    serde_json::from_str(include_str!(
        "../../../../testdata/netsuite/tba-vectors.json"
    ))
    .expect("vectors json")
}

/// Two accounts holding the vectors' secrets: `123456` and `1234567_SB1`.
async fn vector_emulator(v: &Value) -> Emulator {
    let tba = TbaCredentials {
        consumer_key: v["consumer_key"].as_str().unwrap().to_owned(),
        consumer_secret: v["consumer_secret"].as_str().unwrap().to_owned(),
        token_id: v["token_id"].as_str().unwrap().to_owned(),
        token_secret: v["token_secret"].as_str().unwrap().to_owned(),
    };
    let mut accounts = Vec::new();
    for id in ["123456", "1234567_SB1"] {
        let mut account =
            AccountConfig::with_dataset(id, 1, netsuite_emulator::DatasetChoice::Empty);
        account.tba = tba.clone();
        accounts.push(account);
    }
    let mut config = EmulatorConfig::single(accounts.remove(0));
    config.accounts.extend(accounts);
    let emulator = Emulator::start(config).await.expect("start");
    emulator.control().set_clock(
        chrono::Utc
            .timestamp_opt(v["timestamp"].as_i64().unwrap(), 0)
            .unwrap(),
    );
    emulator
}

/// Sends a vector's request exactly as signed: its Host, its scheme (via X-Forwarded-Proto).
async fn send_vector(
    emulator: &Emulator,
    v: &Value,
    case: &Value,
    signature: &str,
) -> reqwest::Response {
    let url = url::Url::parse(case["url"].as_str().unwrap()).unwrap();
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap()),
        None => url.host_str().unwrap().to_owned(),
    };
    let realm = if host.starts_with("1234567-sb1") {
        "1234567_SB1"
    } else {
        "123456"
    };
    let enc = netsuite_emulator::auth::tba::encode;
    let header = format!(
        "OAuth realm=\"{realm}\", oauth_token=\"{}\", oauth_consumer_key=\"{}\", oauth_nonce=\"{}\", oauth_timestamp=\"{}\", oauth_signature_method=\"HMAC-SHA256\", oauth_version=\"1.0\", oauth_signature=\"{}\"",
        v["token_id"].as_str().unwrap(), v["consumer_key"].as_str().unwrap(), v["nonce"].as_str().unwrap(), v["timestamp"], enc(signature)
    );
    let target = format!(
        "{}{}{}",
        emulator.base_url(),
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    let method = Method::from_bytes(case["method"].as_bytes_hack()).unwrap();
    reqwest::Client::new()
        .request(method, target)
        .header("Host", host)
        .header("X-Forwarded-Proto", url.scheme())
        .header("Authorization", header)
        .header("Prefer", "transient")
        .body("{\"q\": \"SELECT id FROM subsidiary\"}")
        .send()
        .await
        .unwrap()
}

trait AsBytesHack {
    fn as_bytes_hack(&self) -> &[u8];
}

impl AsBytesHack for Value {
    fn as_bytes_hack(&self) -> &[u8] {
        self.as_str().unwrap_or_default().as_bytes()
    }
}

#[tokio::test]
async fn every_shared_vector_is_accepted_and_a_one_byte_change_is_refused() {
    let v = vectors();
    let emulator = vector_emulator(&v).await;
    for case in v["cases"].as_array().unwrap() {
        emulator.control().clear_nonces();
        let response = send_vector(&emulator, &v, case, case["signature"].as_str().unwrap()).await;
        assert_ne!(response.status(), 401, "vector refused: {}", case["url"]);
        emulator.control().clear_nonces();
        let mut bad = case["signature"].as_str().unwrap().to_owned();
        let first = if bad.starts_with('A') { "B" } else { "A" };
        bad.replace_range(0..1, first);
        let response = send_vector(&emulator, &v, case, &bad).await;
        assert_eq!(
            response.status(),
            401,
            "tampered vector accepted: {}",
            case["url"]
        );
    }
}

async fn reason_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 401);
    let header = response
        .headers()
        .get("www-authenticate")
        .map(|h| h.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = response.json().await.unwrap();
    assert_eq!(support::error_code(&body), "INVALID_LOGIN");
    header
}

/// Sends a signed request after letting `tweak` rewrite the Authorization header.
async fn with_header(tweak: impl Fn(String) -> String) -> String {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    let url = format!(
        "{}/services/rest/record/v1/customer?limit=5",
        emulator.base_url()
    );
    let header = tweak(support::tba_header(
        &emulator,
        &creds,
        "GET",
        &url,
        &support::nonce(),
    ));
    let response = reqwest::Client::new()
        .get(url)
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    reason_of(response).await
}

#[tokio::test]
async fn a_correctly_signed_request_is_accepted() {
    let emulator = support::start_small().await;
    let response = support::tba_request(
        &emulator,
        Method::GET,
        "/services/rest/record/v1/customer?limit=5",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn hmac_sha1_is_refused() {
    let reason = with_header(|h| h.replace("HMAC-SHA256", "HMAC-SHA1")).await;
    assert!(reason.contains("UnknownAlgorithm"), "{reason}");
}

#[tokio::test]
async fn a_lower_case_sandbox_realm_is_refused() {
    let emulator = support::start(AccountConfig::with_dataset(
        "1234567_SB1",
        3,
        netsuite_emulator::DatasetChoice::Empty,
    ))
    .await;
    let mut creds = emulator.credentials("1234567_SB1").unwrap();
    creds.account_id = "1234567_sb1".to_owned();
    let url = format!("{}/services/rest/record/v1/customer", emulator.base_url());
    let header = support::tba_header(&emulator, &creds, "GET", &url, &support::nonce());
    let response = reqwest::Client::new()
        .get(url)
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    assert!(reason_of(response).await.contains("realm_rejected"));
}

#[tokio::test]
async fn a_signature_over_another_query_is_refused() {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    let signed_url = format!(
        "{}/services/rest/record/v1/customer?limit=5",
        emulator.base_url()
    );
    let header = support::tba_header(&emulator, &creds, "GET", &signed_url, &support::nonce());
    let sent_url = format!(
        "{}/services/rest/record/v1/customer?limit=6",
        emulator.base_url()
    );
    let response = reqwest::Client::new()
        .get(sent_url)
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    assert!(reason_of(response).await.contains("InvalidSignature"));
}

#[tokio::test]
async fn a_timestamp_older_than_five_minutes_is_refused() {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    let url = format!("{}/services/rest/record/v1/customer", emulator.base_url());
    let header = support::tba_header(&emulator, &creds, "GET", &url, &support::nonce());
    emulator
        .control()
        .advance_clock(chrono::Duration::seconds(301));
    let response = reqwest::Client::new()
        .get(url)
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    assert!(reason_of(response).await.contains("InvalidTimestamp"));
}

#[tokio::test]
async fn a_reused_nonce_is_refused() {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    emulator.control().set_clock(chrono::Utc::now());
    let url = format!("{}/services/rest/record/v1/customer", emulator.base_url());
    let header = support::tba_header(&emulator, &creds, "GET", &url, "samenonce123");
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(&url)
            .header("Authorization", &header)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let again = client
        .get(&url)
        .header("Authorization", &header)
        .send()
        .await
        .unwrap();
    assert!(reason_of(again).await.contains("nonce_used"));
}

#[tokio::test]
async fn a_nonce_shorter_than_six_characters_is_refused() {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    let url = format!("{}/services/rest/record/v1/customer", emulator.base_url());
    let header = support::tba_header(&emulator, &creds, "GET", &url, "abc12");
    let response = reqwest::Client::new()
        .get(url)
        .header("Authorization", header)
        .send()
        .await
        .unwrap();
    assert!(reason_of(response).await.contains("nonce_rejected"));
}

#[tokio::test]
async fn a_request_without_credentials_is_refused() {
    let emulator = support::start_small().await;
    let response = reqwest::get(format!(
        "{}/services/rest/record/v1/customer",
        emulator.base_url()
    ))
    .await
    .unwrap();
    assert!(reason_of(response).await.contains("missing_authorization"));
}
