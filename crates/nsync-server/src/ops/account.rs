//! The account: API tokens, signing out everywhere, and changing one's own password.
//!
//! A new password ends every session of the user in every process (the store moves the user's
//! session generation in the same statement that stores the hash).

use nsync_core::TokenId;
use nsync_store::NewApiToken;
use secrecy::{ExposeSecret, SecretString};

use super::limit::SignInLimiter;
use super::{parse_id, text_field, Actor, OpsError};
use crate::Engine;

/// The shortest new password accepted, in characters (OWASP ASVS 2.1.1).
pub(crate) const MIN_PASSWORD_CHARS: usize = 12;
/// The longest new password accepted, in characters (ASVS 2.1.2 allows 64 at least).
pub(crate) const MAX_PASSWORD_CHARS: usize = 128;

/// Makes an API token of the actor's company (and user); its secret is in the answer only.
pub(crate) async fn create_token(
    engine: &Engine,
    who: &Actor,
    name: &str,
) -> Result<(String, NewApiToken), OpsError> {
    who.require_admin()?;
    let name = text_field("name", name, 100, false)?;
    let audit = who
        .audit(engine, "create_api_token")
        .with("name", name.as_str());
    let token = engine
        .store()
        .create_api_token(who.company, who.user, &name, &audit)
        .await?;
    Ok((name, token))
}

/// Revokes one of the company's API tokens.
pub(crate) async fn revoke_token(engine: &Engine, who: &Actor, id: &str) -> Result<(), OpsError> {
    let token: TokenId = parse_id(id, "token")?;
    match engine.store().api_token_company(token).await? {
        Some(company) => who.owns(company, "token")?,
        None => return Err(OpsError::NotFound("token")),
    }
    who.require_admin()?;
    let audit = who.audit(engine, "revoke_api_token");
    Ok(engine.store().revoke_api_token(token, &audit).await?)
}

/// Ends every session of every user of the actor's company, in every process (API tokens are
/// revoked one by one).
pub(crate) async fn end_company_sessions(engine: &Engine, who: &Actor) -> Result<(), OpsError> {
    who.require_admin()?;
    let audit = who.audit(engine, "revoke_sessions");
    engine
        .store()
        .end_company_sessions(who.company, &audit)
        .await?;
    Ok(())
}

/// Checks `current` against the actor's password and stores `new`, ending the user's sessions
/// everywhere. Failed checks count against the sign-in limit of the user's email, so a stolen
/// session cannot be used to guess the password faster than the sign-in form allows.
pub(crate) async fn change_password(
    engine: &Engine,
    signins: &SignInLimiter,
    who: &Actor,
    current: &SecretString,
    new: &SecretString,
) -> Result<(), OpsError> {
    let user_id = who.user.ok_or_else(|| {
        OpsError::Invalid("this token belongs to no user, so it has no password to change".into())
    })?;
    check_new_password(current, new)?;
    let user = engine.store().user(user_id).await?;
    let email = user.email.as_str();
    if let Err(wait) = signins.check(email, None) {
        return Err(OpsError::TooManyAttempts(
            wait.as_secs().div_ceil(60).max(1),
        ));
    }
    let verified = engine.store().verify_password(&user.email, current).await?;
    if verified.is_none_or(|found| found.id != user_id) {
        signins.failed(email, None);
        tracing::info!(
            user_id = user_id.get(),
            "password change refused: wrong current password"
        );
        return Err(OpsError::Invalid("the current password is wrong".into()));
    }
    signins.succeeded(email);
    let audit = who.audit(engine, "change_password");
    engine.store().set_password(user_id, new, &audit).await?;
    tracing::info!(
        user_id = user_id.get(),
        "password changed; the user's sessions ended"
    );
    Ok(())
}

/// The new password's bounds: 12 to 128 characters, no control characters, not the current
/// one. Nothing else is imposed (ASVS 2.1.9: no composition rules).
fn check_new_password(current: &SecretString, new: &SecretString) -> Result<(), OpsError> {
    let text = new.expose_secret();
    let chars = text.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(OpsError::Invalid(format!(
            "the new password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(OpsError::Invalid(format!(
            "the new password must have at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(OpsError::Invalid(
            "the new password contains control characters".into(),
        ));
    }
    if current.expose_secret().len() > 1024 {
        return Err(OpsError::Invalid("the current password is wrong".into()));
    }
    if text == current.expose_secret() {
        return Err(OpsError::Invalid(
            "the new password is the current one".into(),
        ));
    }
    Ok(())
}
