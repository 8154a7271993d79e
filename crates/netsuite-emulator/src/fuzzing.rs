//! Entry points for the cargo-fuzz targets in `fuzz/` at the repository root. They exist only for
//! those targets: hidden from the docs, not part of the emulator's API, free to change with them.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::IntoResponse as _;
use chrono::{DateTime, Duration, Utc};

use crate::account_id::host_label_of;
use crate::auth::jwt::{self, Expectations, JwtReject};
use crate::auth::tba::{self, OAuthHeader, SignedRequest};
use crate::auth::{authenticate, AuthInput};
use crate::config::{AccountConfig, DatasetChoice, EmulatorConfig};
use crate::credentials::{OAuth2Integration, TbaCredentials};
use crate::http::TOKEN_PATH;
use crate::state::{lock, IssuedToken, Shared};

/// The account the harness serves.
pub const ACCOUNT: &str = "123456";
/// The host its requests are addressed to.
pub const HOST: &str = "123456.suitetalk.api.netsuite.com";
/// A bearer token the harness has issued, valid for an hour from its clock.
pub const BEARER_TOKEN: &str = "fuzz-bearer-token";
/// The request every header is checked against: the SuiteQL page request of the TBA
/// known-answer vectors (`testdata/netsuite/tba-vectors.json`).
const METHOD: &str = "POST";
const PATH: &str = "/services/rest/query/v1/suiteql";
const QUERY: &str = "limit=1000&offset=0";

/// One emulated account with no records, for checking `Authorization` headers and client
/// assertions exactly as the gate and the token endpoint do, without HTTP.
pub struct AuthHarness {
    shared: Shared,
}

impl std::fmt::Debug for AuthHarness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthHarness").finish_non_exhaustive()
    }
}

/// The outcome of one header, once addressed to the account's host and once to a bare address
/// (routed by the credentials). `Err` holds the `WWW-Authenticate` value NetSuite would send.
pub type Outcome = [Result<(), Option<String>>; 2];

impl AuthHarness {
    /// Account [`ACCOUNT`] with these TBA secrets and OAuth 2.0 integration, its clock pinned
    /// at `now`, and [`BEARER_TOKEN`] issued.
    ///
    /// # Panics
    /// If the account cannot be built (an in-memory database that does not open).
    pub fn new(tba: TbaCredentials, oauth2: OAuth2Integration, now: DateTime<Utc>) -> Self {
        let mut account = AccountConfig::with_dataset(ACCOUNT, 0, DatasetChoice::Empty);
        account.tba = tba;
        account.oauth2 = oauth2;
        let shared = Shared::build(&EmulatorConfig::single(account)).expect("account builds");
        shared.clock.set(now);
        lock(&shared.tokens).insert(
            BEARER_TOKEN.to_owned(),
            IssuedToken {
                account: 0,
                expires: now + Duration::hours(1),
            },
        );
        Self { shared }
    }

    /// Authenticates a request whose `Authorization` header is exactly `value` (when HTTP allows
    /// those bytes in a header at all), as the gate does, and renders any refusal as the gate
    /// would send it. Nonces are forgotten after each call, so an outcome depends on `value` only.
    pub fn authenticate(&self, value: &[u8]) -> Option<Outcome> {
        let value = HeaderValue::from_bytes(value).ok()?;
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value);
        let outcome = [HOST, "127.0.0.1:8080"].map(|host| {
            let signed = SignedRequest {
                method: METHOD,
                scheme: "https",
                host,
                path: PATH,
                query: Some(QUERY),
            };
            let host_account = host_label_of(host)
                .and_then(|label| self.shared.account_by_label(label))
                .cloned();
            let input = AuthInput {
                headers: &headers,
                signed,
                host_account,
            };
            authenticate(&self.shared, &input)
                .map(|_| ())
                .map_err(|(error, _)| {
                    let response = error.into_response();
                    response
                        .headers()
                        .get(header::WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                })
        });
        lock(&self.shared.nonces).clear();
        Some(outcome)
    }

    /// Parses `value` as a TBA header and computes the base string it would be checked against.
    pub fn tba_base_string(&self, value: &str) -> Option<String> {
        let oauth = OAuthHeader::parse(value).ok()?;
        let signed = SignedRequest {
            method: METHOD,
            scheme: "https",
            host: HOST,
            path: PATH,
            query: Some(QUERY),
        };
        Some(tba::base_string(&signed, &oauth))
    }

    /// Checks a client assertion as the token endpoint does (issuer lookup, then verification
    /// against the account's integration).
    pub fn check_assertion(&self, assertion: &str) -> Result<(), JwtReject> {
        let account = &self.shared.accounts[0];
        if jwt::peek_issuer(assertion).as_deref() != Some(account.oauth2.client_id.as_str()) {
            return Err(JwtReject::Issuer);
        }
        let audiences = [format!("https://{HOST}{TOKEN_PATH}")];
        let expect = Expectations {
            audiences: &audiences,
            now: self.shared.clock.now().timestamp(),
        };
        jwt::verify(assertion, &account.oauth2, &expect).map(|_| ())
    }
}
