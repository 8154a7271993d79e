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
use schemars::JsonSchema;
use secrecy::SecretString;
use serde::Deserialize;

use super::ApiJson;
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

/// The body of `POST /api/v1/me/password`. `Debug` is not derived: it holds passwords.
#[derive(Deserialize, JsonSchema)]
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

/// Changes the caller's password (see [`ops::account::change_password`]); returns the
/// `Set-Cookie` value of the reissued session when the caller is one. The API and the page
/// share this.
pub(crate) async fn change_password(
    state: &AppState,
    who: &Principal,
    current: &SecretString,
    new: &SecretString,
) -> Result<Option<String>, ApiError> {
    ops::account::change_password(state.engine(), state.signins(), &who.actor(), current, new)
        .await?;
    Ok(match (who.csrf.as_ref(), who.user) {
        (Some(_), Some(user)) => Some(reissue(state, user).await?),
        _ => None,
    })
}

/// A new session of `user` under their current generation, as a `Set-Cookie` value.
async fn reissue(state: &AppState, user: UserId) -> Result<String, ApiError> {
    let user = state.store().user(user).await?;
    Ok(state.config().session_key.session_cookie(
        user.id,
        user.session_generation,
        state.now_secs(),
        state.config().secure_cookies,
    ))
}
