//! Integrations: create, read, settings, credentials (write-only), connection test,
//! subsidiaries and the notification secret. The Import Customers list is in `candidates.rs`,
//! Import and Update in `imports.rs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsync_core::{Credentials, IntegrationSettings, SubsidiaryId};
use nsync_store::{Integration, NewIntegration};
use schemars::JsonSchema;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::settings::SettingsPatch;
use super::{owned_integration, text_field, ApiJson, PathId};
use crate::http::auth::Principal;
use crate::http::{ApiError, AppState};
use crate::ops;

/// An integration as the API shows it: never its credentials.
#[derive(Serialize, JsonSchema)]
pub(crate) struct IntegrationView {
    id: i64,
    account_id: String,
    auth_kind: String,
    subsidiary_id: Option<i64>,
    field_id: i64,
    settings: IntegrationSettings,
}

impl From<&Integration> for IntegrationView {
    fn from(i: &Integration) -> Self {
        Self {
            id: i.id.get(),
            account_id: i.account.as_str().to_owned(),
            auth_kind: i.auth_kind.to_string(),
            subsidiary_id: i.subsidiary.map(|s| s.get()),
            field_id: i.field.get(),
            settings: i.settings.clone(),
        }
    }
}

/// Credentials as sent; they are sealed at once and never shown again.
#[derive(Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum CredentialsInput {
    /// Token-based authentication.
    Tba {
        consumer_key: String,
        consumer_secret: String,
        token_id: String,
        token_secret: String,
    },
    /// OAuth 2.0 client credentials with a certificate.
    #[serde(rename = "oauth2")]
    OAuth2 {
        client_id: String,
        certificate_id: String,
        private_key_pem: String,
    },
}

impl CredentialsInput {
    pub(crate) fn validate(self) -> Result<Credentials, ApiError> {
        Ok(match self {
            Self::Tba {
                consumer_key,
                consumer_secret,
                token_id,
                token_secret,
            } => Credentials::Tba {
                consumer_key: text_field("consumer_key", &consumer_key, 512, false)?,
                consumer_secret: text_field("consumer_secret", &consumer_secret, 512, false)?
                    .into(),
                token_id: text_field("token_id", &token_id, 512, false)?,
                token_secret: text_field("token_secret", &token_secret, 512, false)?.into(),
            },
            Self::OAuth2 {
                client_id,
                certificate_id,
                private_key_pem,
            } => Credentials::OAuth2 {
                client_id: text_field("client_id", &client_id, 512, false)?,
                certificate_id: text_field("certificate_id", &certificate_id, 512, false)?,
                private_key_pem: text_field("private_key_pem", &private_key_pem, 16_384, true)?
                    .into(),
            },
        })
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateIntegration {
    account_id: String,
    subsidiary_id: Option<i64>,
    credentials: CredentialsInput,
    #[serde(default)]
    settings: Option<SettingsPatch>,
    #[serde(default)]
    field_name: Option<String>,
}

pub(crate) async fn create_integration(
    State(state): State<AppState>,
    who: Principal,
    ApiJson(body): ApiJson<CreateIntegration>,
) -> Result<Response, ApiError> {
    who.require_admin()?;
    let new = NewIntegration {
        company: who.company,
        account: crate::parse_account_id(&body.account_id)?,
        subsidiary: body.subsidiary_id.map(SubsidiaryId::new).transpose()?,
        credentials: body.credentials.validate()?,
        settings: body
            .settings
            .unwrap_or_default()
            .apply(&IntegrationSettings::default())
            .validate()?,
        field_name: match body.field_name {
            Some(name) => text_field("field_name", &name, 200, false)?,
            None => "Customer / Project".to_owned(),
        },
    };
    let id = ops::integrations::register(state.engine(), &who.actor(), &new).await?;
    let integration = state.store().integration(id).await?;
    Ok((
        StatusCode::CREATED,
        Json(IntegrationView::from(&integration)),
    )
        .into_response())
}

pub(crate) async fn get_integration(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<IntegrationView>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    Ok(Json(IntegrationView::from(&integration)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpdateIntegration {
    /// Only the settings named change.
    settings: SettingsPatch,
}

pub(crate) async fn update_integration(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<UpdateIntegration>,
) -> Result<Json<IntegrationView>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let settings = body.settings.apply(&integration.settings);
    let integration =
        ops::integrations::save_settings(state.engine(), &who.actor(), &integration, settings)
            .await?;
    Ok(Json(IntegrationView::from(&integration)))
}

pub(crate) async fn set_credentials(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
    ApiJson(body): ApiJson<CredentialsInput>,
) -> Result<StatusCode, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let credentials = body.validate()?;
    ops::integrations::replace_credentials(
        state.engine(),
        &who.actor(),
        &integration,
        &credentials,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What "Test connection" answers: NetSuite's verdict in plain words.
#[derive(Serialize, JsonSchema)]
pub(crate) struct ConnectionTest {
    pub ok: bool,
    pub message: String,
    pub account: Option<String>,
    pub one_world: Option<bool>,
    pub projects_enabled: Option<bool>,
    pub time_zone: Option<String>,
    pub warnings: Vec<String>,
}

pub(crate) async fn test_connection(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<ConnectionTest>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    Ok(Json(run_connection_test(&state, &integration).await))
}

/// Probes NetSuite with a fresh client; a refusal is an answer, not an error.
pub(crate) async fn run_connection_test(
    state: &AppState,
    integration: &Integration,
) -> ConnectionTest {
    match state.engine().probe(integration.id).await {
        Ok(facts) => {
            let ok = facts.permissions_ok && facts.projects_enabled;
            ConnectionTest {
                ok,
                message: if ok {
                    format!("Connected to NetSuite account {}.", facts.account)
                } else {
                    format!(
                        "Connected to NetSuite account {}, but: {}",
                        facts.account,
                        facts.warnings.join("; ")
                    )
                },
                account: Some(facts.account),
                one_world: Some(facts.one_world),
                projects_enabled: Some(facts.projects_enabled),
                time_zone: Some(facts.time_zone),
                warnings: facts.warnings,
            }
        }
        Err(err) => ConnectionTest {
            ok: false,
            message: ApiError::from(err).public_message(),
            account: None,
            one_world: None,
            projects_enabled: None,
            time_zone: None,
            warnings: Vec::new(),
        },
    }
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct SubsidiaryView {
    id: i64,
    name: String,
    full_name: Option<String>,
    parent_id: Option<i64>,
    inactive: bool,
}

pub(crate) async fn list_subsidiaries(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<Json<SubsidiariesView>, ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let subsidiaries: Vec<SubsidiaryView> = state
        .engine()
        .subsidiaries(integration.id)
        .await?
        .into_iter()
        .map(|s| SubsidiaryView {
            id: s.id.0,
            name: s.name,
            full_name: s.full_name,
            parent_id: s.parent.map(|p| p.0),
            inactive: s.is_inactive,
        })
        .collect();
    Ok(Json(SubsidiariesView { subsidiaries }))
}

/// The subsidiaries of an account.
#[derive(Serialize, JsonSchema)]
pub(crate) struct SubsidiariesView {
    subsidiaries: Vec<SubsidiaryView>,
}

/// A new notification secret, shown this once, and the path NetSuite's script posts to.
#[derive(Serialize, JsonSchema)]
pub(crate) struct NotificationSecret {
    secret: String,
    path: String,
}

/// Makes a new notification secret for NetSuite's user-event script (replacing any former one,
/// so a leaked secret is revoked by making another) and shows it this once.
pub(crate) async fn create_notification_secret(
    State(state): State<AppState>,
    who: Principal,
    PathId(id): PathId,
) -> Result<(StatusCode, Json<NotificationSecret>), ApiError> {
    let integration = owned_integration(&state, &who, &id).await?;
    who.require_admin()?;
    let secret =
        ops::integrations::new_notification_secret(state.engine(), &who.actor(), &integration)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(NotificationSecret {
            secret: secret.expose_secret().to_owned(),
            path: format!("/hooks/netsuite/{}", integration.id),
        }),
    ))
}
