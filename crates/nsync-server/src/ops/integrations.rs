//! Integrations: connect one, its settings, its credentials, its notification secret, and
//! starting its runs.

use std::sync::Arc;

use nsync_core::{Credentials, IntegrationId, IntegrationSettings, RunId, RunTrigger};
use nsync_store::{Integration, NewIntegration};
use secrecy::SecretString;

use super::{parse_id, Actor, OpsError};
use crate::{Engine, RefreshMode, RunRequest};

/// The integration, if it is the actor's.
pub(crate) async fn owned(engine: &Engine, who: &Actor, id: &str) -> Result<Integration, OpsError> {
    let id: IntegrationId = parse_id(id, "integration")?;
    let integration = engine.store().integration(id).await?;
    who.owns(integration.company, "integration")?;
    Ok(integration)
}

/// Creates an integration with its field, credentials sealed.
pub(crate) async fn register(
    engine: &Engine,
    who: &Actor,
    new: &NewIntegration,
) -> Result<IntegrationId, OpsError> {
    who.require_admin()?;
    who.owns(new.company, "company")?;
    let audit = who
        .audit(engine, "create_integration")
        .with("account_id", new.account.as_str());
    Ok(engine
        .store()
        .create_integration(engine.master_key(), new, &audit)
        .await?)
}

/// Replaces an integration's settings (the automatic update's schedule among them). Returns
/// the integration as saved.
pub(crate) async fn save_settings(
    engine: &Engine,
    who: &Actor,
    integration: &Integration,
    settings: IntegrationSettings,
) -> Result<Integration, OpsError> {
    who.require_admin()?;
    who.owns(integration.company, "integration")?;
    let settings = settings.validate()?;
    let mut audit = who.audit(engine, "update_settings");
    if let Ok(serde_json::Value::Object(settings)) = serde_json::to_value(&settings) {
        audit.detail = settings;
    }
    engine
        .store()
        .update_settings(integration.id, &settings, &audit)
        .await?;
    Ok(engine.store().integration(integration.id).await?)
}

/// Stores new credentials (sealed). The engine notices at its next use of the integration's
/// client (it keys the client by what it was built from), in this process or any other.
pub(crate) async fn replace_credentials(
    engine: &Engine,
    who: &Actor,
    integration: &Integration,
    credentials: &Credentials,
) -> Result<(), OpsError> {
    who.require_admin()?;
    who.owns(integration.company, "integration")?;
    let audit = who.audit(engine, "set_credentials");
    Ok(engine
        .store()
        .set_credentials(engine.master_key(), integration.id, credentials, &audit)
        .await?)
}

/// Makes and stores (sealed) a fresh notification secret, replacing any former one (so a
/// leaked secret is revoked by making another). The secret is text (what NetSuite's API
/// Secrets hold); its UTF-8 bytes are the HMAC key.
pub(crate) async fn new_notification_secret(
    engine: &Engine,
    who: &Actor,
    integration: &Integration,
) -> Result<SecretString, OpsError> {
    who.require_admin()?;
    who.owns(integration.company, "integration")?;
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    let text = format!(
        "nsh_{}",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
    );
    let audit = who.audit(engine, "create_notification_secret");
    engine
        .store()
        .set_hook_secret(engine.master_key(), integration.id, text.as_bytes(), &audit)
        .await?;
    Ok(text.into())
}

/// Starts an import or update in the background; the run and its audit entry are recorded
/// together before this returns.
pub(crate) async fn start_run(
    engine: &Arc<Engine>,
    who: &Actor,
    integration: &Integration,
    request: RunRequest,
    refresh: RefreshMode,
) -> Result<RunId, OpsError> {
    who.require_admin()?;
    who.owns(integration.company, "integration")?;
    let audit = match request {
        RunRequest::Import(_) => who.audit(engine, "start_import"),
        RunRequest::Update => who
            .audit(engine, "start_update")
            .with("full", refresh == RefreshMode::Full),
    }
    .with("integration", integration.id.get());
    Ok(engine
        .spawn(integration.id, request, RunTrigger::Manual, refresh, audit)
        .await?)
}
