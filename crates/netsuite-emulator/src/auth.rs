//! Authentication of NetSuite API requests: TBA and OAuth 2.0 bearer tokens, with the state
//! they need (nonces seen, tokens issued). The pure checks live in [`tba`] and [`jwt`].

pub mod jwt;
pub mod tba;

use std::sync::Arc;

use axum::http::HeaderMap;

use crate::errors::NsError;
use crate::log::AuthKind;
use crate::state::{lock, Account, Shared};
use tba::{OAuthHeader, SignedRequest, TbaReject};

/// TBA timestamps must be within this many seconds of server time.
const TIMESTAMP_WINDOW_SECS: i64 = 300;

/// The parts of a request that authentication looks at.
pub(crate) struct AuthInput<'a> {
    pub(crate) headers: &'a HeaderMap,
    pub(crate) signed: SignedRequest<'a>,
    /// The account named by the `Host` header, if it is an account host.
    pub(crate) host_account: Option<Arc<Account>>,
}

/// The account a request's credentials name, not yet checked: the TBA realm (exact canonical
/// id) or the account its bearer token was issued for. Account-scoped faults fire on it.
pub(crate) fn named_account(shared: &Shared, headers: &HeaderMap) -> Option<Arc<Account>> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    if header.starts_with("OAuth ") {
        let realm = OAuthHeader::parse(header).ok()?.realm?;
        let id = crate::AccountId::parse(&realm).ok()?;
        return shared.account_by_canonical(&id).cloned();
    }
    let token = header
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("bearer "))
        .map(|_| header[7..].trim())?;
    let index = lock(&shared.tokens).get(token)?.account;
    shared.accounts.get(index).cloned()
}

/// Authenticates a NetSuite API request; the account it is for comes with it.
pub(crate) fn authenticate(
    shared: &Shared,
    input: &AuthInput<'_>,
) -> Result<(Arc<Account>, AuthKind), (NsError, AuthKind)> {
    let header = input
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let realm = input
        .host_account
        .as_ref()
        .map(|a| a.id.to_string())
        .unwrap_or_default();
    match header {
        Some(h) if h.starts_with("OAuth ") => tba_account(shared, input, h)
            .map(|a| (a, AuthKind::Tba))
            .map_err(|e| (e, AuthKind::Tba)),
        Some(h) if h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer ") => {
            bearer_account(shared, input, h[7..].trim())
                .map(|a| (a, AuthKind::Bearer))
                .map_err(|e| (e, AuthKind::Bearer))
        }
        Some(_) => Err((
            NsError::invalid_login(
                "OAuth",
                &realm,
                "invalid_request",
                "unsupported_authorization_scheme",
            ),
            AuthKind::None,
        )),
        None => Err((
            NsError::invalid_login("OAuth", &realm, "invalid_request", "missing_authorization"),
            AuthKind::None,
        )),
    }
}

fn tba_account(
    shared: &Shared,
    input: &AuthInput<'_>,
    header: &str,
) -> Result<Arc<Account>, NsError> {
    let fallback_realm = input
        .host_account
        .as_ref()
        .map(|a| a.id.to_string())
        .unwrap_or_default();
    let reject = |realm: &str, why: TbaReject| {
        NsError::invalid_login("OAuth", realm, "token_rejected", &why.reason())
    };
    let oauth = OAuthHeader::parse(header).map_err(|why| reject(&fallback_realm, why))?;
    let realm = oauth.realm.clone().unwrap_or_default();
    // The realm must be the canonical id, byte for byte: `1234567_sb1` is refused.
    let account = match &input.host_account {
        Some(a) if a.id.as_str() == realm => Arc::clone(a),
        Some(_) => return Err(reject(&realm, TbaReject::Realm)),
        None => crate::AccountId::parse(&realm)
            .ok()
            .filter(|id| id.as_str() == realm)
            .and_then(|id| shared.account_by_canonical(&id))
            .cloned()
            .ok_or_else(|| reject(&realm, TbaReject::Realm))?,
    };
    check_tba(shared, &account, &oauth, &input.signed).map_err(|why| reject(&realm, why))?;
    Ok(account)
}

fn check_tba(
    shared: &Shared,
    account: &Account,
    oauth: &OAuthHeader,
    signed: &SignedRequest<'_>,
) -> Result<(), TbaReject> {
    let get = |name| oauth.get(name).ok_or(TbaReject::Malformed);
    if get("oauth_signature_method")? != "HMAC-SHA256" {
        return Err(TbaReject::Algorithm);
    }
    if oauth.get("oauth_version").is_some_and(|v| v != "1.0") {
        return Err(TbaReject::Version);
    }
    if get("oauth_consumer_key")? != account.tba.consumer_key {
        return Err(TbaReject::ConsumerKey);
    }
    let token = get("oauth_token")?;
    // A revoked token is refused as an unknown one is.
    if token != account.tba.token_id || account.is_revoked() {
        return Err(TbaReject::Token);
    }
    let nonce = get("oauth_nonce")?;
    if nonce.chars().count() < 6 {
        return Err(TbaReject::NonceTooShort);
    }
    let timestamp: i64 = get("oauth_timestamp")?
        .parse()
        .map_err(|_| TbaReject::Timestamp)?;
    let now = shared.clock.now().timestamp();
    if (timestamp - now).abs() > TIMESTAMP_WINDOW_SECS {
        return Err(TbaReject::Timestamp);
    }
    let base = tba::base_string(signed, oauth);
    if !tba::signature_matches(
        &base,
        &account.tba.consumer_secret,
        &account.tba.token_secret,
        get("oauth_signature")?,
    ) {
        return Err(TbaReject::Signature);
    }
    remember_nonce(shared, token, nonce, timestamp, now)
}

/// A nonce may be used once per token and timestamp; entries older than the window are dropped.
fn remember_nonce(
    shared: &Shared,
    token: &str,
    nonce: &str,
    timestamp: i64,
    now: i64,
) -> Result<(), TbaReject> {
    let mut seen = lock(&shared.nonces);
    if seen.len() > 100_000 {
        seen.retain(|(_, _, ts)| (ts - now).abs() <= TIMESTAMP_WINDOW_SECS);
    }
    if !seen.insert((token.to_owned(), nonce.to_owned(), timestamp)) {
        return Err(TbaReject::NonceUsed);
    }
    Ok(())
}

fn bearer_account(
    shared: &Shared,
    input: &AuthInput<'_>,
    token: &str,
) -> Result<Arc<Account>, NsError> {
    let realm = input
        .host_account
        .as_ref()
        .map(|a| a.id.to_string())
        .unwrap_or_default();
    let reject =
        |realm: &str, why: &str| NsError::invalid_login("Bearer", realm, "invalid_token", why);
    let issued = lock(&shared.tokens)
        .get(token)
        .cloned()
        .ok_or_else(|| reject(&realm, "unknown_token"))?;
    let account = shared
        .accounts
        .get(issued.account)
        .cloned()
        .ok_or_else(|| reject(&realm, "unknown_token"))?;
    if input
        .host_account
        .as_ref()
        .is_some_and(|h| h.id != account.id)
    {
        return Err(reject(&realm, "token_for_another_account"));
    }
    if account.is_revoked() {
        return Err(reject(account.id.as_str(), "unknown_token"));
    }
    if issued.expires <= shared.clock.now() {
        return Err(reject(account.id.as_str(), "token_expired"));
    }
    Ok(account)
}
