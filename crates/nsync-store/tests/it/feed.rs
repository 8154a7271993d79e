//! The change feed and the webhook outbox: written with the changes they report, numbered
//! without gaps in commit order whatever the concurrency, pruned with a clear error for a
//! reader left behind.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nsync_core::{
    Change, ChangeKind, FeedCursor, OptionId, RunKind, RunTrigger, UpstreamKey, UpstreamKind,
    WebhookEvent,
};
use nsync_store::{
    AttemptOutcome, Audit, ChangeCause, DeliveryStatus, FieldChange, Store, StoreError,
};

use crate::contract;
use crate::harness::{customer, fixture, key, plan, project, Fixture};

contract!(
    runs_and_actions_by_hand_write_the_feed_in_order,
    an_event_is_queued_with_the_changes_it_announces,
    concurrent_writers_leave_no_gap_and_no_reordering,
);

fn change(upstream: UpstreamKey, kind: ChangeKind) -> Change {
    Change {
        upstream,
        option: None,
        kind,
        old_value: None,
        new_value: None,
        reason: (kind == ChangeKind::Rejected).then(|| "bad name".to_owned()),
    }
}

/// Imports customer 1 with `projects` projects under it (ids 100, 101, ...), every one
/// reported added, and one rejected record besides.
async fn import(store: &Store, fx: &Fixture, projects: i64) -> Vec<OptionId> {
    let c = key(UpstreamKind::Customer, 1);
    let mut options = vec![customer(1, "Acme")];
    let mut changes = vec![change(c, ChangeKind::Added)];
    for i in 0..projects {
        options.push(project(100 + i, c, 2, &format!("Build {i}")));
        changes.push(change(
            key(UpstreamKind::Project, 100 + i),
            ChangeKind::Added,
        ));
    }
    changes.push(change(key(UpstreamKind::Customer, 2), ChangeKind::Rejected));
    let mut plan = plan(store, fx, options).await;
    plan.changes = changes;
    store.apply_plan(&plan).await.unwrap();
    let mut ids: Vec<OptionId> = store
        .integrated_options(fx.field)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    ids.sort();
    ids
}

async fn all(store: &Store, fx: &Fixture, after: i64) -> Vec<FieldChange> {
    store
        .field_changes(fx.field, after, 10_000)
        .await
        .unwrap()
        .changes
}

async fn runs_and_actions_by_hand_write_the_feed_in_order(store: Store) {
    let fx = fixture(&store).await;
    assert_eq!(store.feed_position(fx.field).await.unwrap().last, 0);
    let ids = import(&store, &fx, 1).await;
    let feed = all(&store, &fx, 0).await;
    let seen: Vec<(i64, ChangeKind, &str)> = feed
        .iter()
        .map(|c| (c.seq, c.kind, c.label.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (1, ChangeKind::Added, "Acme"),
            (2, ChangeKind::Added, "Acme : Build 0")
        ],
        "one entry per change but the rejection, with full paths"
    );
    assert!(matches!(feed[0].cause, ChangeCause::Run(_)));
    assert_eq!(feed[0].at_ms, 2_000);
    assert_eq!(feed[0].option, Some(ids[0]));

    // A plan applied again writes no entry.
    let runs = store.runs(fx.integration, None, 1).await.unwrap();
    let mut again = plan(&store, &fx, Vec::new()).await;
    again.run.id = runs[0].id;
    again.options = vec![customer(1, "Acme")];
    again.changes = vec![change(key(UpstreamKind::Customer, 1), ChangeKind::Added)];
    store.apply_plan(&again).await.unwrap();
    assert_eq!(store.feed_position(fx.field).await.unwrap().last, 2);

    // Removing here marks the subtree: one entry per option, with who did it.
    let audit = Audit::new(fx.company, None, "remove_option", 3_000);
    store.remove_option_here(ids[0], &audit).await.unwrap();
    let audit = Audit::new(fx.company, None, "restore_option", 4_000);
    store.restore_option_here(ids[1], &audit).await.unwrap();
    let feed = all(&store, &fx, 2).await;
    let seen: Vec<(i64, ChangeKind, i64)> = feed.iter().map(|c| (c.seq, c.kind, c.at_ms)).collect();
    assert_eq!(
        seen,
        [
            (3, ChangeKind::RemovedHere, 3_000),
            (4, ChangeKind::RemovedHere, 3_000),
            (5, ChangeKind::Restored, 4_000),
            (6, ChangeKind::Restored, 4_000),
        ]
    );
    assert_eq!(
        feed[0].cause,
        ChangeCause::Action {
            action: "remove_option".into(),
            actor: None
        }
    );
    // Paging: `after` and `limit`, within a run's entries and across into the next write's.
    let page = store.field_changes(fx.field, 0, 1).await.unwrap();
    assert_eq!(page.changes.iter().map(|c| c.seq).collect::<Vec<_>>(), [1]);
    let page = store.field_changes(fx.field, 1, 2).await.unwrap();
    assert_eq!(
        page.changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [2, 3]
    );
    assert_eq!(page.changes[0].label, "Acme : Build 0");
    let page = store.field_changes(fx.field, 4, 1).await.unwrap();
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].seq, 5);
    assert_eq!(page.position.last, 6);

    // A sub-project's path has every level.
    let mut deeper = plan(&store, &fx, Vec::new()).await;
    let parent = key(UpstreamKind::Project, 100);
    deeper.options = vec![project(900, parent, 3, "Phase 1")];
    deeper.changes = vec![change(key(UpstreamKind::Project, 900), ChangeKind::Added)];
    deeper.run.finished_at_ms = 4_500;
    store.apply_plan(&deeper).await.unwrap();
    let page = store.field_changes(fx.field, 6, 10).await.unwrap();
    assert_eq!(page.changes[0].label, "Acme : Build 0 : Phase 1");
    assert_eq!(page.changes[0].seq, 7);

    // Pruning what was written before 2,500 ms: a reader from before it is told so.
    assert_eq!(store.prune_field_changes(2_500).await.unwrap(), 2);
    match store.field_changes(fx.field, 0, 10).await {
        Err(StoreError::FeedPruned { pruned_through, .. }) => assert_eq!(pruned_through, 2),
        other => panic!("expected FeedPruned, got {other:?}"),
    }
    assert_eq!(all(&store, &fx, 2).await.len(), 5);
    assert_eq!(store.prune_field_changes(2_500).await.unwrap(), 0);
}

async fn an_event_is_queued_with_the_changes_it_announces(store: Store) {
    let fx = fixture(&store).await;
    let audit = Audit::new(fx.company, None, "create_webhook", 10);
    let hears = store
        .create_webhook_endpoint(
            &fx.key,
            "https://hooks.example.com/nsync",
            &[WebhookEvent::FieldChanged],
            "whsec_c2VjcmV0LW9uZQ==",
            &audit,
        )
        .await
        .unwrap();
    let deaf = store
        .create_webhook_endpoint(
            &fx.key,
            "https://other.example.com/",
            &[WebhookEvent::RunFailed],
            "whsec_c2VjcmV0LXR3bw==",
            &audit,
        )
        .await
        .unwrap();
    import(&store, &fx, 3).await;
    let queued = store.webhook_deliveries(hears.id, None, 10).await.unwrap();
    assert_eq!(queued.len(), 1, "one event for the whole run: {queued:?}");
    assert!(store
        .webhook_deliveries(deaf.id, None, 10)
        .await
        .unwrap()
        .is_empty());
    let body: serde_json::Value = serde_json::from_str(&queued[0].payload).unwrap();
    assert_eq!(body["type"], "field.changed");
    assert_eq!(body["data"]["changes"], 4);
    assert_eq!(body["data"]["counts"]["added"], 4);
    let cursor = |seq| {
        FeedCursor {
            field: fx.field,
            seq,
        }
        .to_string()
    };
    assert_eq!(body["data"]["after"], cursor(0));
    assert_eq!(body["data"]["until"], cursor(4));

    // The worker's side: lease the endpoint, deliver its oldest, and nothing is left due.
    let lease = store
        .lease_webhook_endpoint(&fx.key, 2_100, 60_000)
        .await
        .unwrap()
        .expect("a due endpoint");
    assert_eq!(lease.endpoint.id, hears.id);
    assert_eq!(lease.secrets.len(), 1);
    assert!(
        store
            .lease_webhook_endpoint(&fx.key, 2_101, 60_000)
            .await
            .unwrap()
            .is_none(),
        "a leased endpoint is not leased twice"
    );
    let next = store.next_webhook_delivery(&lease).await.unwrap().unwrap();
    store
        .record_webhook_attempt(
            &lease,
            next.id,
            &AttemptOutcome::Delivered { status: 204 },
            2_200,
            60_000,
        )
        .await
        .unwrap();
    assert!(store.next_webhook_delivery(&lease).await.unwrap().is_none());
    store.release_webhook_endpoint(&lease).await.unwrap();
    let done = &store.webhook_deliveries(hears.id, None, 10).await.unwrap()[0];
    assert_eq!(
        (done.status, done.attempts, done.last_status),
        (DeliveryStatus::Delivered, 1, Some(204))
    );
    assert!(store
        .lease_webhook_endpoint(&fx.key, 2_300, 60_000)
        .await
        .unwrap()
        .is_none());

    // An action by hand is announced too, once.
    let ids = store.integrated_options(fx.field).await.unwrap();
    let audit = Audit::new(fx.company, None, "remove_option", 2_400);
    store.remove_option_here(ids[1].id, &audit).await.unwrap();
    let queued = store.webhook_deliveries(hears.id, None, 10).await.unwrap();
    assert_eq!(queued.len(), 2);
    let body: serde_json::Value = serde_json::from_str(&queued[0].payload).unwrap();
    assert_eq!(body["data"]["action"], "remove_option");
    assert_eq!(body["data"]["after"], cursor(4));
}

/// Writers to one field at once (actions by hand from several tasks, and a run), and a reader
/// following the feed meanwhile: the reader never sees an entry before the ones numbered
/// below it, every entry is there once, and each write's entries are contiguous.
async fn concurrent_writers_leave_no_gap_and_no_reordering(store: Store) {
    let fx = Arc::new(fixture(&store).await);
    let ids = Arc::new(import(&store, &fx, 24).await);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (store, fx, done) = (store.clone(), Arc::clone(&fx), Arc::clone(&done));
        tokio::spawn(async move {
            let mut read: Vec<FieldChange> = Vec::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let after = read.last().map_or(0, |c| c.seq);
                let page = store.field_changes(fx.field, after, 7).await.unwrap();
                for (i, entry) in page.changes.iter().enumerate() {
                    assert_eq!(entry.seq, after + 1 + i as i64, "a gap or a reordering");
                }
                let empty = page.changes.is_empty();
                read.extend(page.changes);
                if finished && empty {
                    return read;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut writers = Vec::new();
    for task in 0..6i64 {
        let (store, fx, ids) = (store.clone(), Arc::clone(&fx), Arc::clone(&ids));
        writers.push(tokio::spawn(async move {
            let mut marked = 0;
            for round in 0..4i64 {
                // Each task its own projects; a distinct time tells the writes apart.
                let option = ids[1 + (task * 4 + round) as usize % 24];
                let at = 10_000 + task * 100 + round * 2;
                let audit = Audit::new(fx.company, None, "remove_option", at);
                marked += store.remove_option_here(option, &audit).await.unwrap();
                let audit = Audit::new(fx.company, None, "restore_option", at + 1);
                marked += store.restore_option_here(option, &audit).await.unwrap();
            }
            marked
        }));
    }
    // And a run renaming every project, at the same time.
    let run = {
        let (store, fx) = (store.clone(), Arc::clone(&fx));
        tokio::spawn(async move {
            let c = key(UpstreamKind::Customer, 1);
            let mut options = vec![customer(1, "Acme")];
            let mut changes = Vec::new();
            for i in 0..24 {
                options.push(project(100 + i, c, 2, &format!("Rebuilt {i}")));
                changes.push(change(
                    key(UpstreamKind::Project, 100 + i),
                    ChangeKind::Renamed,
                ));
            }
            let lock = store.lock_integration(fx.integration).await.unwrap();
            let run = store
                .start_run(&lock, RunKind::Update, RunTrigger::Cli, None, 5_000, None)
                .await
                .unwrap();
            lock.release().await.unwrap();
            let mut plan = crate::harness::plan_for_run(&fx, run, options);
            plan.changes = changes;
            plan.run.finished_at_ms = 5_000;
            store.apply_plan(&plan).await.unwrap();
        })
    };
    let mut marked = 0;
    for writer in writers {
        marked += writer.await.unwrap();
    }
    run.await.unwrap();
    done.store(true, Ordering::SeqCst);
    let read = reader.await.unwrap();

    // The run may put back a project a task removed (it imports them not removed), so the
    // tasks' restores count what they marked.
    assert!(marked >= 6 * 4, "{marked}");
    let expected = 25 + marked as usize + 24;
    assert_eq!(read.len(), expected, "every entry read once");
    assert_eq!(
        store.feed_position(fx.field).await.unwrap().last,
        expected as i64
    );
    // Each write's entries are one run of consecutive numbers.
    let mut spans: HashMap<(String, i64), (i64, i64, usize)> = HashMap::new();
    for entry in &read {
        let cause = match &entry.cause {
            ChangeCause::Run(run) => format!("run {run}"),
            ChangeCause::Action { action, .. } => action.clone(),
        };
        let span = spans
            .entry((cause, entry.at_ms))
            .or_insert((entry.seq, entry.seq, 0));
        span.0 = span.0.min(entry.seq);
        span.1 = span.1.max(entry.seq);
        span.2 += 1;
    }
    for ((cause, at), (first, last, n)) in spans {
        assert_eq!(
            (last - first + 1) as usize,
            n,
            "the entries of {cause} at {at} are interleaved with another write's"
        );
    }
}
