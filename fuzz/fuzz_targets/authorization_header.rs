//! Arbitrary bytes as the `Authorization` header of a NetSuite API request to the emulator, checked
//! as its gate checks them (TBA and bearer), and, after `Bearer `, as an OAuth 2.0 client assertion
//! checked as its token endpoint checks them: accepted or refused, never a panic.
#![no_main]

use std::sync::LazyLock;

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use netsuite_emulator::fuzzing::AuthHarness;
use netsuite_emulator::{
    Certificate, OAuth2Integration, TbaCredentials, TEST_EC_PUBLIC_KEY_PEM, TEST_RSA_PUBLIC_KEY_PEM,
};

/// The known-answer vectors: a header signed with them for their request authenticates.
const VECTORS: &str = include_str!("../../testdata/netsuite/tba-vectors.json");

/// The assertions in the seed corpus are issued by this client with these certificate ids.
const CLIENT_ID: &str = "fuzz-client";

static HARNESS: LazyLock<AuthHarness> = LazyLock::new(|| {
    let v: serde_json::Value = serde_json::from_str(VECTORS).expect("vectors are JSON");
    let text = |k: &str| v[k].as_str().expect("vector field").to_owned();
    let tba = TbaCredentials {
        consumer_key: text("consumer_key"),
        consumer_secret: text("consumer_secret"),
        token_id: text("token_id"),
        token_secret: text("token_secret"),
    };
    let oauth2 = OAuth2Integration {
        client_id: CLIENT_ID.to_owned(),
        certificates: vec![
            Certificate::from_pem("fuzz-rsa", TEST_RSA_PUBLIC_KEY_PEM).expect("shipped key"),
            Certificate::from_pem("fuzz-ec", TEST_EC_PUBLIC_KEY_PEM).expect("shipped key"),
        ],
    };
    let now = DateTime::from_timestamp(v["timestamp"].as_i64().expect("timestamp"), 0)
        .expect("timestamp in range");
    AuthHarness::new(tba, oauth2, now)
});

fuzz_target!(|data: &[u8]| {
    let harness = &*HARNESS;
    let _ = harness.authenticate(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = harness.tba_base_string(text);
        let _ = harness.check_assertion(text.strip_prefix("Bearer ").unwrap_or(text));
    }
});
