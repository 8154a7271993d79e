//! A run whose process died does not stay "running": the scheduler's loop marks it
//! interrupted as soon as it starts, and a later run of the integration works as usual.

use std::sync::Arc;
use std::time::Duration;

use nsync_core::{RunKind, RunStatus, RunTrigger};
use nsync_server::automation::{Automation, AutomationConfig};
use nsync_store::Store;

use crate::both_backends;
use crate::harness::app;

both_backends!(the_scheduler_marks_a_run_left_running_by_a_dead_process_as_interrupted,);

async fn the_scheduler_marks_a_run_left_running_by_a_dead_process_as_interrupted(store: Store) {
    let app = app(store).await;
    let lock = app.store.lock_integration(app.integration).await.unwrap();
    let run = app
        .store
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
    drop(lock); // its process "dies" mid-run
    let automation = Arc::new(Automation::new(
        Arc::new(app.engine),
        Arc::new(netsuite::SystemClock),
        AutomationConfig {
            tick: Duration::from_millis(50),
            ..AutomationConfig::default()
        },
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let scheduler = tokio::spawn(Arc::clone(&automation).run_scheduler(async move {
        let _ = stopped.await;
    }));
    let mut status = RunStatus::Running;
    for _ in 0..200 {
        status = app.store.run(run).await.unwrap().status;
        if status != RunStatus::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let _ = stop.send(());
    scheduler.await.unwrap();
    assert_eq!(status, RunStatus::Failed, "the run is still marked running");
    let error = app.store.run(run).await.unwrap().error.unwrap_or_default();
    assert!(error.contains("interrupted"), "{error}");
    assert_eq!(app.store.running_run(app.integration).await.unwrap(), None);
}
