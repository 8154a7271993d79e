//! The engine's kept NetSuite client follows the stored credentials, whoever changed them.

use nsync_core::Credentials;
use nsync_server::EngineError;
use nsync_store::Store;

use crate::both_backends;
use crate::harness::app;

both_backends!(credentials_changed_by_another_process_take_effect_at_the_next_read);

async fn credentials_changed_by_another_process_take_effect_at_the_next_read(store: Store) {
    let app = app(store).await;
    let key = app.engine.master_key();
    // The engine builds its client and keeps it.
    assert!(!app
        .engine
        .subsidiaries(app.integration)
        .await
        .unwrap()
        .is_empty());
    let good = app.store.credentials(key, app.integration).await.unwrap();
    let Credentials::Tba {
        consumer_key,
        consumer_secret,
        token_id,
        ..
    } = good.clone()
    else {
        panic!("the harness integrates with TBA");
    };
    let refused = Credentials::Tba {
        consumer_key,
        consumer_secret,
        token_id,
        token_secret: "not-the-token-secret".to_owned().into(),
    };
    // Another process (the CLI, another server) stores credentials NetSuite refuses; nobody
    // tells this engine.
    app.store
        .set_credentials(
            key,
            app.integration,
            &refused,
            &nsync_store::testing::audit(app.company),
        )
        .await
        .unwrap();
    let err = app.engine.subsidiaries(app.integration).await.unwrap_err();
    assert!(matches!(err, EngineError::NetSuite(_)), "{err}");
    app.store
        .set_credentials(
            key,
            app.integration,
            &good,
            &nsync_store::testing::audit(app.company),
        )
        .await
        .unwrap();
    assert!(!app
        .engine
        .subsidiaries(app.integration)
        .await
        .unwrap()
        .is_empty());
}
