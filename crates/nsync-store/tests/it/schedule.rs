//! The automatic update's slots, NetSuite notifications' secret and replay records, debounced
//! jobs.

use nsync_core::Weekdays;
use nsync_store::{MasterKey, NewJob, Store, StoreError};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::contract;
use crate::harness::fixture;

contract!(
    only_integrations_with_the_automatic_update_on_are_scheduled,
    a_slot_is_claimed_once_and_never_an_earlier_one,
    changing_the_schedule_forgets_slots_before_the_change,
    debounced_jobs_start_at_least_the_gap_apart,
    the_notification_secret_is_sealed_rotated_and_bound_to_its_integration,
    a_notification_signature_is_accepted_once_while_it_is_fresh,
    the_queue_depth_counts_waiting_jobs,
);

async fn enable(store: &Store, fx: &crate::harness::Fixture) {
    let mut settings = store.integration(fx.integration).await.unwrap().settings;
    settings.auto_update.enabled = true;
    settings.auto_update.weekdays = Weekdays::DAILY;
    store
        .update_settings(
            fx.integration,
            &settings,
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
}

async fn only_integrations_with_the_automatic_update_on_are_scheduled(store: Store) {
    let fx = fixture(&store).await;
    assert!(store.scheduled_integrations().await.unwrap().is_empty());
    enable(&store, &fx).await;
    let scheduled = store.scheduled_integrations().await.unwrap();
    let entry = scheduled[0].as_ref().unwrap();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(entry.integration, fx.integration);
    assert_eq!(entry.time_zone.as_str(), "Europe/Paris");
    assert_eq!(entry.auto_update.weekdays, Weekdays::DAILY);
    assert!(
        entry.after_ms > 0,
        "slots before the schedule was turned on are not owed"
    );
}

async fn a_slot_is_claimed_once_and_never_an_earlier_one(store: Store) {
    let fx = fixture(&store).await;
    enable(&store, &fx).await;
    let after = store.scheduled_integrations().await.unwrap()[0]
        .as_ref()
        .unwrap()
        .after_ms;
    let payload = json!({"integration": fx.integration.get()});
    let job = |key| NewJob {
        kind: "update",
        payload: &payload,
        dedup_key: key,
    };
    let slot = after + 60_000;
    let first = store
        .claim_slot(fx.integration, slot, job("slot:a"), slot)
        .await
        .unwrap();
    assert!(first.is_some());
    for (at, key) in [(slot, "slot:a"), (slot, "slot:b"), (slot - 1, "slot:c")] {
        assert_eq!(
            store
                .claim_slot(fx.integration, at, job(key), slot)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(store.queue_depth().await.unwrap(), 1);
    let next = store
        .claim_slot(fx.integration, slot + 1, job("slot:d"), slot + 1)
        .await
        .unwrap();
    assert!(next.is_some() && next != first);
}

async fn changing_the_schedule_forgets_slots_before_the_change(store: Store) {
    let fx = fixture(&store).await;
    let created = store.scheduled_integrations().await.unwrap();
    assert!(created.is_empty());
    enable(&store, &fx).await;
    let on = store.scheduled_integrations().await.unwrap()[0]
        .as_ref()
        .unwrap()
        .after_ms;
    // Settings other than the schedule leave the slots alone.
    let mut settings = store.integration(fx.integration).await.unwrap().settings;
    settings.show_project_number = true;
    store
        .update_settings(
            fx.integration,
            &settings,
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
    let unchanged = store.scheduled_integrations().await.unwrap()[0]
        .as_ref()
        .unwrap()
        .after_ms;
    assert_eq!(unchanged, on);
    settings.auto_update.at = nsync_core::LocalTime::parse("23:45").unwrap();
    store
        .update_settings(
            fx.integration,
            &settings,
            // The change is recorded later than the set-up writes (at 1 ms).
            &nsync_store::Audit::new(fx.company, None, "update_settings", 20),
        )
        .await
        .unwrap();
    let moved = store.scheduled_integrations().await.unwrap()[0]
        .as_ref()
        .unwrap()
        .after_ms;
    assert!(moved > on);
}

async fn debounced_jobs_start_at_least_the_gap_apart(store: Store) {
    let payload = json!({});
    let job = NewJob {
        kind: "update",
        payload: &payload,
        dedup_key: "notified:1",
    };
    let (a, new_a) = store.enqueue_debounced(job, 1_000, 60_000).await.unwrap();
    let (same, new_same) = store.enqueue_debounced(job, 2_000, 60_000).await.unwrap();
    assert_eq!((a, new_a, new_same), (same, true, false));
    let lease = store.lease_job(5_000, 100_000).await.unwrap().unwrap();
    assert_eq!(lease.job.id, a);
    // Leased at 5 s: the next one waits until 65 s, and only one waits.
    let (b, new_b) = store.enqueue_debounced(job, 6_000, 60_000).await.unwrap();
    let (b2, new_b2) = store.enqueue_debounced(job, 7_000, 60_000).await.unwrap();
    assert_eq!((b, new_b, new_b2), (b2, true, false));
    assert_eq!(store.job(b).await.unwrap().run_at_ms, 65_000);
    assert!(store.lease_job(64_999, 100_000).await.unwrap().is_none());
}

async fn the_notification_secret_is_sealed_rotated_and_bound_to_its_integration(store: Store) {
    let fx = fixture(&store).await;
    assert!(store
        .hook_secret(&fx.key, fx.integration)
        .await
        .unwrap()
        .is_none());
    store
        .set_hook_secret(
            &fx.key,
            fx.integration,
            b"whsec-CANARY",
            &nsync_store::testing::audit(fx.company),
        )
        .await
        .unwrap();
    let read = store
        .hook_secret(&fx.key, fx.integration)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.expose_secret(), b"whsec-CANARY");
    let (other, _) = MasterKey::generate();
    assert!(matches!(
        store.hook_secret(&other, fx.integration).await,
        Err(StoreError::Decrypt(_))
    ));
    store.rotate_master_key(&fx.key, &other).await.unwrap();
    let rotated = store
        .hook_secret(&other, fx.integration)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rotated.expose_secret(), b"whsec-CANARY");
    let missing = nsync_core::IntegrationId::new(fx.integration.get() + 100).unwrap();
    assert!(matches!(
        store.hook_secret(&other, missing).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn a_notification_signature_is_accepted_once_while_it_is_fresh(store: Store) {
    let fx = fixture(&store).await;
    let keep = 600_000;
    assert!(store
        .record_hook_delivery(fx.integration, "sig-1", 1_000, keep)
        .await
        .unwrap());
    assert!(!store
        .record_hook_delivery(fx.integration, "sig-1", 2_000, keep)
        .await
        .unwrap());
    assert!(store
        .record_hook_delivery(fx.integration, "sig-2", 2_000, keep)
        .await
        .unwrap());
    // Long after, the old record is pruned (its timestamp would be refused as too old anyway).
    assert!(store
        .record_hook_delivery(fx.integration, "sig-1", 1_000 + keep + 1, keep)
        .await
        .unwrap());
}

async fn the_queue_depth_counts_waiting_jobs(store: Store) {
    assert_eq!(store.queue_depth().await.unwrap(), 0);
    for key in ["a", "b", "b"] {
        store
            .enqueue_job("update", &json!({}), Some(key), 0)
            .await
            .unwrap();
    }
    assert_eq!(store.queue_depth().await.unwrap(), 2);
    store.lease_job(0, 1_000).await.unwrap().unwrap();
    assert_eq!(store.queue_depth().await.unwrap(), 1);
}
