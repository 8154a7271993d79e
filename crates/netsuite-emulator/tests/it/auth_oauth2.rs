//! OAuth 2.0 client credentials: PS256/ES256 assertions are exchanged for bearer tokens;
//! wrong alg, kid, iss, aud or lifetimes are refused with 401 INVALID_LOGIN.

use reqwest::Method;
use serde_json::Value;

use crate::support::{self, assertion, claims, json_of, token_response, ACCOUNT};

#[tokio::test]
async fn a_ps256_assertion_gets_a_bearer_token_that_reads_data() {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    let jwt = assertion(
        "PS256",
        &creds.oauth2.certificate_id,
        &claims(&emulator, &creds.oauth2.client_id),
    );
    let response = token_response(&emulator, &jwt).await;
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["expires_in"], 3600);
    let access = token["access_token"].as_str().unwrap();
    let read = reqwest::Client::new()
        .request(
            Method::GET,
            format!(
                "{}/services/rest/record/v1/customer?limit=3",
                emulator.base_url()
            ),
        )
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    emulator
        .control()
        .advance_clock(chrono::Duration::seconds(3601));
    let expired = reqwest::Client::new()
        .get(format!(
            "{}/services/rest/record/v1/customer",
            emulator.base_url()
        ))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
}

#[tokio::test]
async fn an_es256_assertion_is_accepted() {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    let jwt = assertion(
        "ES256",
        &creds.oauth2.ec_certificate_id,
        &claims(&emulator, &creds.oauth2.client_id),
    );
    assert_eq!(token_response(&emulator, &jwt).await.status(), 200);
}

#[tokio::test]
async fn bad_assertions_are_refused_with_the_reason() {
    let emulator = support::start_small().await;
    let creds = emulator.credentials(ACCOUNT).unwrap();
    let good = claims(&emulator, &creds.oauth2.client_id);
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let iat = good["iat"].as_i64().unwrap();
    let cases = [
        (
            assertion("RS256", &creds.oauth2.certificate_id, &good),
            "unsupported_algorithm",
        ),
        (assertion("PS256", "no-such-kid", &good), "unknown_kid"),
        (
            assertion(
                "PS256",
                &creds.oauth2.certificate_id,
                &with("iss", "someone-else".into()),
            ),
            "unknown_issuer",
        ),
        (
            assertion(
                "PS256",
                &creds.oauth2.certificate_id,
                &with("aud", "https://example.com/token".into()),
            ),
            "invalid_audience",
        ),
        (
            assertion(
                "PS256",
                &creds.oauth2.certificate_id,
                &with("exp", (iat + 3601).into()),
            ),
            "lifetime_too_long",
        ),
        (
            assertion(
                "PS256",
                &creds.oauth2.certificate_id,
                &with("exp", (iat - 10).into()).clone(),
            ),
            "lifetime_too_long",
        ),
        (
            assertion("ES256", &creds.oauth2.certificate_id, &good),
            "algorithm_key_mismatch",
        ),
    ];
    for (jwt, reason) in cases {
        let response = token_response(&emulator, &jwt).await;
        assert_eq!(response.status(), 401, "{reason}");
        let header = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(header.contains(reason), "{header} should name {reason}");
        assert_eq!(
            support::error_code(&json_of(response).await),
            "INVALID_LOGIN"
        );
    }
    let mut expired = good.clone();
    expired["iat"] = (iat - 7200).into();
    expired["exp"] = (iat - 3600).into();
    let response = token_response(
        &emulator,
        &assertion("PS256", &creds.oauth2.certificate_id, &expired),
    )
    .await;
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("assertion_expired"));
}
