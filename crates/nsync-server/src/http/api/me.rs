//! The caller's own account: changing their password.
//!
//! A new password ends every session of the user in every process (the store moves the user's
//! session generation in the same statement that stores the hash). When the change comes from
//! a session, that session is reissued under the new generation (a new cookie, and so a new
//! CSRF token); every other session of the user, in any browser and any process, is refused
//! from then on. API tokens are not sessions and go on working.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use nsync_core::UserId;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::{audit, ApiJson};
use crate::http::auth::{session_cookie, Principal};
use crate::http::{ApiError, AppState};

/// The shortest new password accepted, in characters (OWASP ASVS 2.1.1).
pub(crate) const MIN_PASSWORD_CHARS: usize = 12;
/// The longest new password accepted, in characters (ASVS 2.1.2 allows 64 at least).
pub(crate) const MAX_PASSWORD_CHARS: usize = 128;

/// The body of `POST /api/v1/me/password`. `Debug` is not derived: it holds passwords.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password`: 204; for a session, with the reissued session cookie.
pub(crate) async fn change_my_password(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Response, ApiError> {
    let current = SecretString::from(body.current_password);
    let new = SecretString::from(body.new_password);
    let cookie = change_password(&state, &who, &current, &new).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Checks `current` against the caller's password and stores `new`, ending the user's sessions
/// everywhere; returns the `Set-Cookie` value of the reissued session when the caller is one.
/// Failed checks count against the sign-in limit of the user's email, so a stolen session
/// cannot be used to guess the password faster than the sign-in form allows. The API and the
/// page share this.
pub(crate) async fn change_password(
    state: &AppState,
    who: &Principal,
    current: &SecretString,
    new: &SecretString,
) -> Result<Option<String>, ApiError> {
    let user_id = who.user.ok_or_else(|| {
        ApiError::Invalid("this token belongs to no user, so it has no password to change".into())
    })?;
    check_new_password(current, new)?;
    let user = state.store().user(user_id).await?;
    let email = user.email.as_str();
    if let Err(wait) = state.signins().check(email, None) {
        return Err(ApiError::TooManyAttempts(
            wait.as_secs().div_ceil(60).max(1),
        ));
    }
    let verified = state.store().verify_password(&user.email, current).await?;
    if verified.is_none_or(|found| found.id != user_id) {
        state.signins().failed(email, None);
        tracing::info!(
            user_id = user_id.get(),
            "password change refused: wrong current password"
        );
        return Err(ApiError::Invalid("the current password is wrong".into()));
    }
    state.signins().succeeded(email);
    state.store().set_password(user_id, new).await?;
    tracing::info!(
        user_id = user_id.get(),
        "password changed; the user's sessions ended"
    );
    audit(
        state,
        who,
        "change_password",
        format!("user {user_id}"),
        json!({}),
    )
    .await?;
    Ok(match who.csrf {
        Some(_) => Some(reissue(state, user_id).await?),
        None => None,
    })
}

/// A new session of `user` under their current generation, as a `Set-Cookie` value.
async fn reissue(state: &AppState, user: UserId) -> Result<String, ApiError> {
    let user = state.store().user(user).await?;
    let session = state
        .config()
        .session_key
        .issue(user.id, user.session_generation);
    Ok(session_cookie(&session, state.config().secure_cookies))
}

/// The new password's bounds: 12 to 128 characters, no control characters, not the current
/// one. Nothing else is imposed (ASVS 2.1.9: no composition rules).
fn check_new_password(current: &SecretString, new: &SecretString) -> Result<(), ApiError> {
    let text = new.expose_secret();
    let chars = text.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(ApiError::Invalid(format!(
            "the new password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(ApiError::Invalid(format!(
            "the new password must have at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(ApiError::Invalid(
            "the new password contains control characters".into(),
        ));
    }
    if current.expose_secret().len() > 1024 {
        return Err(ApiError::Invalid("the current password is wrong".into()));
    }
    if text == current.expose_secret() {
        return Err(ApiError::Invalid(
            "the new password is the current one".into(),
        ));
    }
    Ok(())
}
