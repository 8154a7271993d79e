//! The job queue, on a controlled clock.

use nsync_store::{JobStatus, Store, StoreError};
use serde_json::json;

use crate::contract;

contract!(
    enqueueing_the_same_key_twice_queues_one_job_until_it_is_leased,
    a_retry_gives_way_to_a_job_queued_with_its_key_meanwhile,
    a_leased_job_is_hidden_until_its_lease_runs_out,
    a_heartbeat_extends_the_lease_and_a_stale_token_loses_it,
    a_failed_job_is_retried_at_the_given_time_or_gives_up,
);

async fn enqueueing_the_same_key_twice_queues_one_job_until_it_is_leased(store: Store) {
    let (a, created_a) = store
        .enqueue_job("update", &json!({"integration": 1}), Some("update:1"), 0)
        .await
        .unwrap();
    let (b, created_b) = store
        .enqueue_job("update", &json!({"integration": 1}), Some("update:1"), 0)
        .await
        .unwrap();
    assert_eq!((a, created_a, created_b), (b, true, false));
    let lease = store.lease_job(10, 1_000).await.unwrap().unwrap();
    // While `a` runs, one job may wait behind it (what it reports may come after `a` read).
    let (c, created_c) = store
        .enqueue_job("update", &json!({}), Some("update:1"), 0)
        .await
        .unwrap();
    assert!(created_c && c != a);
    assert_eq!(
        store
            .enqueue_job("update", &json!({}), Some("update:1"), 0)
            .await
            .unwrap(),
        (c, false)
    );
    store.complete_job(&lease, 20).await.unwrap();
    assert_eq!(store.job(a).await.unwrap().status, JobStatus::Completed);
    assert_eq!(store.job(c).await.unwrap().status, JobStatus::Queued);
}

async fn a_retry_gives_way_to_a_job_queued_with_its_key_meanwhile(store: Store) {
    let (a, _) = store
        .enqueue_job("update", &json!({}), Some("k"), 0)
        .await
        .unwrap();
    let lease = store.lease_job(0, 1_000).await.unwrap().unwrap();
    assert!(!lease.recovered);
    let (b, _) = store
        .enqueue_job("update", &json!({}), Some("k"), 0)
        .await
        .unwrap();
    store
        .fail_job(&lease, 10, "NetSuite answered 503", Some(100))
        .await
        .unwrap();
    assert_eq!(store.job(a).await.unwrap().status, JobStatus::Failed);
    let next = store.lease_job(100, 1_000).await.unwrap().unwrap();
    assert_eq!(next.job.id, b);
    assert!(store.lease_job(100, 1_000).await.unwrap().is_none());
}

async fn a_leased_job_is_hidden_until_its_lease_runs_out(store: Store) {
    let (job, _) = store
        .enqueue_job("import", &json!({"run": 7}), None, 100)
        .await
        .unwrap();
    assert!(
        store.lease_job(99, 1_000).await.unwrap().is_none(),
        "not due yet"
    );
    let lease = store.lease_job(100, 1_000).await.unwrap().unwrap();
    assert_eq!(
        (lease.job.id, lease.job.attempts, lease.job.payload.clone()),
        (job, 1, json!({"run": 7}))
    );
    assert!(
        store.lease_job(1_099, 1_000).await.unwrap().is_none(),
        "still leased"
    );
    assert!(!lease.recovered);
    let again = store.lease_job(1_101, 1_000).await.unwrap().unwrap();
    assert_eq!((again.job.id, again.job.attempts), (job, 2));
    assert!(again.recovered, "it took over a lease that ran out");
    assert!(matches!(
        store.complete_job(&lease, 1_200).await,
        Err(StoreError::LeaseLost(_))
    ));
    store.complete_job(&again, 1_200).await.unwrap();
}

async fn a_heartbeat_extends_the_lease_and_a_stale_token_loses_it(store: Store) {
    store
        .enqueue_job("update", &json!({}), None, 0)
        .await
        .unwrap();
    let lease = store.lease_job(0, 1_000).await.unwrap().unwrap();
    assert_eq!(
        store.heartbeat_job(&lease, 900, 1_000).await.unwrap(),
        1_900
    );
    assert!(
        store.lease_job(1_500, 1_000).await.unwrap().is_none(),
        "the heartbeat kept it"
    );
    let stolen = store.lease_job(2_000, 1_000).await.unwrap().unwrap();
    assert!(matches!(
        store.heartbeat_job(&lease, 2_001, 1_000).await,
        Err(StoreError::LeaseLost(_))
    ));
    store.heartbeat_job(&stolen, 2_001, 1_000).await.unwrap();
}

async fn a_failed_job_is_retried_at_the_given_time_or_gives_up(store: Store) {
    let (job, _) = store
        .enqueue_job("update", &json!({}), Some("k"), 0)
        .await
        .unwrap();
    let lease = store.lease_job(0, 1_000).await.unwrap().unwrap();
    store
        .fail_job(
            &lease,
            10,
            "NetSuite's concurrency limit was hit",
            Some(500),
        )
        .await
        .unwrap();
    assert!(store.lease_job(499, 1_000).await.unwrap().is_none());
    let retry = store.lease_job(500, 1_000).await.unwrap().unwrap();
    store.fail_job(&retry, 600, "gave up", None).await.unwrap();
    let failed = store.job(job).await.unwrap();
    assert_eq!(
        (failed.status, failed.attempts, failed.last_error.as_deref()),
        (JobStatus::Failed, 2, Some("gave up"))
    );
    assert!(store.lease_job(10_000, 1_000).await.unwrap().is_none());
}
