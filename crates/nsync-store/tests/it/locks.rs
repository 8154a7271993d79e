//! One run per integration at a time.

use nsync_core::{RunKind, RunTrigger};
use nsync_store::{Store, StoreError};

use crate::contract;
use crate::harness::fixture;

contract!(
    a_second_lock_on_an_integration_is_refused_and_names_the_running_run,
    the_lock_is_free_again_once_released_or_dropped,
);

async fn a_second_lock_on_an_integration_is_refused_and_names_the_running_run(store: Store) {
    let fx = fixture(&store).await;
    let lock = store.lock_integration(fx.integration).await.unwrap();
    let run = store
        .start_run(
            &lock,
            RunKind::Update,
            RunTrigger::Manual,
            None,
            1_000,
            None,
        )
        .await
        .unwrap();
    match store.lock_integration(fx.integration).await {
        Err(StoreError::Busy {
            integration,
            running,
        }) => {
            assert_eq!((integration, running), (fx.integration, Some(run)));
        }
        other => panic!("expected busy, got {:?}", other.map(|l| l.integration())),
    }
    // Another integration is not blocked.
    let other = crate::harness::fixture(&store).await;
    assert!(store.lock_integration(other.integration).await.is_ok());
    lock.release().await.unwrap();
}

async fn the_lock_is_free_again_once_released_or_dropped(store: Store) {
    let fx = fixture(&store).await;
    let lock = store.lock_integration(fx.integration).await.unwrap();
    lock.release().await.unwrap();
    let lock = store.lock_integration(fx.integration).await.unwrap();
    drop(lock);
    // On PostgreSQL a dropped lock goes with its connection; the server may take a moment to
    // see the connection close, so wait for the release rather than for a fixed time.
    let mut attempts = 0;
    loop {
        match store.lock_integration(fx.integration).await {
            Ok(lock) => break lock.release().await.unwrap(),
            Err(StoreError::Busy { .. }) if attempts < 200 => {
                attempts += 1;
                tokio::task::yield_now().await;
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            Err(err) => panic!("lock never came back: {err}"),
        }
    }
}
