//! Runs: paging, interrupted runs, plans held for confirmation.

use nsync_core::{RunKind, RunStatus, RunTrigger};
use nsync_store::{Store, StoreError};

use crate::contract;
use crate::harness::{customer, fixture, plan_for_run};

contract!(
    runs_page_newest_first,
    a_run_left_running_by_a_dead_process_is_marked_failed_by_the_next_lock_holder,
    a_plan_held_for_confirmation_applies_unchanged_when_confirmed,
    runs_whose_owner_is_gone_are_interrupted_and_runs_under_a_held_lock_are_left_alone,
);

async fn runs_page_newest_first(store: Store) {
    let fx = fixture(&store).await;
    let lock = store.lock_integration(fx.integration).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            store
                .start_run(
                    &lock,
                    RunKind::Update,
                    RunTrigger::Schedule,
                    None,
                    1_000 + i,
                    None,
                )
                .await
                .unwrap(),
        );
    }
    let first = store.runs(fx.integration, None, 2).await.unwrap();
    let second = store
        .runs(fx.integration, Some(first[1].id), 10)
        .await
        .unwrap();
    let seen: Vec<_> = first.iter().chain(&second).map(|r| r.id).collect();
    ids.reverse();
    assert_eq!(seen, ids);
    assert_eq!(
        (second[2].kind, second[2].trigger, second[2].started_at_ms),
        (RunKind::Update, RunTrigger::Schedule, 1_000)
    );
}

async fn a_run_left_running_by_a_dead_process_is_marked_failed_by_the_next_lock_holder(
    store: Store,
) {
    let fx = fixture(&store).await;
    let lock = store.lock_integration(fx.integration).await.unwrap();
    let run = store
        .start_run(
            &lock,
            RunKind::Import,
            RunTrigger::Manual,
            None,
            1_000,
            None,
        )
        .await
        .unwrap();
    drop(lock); // the process "dies" without finishing the run
                // On PostgreSQL the server frees the lock once it sees the connection closed, which can
                // take a moment: the next lock holder is one that comes after that.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let lock = loop {
        match store.lock_integration(fx.integration).await {
            Ok(lock) => break lock,
            Err(StoreError::Busy { .. }) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            Err(err) => panic!("{err}"),
        }
    };
    assert_eq!(
        store.fail_interrupted_runs(&lock, 5_000).await.unwrap(),
        vec![run]
    );
    let failed = store.run(run).await.unwrap();
    assert_eq!(
        (failed.status, failed.finished_at_ms),
        (RunStatus::Failed, Some(5_000))
    );
    assert!(failed.error.unwrap().contains("interrupted"));
    assert!(store
        .fail_interrupted_runs(&lock, 6_000)
        .await
        .unwrap()
        .is_empty());
}

async fn a_plan_held_for_confirmation_applies_unchanged_when_confirmed(store: Store) {
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
    let mut plan = plan_for_run(&fx, run, vec![customer(1, "Acme")]);
    plan.run.counts.deactivated = 40;
    store.hold_for_confirmation(&plan, 1_500).await.unwrap();
    assert_eq!(
        store.run(run).await.unwrap().status,
        RunStatus::NeedsConfirmation
    );
    assert!(
        store.integrated_options(fx.field).await.unwrap().is_empty(),
        "nothing applied yet"
    );
    let held = store.pending_plan(run).await.unwrap().unwrap();
    assert_eq!(held, plan);
    store.apply_plan(&held).await.unwrap();
    assert_eq!(store.run(run).await.unwrap().status, RunStatus::Succeeded);
    assert_eq!(store.pending_plan(run).await.unwrap(), None);
    assert_eq!(store.integrated_options(fx.field).await.unwrap().len(), 1);
}

async fn runs_whose_owner_is_gone_are_interrupted_and_runs_under_a_held_lock_are_left_alone(
    store: Store,
) {
    let fx = fixture(&store).await;
    let other = fixture(&store).await.integration;
    let lock = store.lock_integration(fx.integration).await.unwrap();
    let orphan = store
        .start_run(
            &lock,
            RunKind::Import,
            RunTrigger::Manual,
            None,
            1_000,
            None,
        )
        .await
        .unwrap();
    drop(lock); // the process "dies" without finishing the run
    let live_lock = store.lock_integration(other).await.unwrap();
    let live = store
        .start_run(
            &live_lock,
            RunKind::Update,
            RunTrigger::Schedule,
            None,
            2_000,
            None,
        )
        .await
        .unwrap();
    // On PostgreSQL the server notices the dropped connection a moment later.
    let mut interrupted = Vec::new();
    for _ in 0..100 {
        interrupted = store.interrupt_orphaned_runs(5_000).await.unwrap();
        if !interrupted.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(interrupted, vec![orphan]);
    let failed = store.run(orphan).await.unwrap();
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(failed.error.unwrap().contains("interrupted"));
    assert_eq!(store.run(live).await.unwrap().status, RunStatus::Running);
    assert!(store
        .interrupt_orphaned_runs(6_000)
        .await
        .unwrap()
        .is_empty());
    live_lock.release().await.unwrap();
    assert_eq!(
        store.interrupt_orphaned_runs(7_000).await.unwrap(),
        vec![live]
    );
    assert!(
        store.lock_integration(fx.integration).await.is_ok(),
        "the sweep released the locks it took"
    );
}
