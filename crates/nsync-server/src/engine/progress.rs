//! Where a running run is, written to the store about once a second (so a page served by any
//! process shows it): the phase, and NetSuite pages read of pages planned.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use netsuite::Client;
use nsync_core::{RunId, RunPhase, RunProgress};
use nsync_store::Store;

const PHASES: [RunPhase; 4] = [
    RunPhase::Loading,
    RunPhase::Reading,
    RunPhase::Planning,
    RunPhase::Writing,
];

/// How often a run says where it is (one small UPDATE each). A run shorter than this writes
/// nothing.
const EVERY: Duration = Duration::from_millis(500);

/// The phase a run is in, and the task that reports it (stopped when this is dropped).
pub(crate) struct Progress {
    phase: Arc<AtomicU8>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Reports `run` (none for a preview, which nobody watches) from `client`'s page counts.
    pub(crate) fn start(store: &Store, run: Option<RunId>, client: &Client) -> Self {
        let phase = Arc::new(AtomicU8::new(0));
        let task = run.map(|run| {
            let (store, client, phase) = (store.clone(), client.clone(), Arc::clone(&phase));
            // The client is kept between runs: count from where it stands now.
            let (read0, planned0) = client.pages();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(EVERY);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let (read, planned) = client.pages();
                    let at = PHASES[usize::from(phase.load(Ordering::Relaxed)).min(3)];
                    let progress = RunProgress {
                        phase: at,
                        pages_read: read - read0,
                        pages_planned: planned.saturating_sub(planned0),
                    };
                    if let Err(err) = store.set_run_progress(run, &progress).await {
                        tracing::debug!(error = %err, "run progress not written");
                    }
                }
            })
        });
        Self { phase, task }
    }

    pub(crate) fn set(&self, phase: RunPhase) {
        let at = PHASES.iter().position(|p| *p == phase).unwrap_or(0);
        self.phase.store(at as u8, Ordering::Relaxed);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
