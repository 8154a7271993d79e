//! Integrations, settings and credentials encrypted at rest.

use nsync_core::{AuthKind, Credentials, IntegrationSettings, Level};
use nsync_store::{MasterKey, Store, StoreError};
use secrecy::ExposeSecret;

use crate::contract;
use crate::harness::fixture;

contract!(
    credentials_open_only_with_the_master_key_they_were_sealed_with,
    rotating_the_key_re_encrypts_every_integration,
    settings_start_at_the_defaults_and_can_be_changed,
);

async fn credentials_open_only_with_the_master_key_they_were_sealed_with(store: Store) {
    let fx = fixture(&store).await;
    let creds = store.credentials(&fx.key, fx.integration).await.unwrap();
    let Credentials::Tba {
        token_secret,
        consumer_key,
        ..
    } = &creds
    else {
        panic!("kind changed")
    };
    assert_eq!(
        (consumer_key.as_str(), token_secret.expose_secret()),
        ("ck-123", "ts-SECRET-2")
    );
    let shown = format!("{creds:?} {:?}", fx.key);
    assert!(!shown.contains("SECRET"), "{shown}");
    let (other, _) = MasterKey::generate();
    assert!(matches!(
        store.credentials(&other, fx.integration).await,
        Err(StoreError::Decrypt(_))
    ));
    store
        .set_credentials(
            &fx.key,
            fx.integration,
            &Credentials::OAuth2 {
                client_id: "client".into(),
                certificate_id: "cert".into(),
                private_key_pem: "-----BEGIN PRIVATE KEY-----".to_owned().into(),
            },
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
    assert_eq!(
        store.integration(fx.integration).await.unwrap().auth_kind,
        AuthKind::OAuth2
    );
    assert_eq!(
        store
            .credentials(&fx.key, fx.integration)
            .await
            .unwrap()
            .kind(),
        AuthKind::OAuth2
    );
}

async fn rotating_the_key_re_encrypts_every_integration(store: Store) {
    let fx = fixture(&store).await;
    let (new, _) = MasterKey::generate();
    let (wrong, _) = MasterKey::generate();
    assert!(
        store.rotate_master_key(&wrong, &new).await.is_err(),
        "a wrong old key changes nothing"
    );
    assert!(store.credentials(&fx.key, fx.integration).await.is_ok());
    assert_eq!(store.rotate_master_key(&fx.key, &new).await.unwrap(), 1);
    assert!(store.credentials(&fx.key, fx.integration).await.is_err());
    assert_eq!(
        store
            .credentials(&new, fx.integration)
            .await
            .unwrap()
            .kind(),
        AuthKind::Tba
    );
}

async fn settings_start_at_the_defaults_and_can_be_changed(store: Store) {
    let fx = fixture(&store).await;
    let integration = store.integration(fx.integration).await.unwrap();
    assert_eq!(integration.settings, IntegrationSettings::default());
    assert_eq!(integration.account.as_str(), "1234567_SB1");
    let mut settings = integration.settings.clone();
    settings.deepest_level = Level::new(5).unwrap();
    settings.auto_update.enabled = true;
    store
        .update_settings(
            fx.integration,
            &settings,
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
    assert_eq!(
        store.integration(fx.integration).await.unwrap().settings,
        settings
    );
    settings.deactivation_guard.percent = 150;
    assert!(store
        .update_settings(
            fx.integration,
            &settings,
            &nsync_store::testing::audit(fx.company)
        )
        .await
        .is_err());
}

#[tokio::test]
async fn an_unsupported_database_url_is_named_without_its_password() {
    let Err(err) = Store::connect("mysql://admin:hunter2@db.example/nsync").await else {
        panic!("a MySQL URL connected");
    };
    let message = err.to_string();
    assert!(
        message.contains("mysql://admin:***@db.example/nsync"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}
