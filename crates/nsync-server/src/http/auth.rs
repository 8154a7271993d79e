//! Who is asking: a Bearer token (automation) or a signed session cookie (the web pages), and
//! the CSRF check that session requests must pass before they change anything.
//!
//! Sessions are signed, not stored: the cookie carries the user id, the user's session
//! generation, an expiry and a nonce, signed with HMAC-SHA256 under the server's session key
//! (the `cookie` crate's signed jar: no hand-written cookie parsing or `Set-Cookie` text).
//! The user is re-read on every request, so a deleted user or a changed role takes effect at
//! once, and so does an ended session: sign-out, a new password or an admin's "sign out
//! everywhere" move the user's generation in the store, and a session of an older generation
//! is refused by every process.
//!
//! Why a generation counter rather than a table of sessions: every process can still check a
//! session with the row it already reads on each request (no extra query, nothing to store per
//! sign-in, nothing to expire or clean up), and one increment ends every session of the user
//! in every process at the same moment. The cost: signing out ends that user's sessions in
//! their other browsers too.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cookie::{Cookie, CookieJar, Key, SameSite};
use hmac::{Hmac, Mac};
use nsync_core::{CompanyId, Role, UserId};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use super::{ApiError, AppState};
use crate::ops::Actor;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "nsync_session";
/// The header htmx sends the CSRF token in.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts.
const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);

/// The key that signs sessions and CSRF tokens. `Debug` never shows it.
#[derive(Clone)]
pub struct SessionKey {
    /// Signs CSRF tokens.
    mac: [u8; 32],
    /// Signs session cookies (the `cookie` crate's signed jar, HMAC-SHA256), derived from `mac`.
    cookies: Key,
}

impl SessionKey {
    /// A fresh random key: sessions end when the process restarts, and only this process
    /// accepts them.
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Self::from_bytes(key)
    }

    /// The key derived from the master key: sessions survive a restart and every process of a
    /// deployment accepts them (rotating the master key signs everybody out).
    pub fn derived_from(master: &nsync_store::MasterKey) -> Self {
        Self::from_bytes(*master.derive("sessions").expose_secret())
    }

    fn from_bytes(mac: [u8; 32]) -> Self {
        Self {
            cookies: Key::derive_from(&mac),
            mac,
        }
    }

    fn hmac(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.mac)
            .unwrap_or_else(|_| unreachable!("any key length"));
        for part in parts {
            mac.update(part);
            mac.update(b"\0");
        }
        mac
    }

    /// The `Set-Cookie` value of a new session of `user` under its current session
    /// `generation`, issued at `now` (seconds since the Unix epoch).
    pub(crate) fn session_cookie(
        &self,
        user: UserId,
        generation: i64,
        now: u64,
        secure: bool,
    ) -> String {
        self.session_cookie_until(user, generation, now + SESSION_TTL.as_secs(), secure)
    }

    fn session_cookie_until(
        &self,
        user: UserId,
        generation: i64,
        expires: u64,
        secure: bool,
    ) -> String {
        let mut nonce = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut nonce);
        let value = format!(
            "{}.{}.{}.{}",
            user.get(),
            generation,
            expires,
            URL_SAFE_NO_PAD.encode(nonce)
        );
        let cookie = Cookie::build((SESSION_COOKIE, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(cookie::time::Duration::seconds(SESSION_TTL.as_secs() as i64))
            .secure(secure)
            .build();
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.cookies).add(cookie);
        jar.delta()
            .next()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// The session the request carries, if it is ours and has not expired by `now` (seconds
    /// since the Unix epoch): its user, the generation it was issued under, and its value (what
    /// its CSRF token is bound to).
    fn open(&self, headers: &HeaderMap, now: u64) -> Option<(UserId, i64, String)> {
        let jar = request_jar(headers);
        let value = jar
            .signed(&self.cookies)
            .get(SESSION_COOKIE)?
            .value()
            .to_owned();
        let mut fields = value.split('.');
        let user: i64 = fields.next()?.parse().ok()?;
        let generation: i64 = fields.next()?.parse().ok()?;
        let expires: u64 = fields.next()?.parse().ok()?;
        (expires > now).then_some(())?;
        Some((UserId::new(user).ok()?, generation, value))
    }

    /// The CSRF token bound to a session value.
    pub(crate) fn csrf_token(&self, session: &str) -> String {
        let tag = self
            .hmac(&[b"csrf", session.as_bytes()])
            .finalize()
            .into_bytes();
        URL_SAFE_NO_PAD.encode(tag)
    }

    pub(crate) fn csrf_ok(&self, session: &str, token: &str) -> bool {
        URL_SAFE_NO_PAD.decode(token).is_ok_and(|tag| {
            self.hmac(&[b"csrf", session.as_bytes()])
                .verify_slice(&tag)
                .is_ok()
        })
    }
}

/// The cookies a request sends (every `Cookie` header; unparsable pairs are skipped).
fn request_jar(headers: &HeaderMap) -> CookieJar {
    let mut jar = CookieJar::new();
    for header in headers.get_all(header::COOKIE) {
        let Ok(text) = header.to_str() else { continue };
        for cookie in Cookie::split_parse(text).flatten() {
            jar.add_original(cookie.into_owned());
        }
    }
    jar
}

/// A caller the server knows: its company, its user (tokens may have none) and role.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub company: CompanyId,
    pub user: Option<UserId>,
    pub role: Role,
    /// The CSRF token to put in forms, for a session; `None` for a Bearer token.
    pub csrf: Option<String>,
    /// The email, for a session (shown in the page header).
    pub email: Option<String>,
}

impl Principal {
    /// Who acts, as the application layer knows them.
    pub fn actor(&self) -> Actor {
        Actor {
            company: self.company,
            user: self.user,
            role: self.role,
        }
    }

    /// Refuses members.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        Ok(self.actor().require_admin()?)
    }
}

/// The value of a cookie in the request headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    request_jar(headers).get(name).map(|c| c.value().to_owned())
}

/// The cookie that binds the sign-in form's CSRF token to the browser that loaded the form.
pub(crate) const SIGNIN_COOKIE: &str = "nsync_signin";

/// A fresh random value for [`SIGNIN_COOKIE`], and its `Set-Cookie` value.
pub(crate) fn signin_cookie(secure: bool) -> (String, String) {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let value = URL_SAFE_NO_PAD.encode(bytes);
    let set = Cookie::build((SIGNIN_COOKIE, value.clone()))
        .path("/signin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::hours(1))
        .secure(secure)
        .build()
        .to_string();
    (value, set)
}

/// The `Set-Cookie` value that ends a session.
pub(crate) fn clear_session_cookie() -> String {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::ZERO)
        .build()
        .to_string()
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let secret = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .filter(|s| !s.is_empty() && s.len() <= 200)
                .ok_or(ApiError::Unauthenticated)?;
            return from_token(state, SecretString::from(secret.to_owned())).await;
        }
        let key = &state.config().session_key;
        let (user_id, generation, session) = key
            .open(&parts.headers, state.now_secs())
            .ok_or(ApiError::Unauthenticated)?;
        let session = session.as_str();
        let user = match state.store().user(user_id).await {
            Ok(user) => user,
            Err(nsync_store::StoreError::NotFound { .. }) => return Err(ApiError::Unauthenticated),
            Err(err) => return Err(err.into()),
        };
        if user.session_generation != generation {
            // Signed out, a new password, or "sign out everywhere" since it was issued.
            return Err(ApiError::Unauthenticated);
        }
        let csrf = key.csrf_token(session);
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !key.csrf_ok(session, sent) {
                return Err(ApiError::Csrf);
            }
        }
        Ok(Principal {
            company: user.company,
            user: Some(user.id),
            role: user.role,
            csrf: Some(csrf),
            email: Some(user.email.to_string()),
        })
    }
}

async fn from_token(state: &AppState, secret: SecretString) -> Result<Principal, ApiError> {
    let owner = state
        .store()
        .authenticate_token(&secret)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    // A token made for a user acts with that user's current role; a company token without a
    // user gets the least: member.
    let role = match owner.user {
        Some(user) => {
            let user = state.store().user(user).await?;
            if user.company != owner.company {
                return Err(ApiError::Unauthenticated);
            }
            user.role
        }
        None => Role::Member,
    };
    Ok(Principal {
        company: owner.company,
        user: owner.user,
        role,
        csrf: None,
        email: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `Cookie` header a browser sends back for a `Set-Cookie` value.
    fn sent(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, pair.parse().unwrap());
        headers
    }

    #[test]
    fn a_session_opens_until_it_expires_and_never_when_tampered_with_or_foreign() {
        let key = SessionKey::random();
        let user = UserId::new(7).unwrap();
        let now = 1_800_000_000;
        let opened = key.open(&sent(&key.session_cookie(user, 3, now, false)), now);
        assert_eq!(opened.map(|(u, g, _)| (u, g)), Some((user, 3)));
        let expired = key.session_cookie(user, 0, now, false);
        assert!(
            key.open(&sent(&expired), now + SESSION_TTL.as_secs())
                .is_none(),
            "an expired session is refused"
        );
        let session = key.session_cookie(user, 0, now, false);
        assert!(key.open(&sent(&session), now).is_some());
        let older = session.replacen(".0.", ".1.", 1);
        assert!(
            key.open(&sent(&older), now).is_none(),
            "another generation breaks the signature"
        );
        let forged = session.replacen("7.0.", "8.0.", 1);
        assert!(
            key.open(&sent(&forged), now).is_none(),
            "another user id breaks the signature"
        );
        assert!(
            SessionKey::random().open(&sent(&session), now).is_none(),
            "another key's session"
        );
        assert!(
            key.open(&sent("nsync_session=7.0.1900000000.AAAA"), now)
                .is_none(),
            "an unsigned value"
        );
        let (master, _) = nsync_store::MasterKey::generate();
        let shared = SessionKey::derived_from(&master).session_cookie(user, 0, now, false);
        assert_eq!(
            SessionKey::derived_from(&master)
                .open(&sent(&shared), now)
                .map(|(u, g, _)| (u, g)),
            Some((user, 0)),
            "processes sharing the master key accept each other's sessions"
        );
        assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    }
}
