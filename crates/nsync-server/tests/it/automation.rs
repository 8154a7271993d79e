//! Updates nobody clicks, on a controlled clock: a simulated year of Mondays, missed slots,
//! retries and taken-over leases; NetSuite notifications (signed, fresh, never replayed,
//! debounced); the metrics.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use netsuite_emulator::{FaultKind, FaultRule};
use nsync_core::{
    AccountId, IntegrationId, IntegrationSettings, LocalTime, RunStatus, RunTrigger, Weekdays,
};
use nsync_server::automation::{Automation, AutomationConfig};
use nsync_server::http::hooks::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use nsync_server::Engine;
use nsync_store::{JobStatus, NewIntegration, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api_harness::api;
use crate::both_backends;
use crate::harness::{app, App, ACCOUNT};

both_backends!(
    a_simulated_year_of_mondays_gives_52_scheduled_runs_and_none_when_disabled,
    slots_missed_while_no_process_ran_run_once,
    a_transient_failure_is_retried_and_an_abandoned_lease_is_taken_over,
    a_job_whose_run_succeeded_before_its_worker_died_is_not_run_again,
    notifications_must_be_signed_fresh_and_new_and_a_burst_queues_one_update,
    metrics_count_runs_requests_and_the_queue,
);

/// A clock the test moves.
#[derive(Debug)]
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn at(t: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(t)))
    }
    fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap() = t;
    }
    fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl netsuite::Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

fn config() -> AutomationConfig {
    AutomationConfig {
        concurrency: 1,
        lease: Duration::from_secs(30),
        backoff: Duration::from_secs(60),
        max_attempts: 3,
        ..AutomationConfig::default()
    }
}

/// Turns the automatic update on: Monday 06:00 (company time, Europe/Paris) unless `days`.
async fn schedule(store: &Store, integration: IntegrationId, days: Weekdays, at: &str) {
    let mut settings = store.integration(integration).await.unwrap().settings;
    settings.auto_update.enabled = true;
    settings.auto_update.weekdays = days;
    settings.auto_update.at = LocalTime::parse(at).unwrap();
    store
        .update_settings(
            integration,
            &settings,
            &nsync_store::testing::audit(store.integration(integration).await.unwrap().company),
        )
        .await
        .unwrap();
}

/// A second integration of the same company and account, automatic update off.
async fn second_integration(app: &App) -> IntegrationId {
    let credentials = app
        .store
        .credentials(app.engine.master_key(), app.integration)
        .await
        .unwrap();
    app.store
        .create_integration(
            app.engine.master_key(),
            &NewIntegration {
                company: app.company,
                account: AccountId::parse(ACCOUNT).unwrap(),
                subsidiary: None,
                credentials,
                settings: IntegrationSettings::default(),
                field_name: "Second".into(),
            },
            &nsync_store::testing::audit(app.company),
        )
        .await
        .unwrap()
}

/// An app whose automatic update runs daily at 06:00, its engine shared.
struct Scheduled {
    store: Store,
    engine: Arc<Engine>,
    integration: IntegrationId,
    emulator: netsuite_emulator::Emulator,
}

async fn scheduled_daily(store: Store) -> Scheduled {
    let app = app(store).await;
    schedule(&app.store, app.integration, Weekdays::DAILY, "06:00").await;
    Scheduled {
        store: app.store,
        engine: Arc::new(app.engine),
        integration: app.integration,
        emulator: app.emulator,
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

/// Runs every job that is due now.
async fn drain(automation: &Automation) -> usize {
    let mut ran = 0;
    while automation.work_once().await.unwrap() {
        ran += 1;
    }
    ran
}

fn automation(engine: Arc<Engine>, clock: &Arc<TestClock>) -> Automation {
    let clock: Arc<dyn netsuite::Clock> = clock.clone();
    Automation::new(engine, clock, config())
}

async fn a_simulated_year_of_mondays_gives_52_scheduled_runs_and_none_when_disabled(store: Store) {
    let app = app(store).await;
    let disabled = second_integration(&app).await;
    schedule(&app.store, app.integration, Weekdays::MONDAY, "06:00").await;
    let App {
        store,
        engine,
        emulator,
        integration,
        ..
    } = app;
    let clock = TestClock::at(utc(2027, 1, 1, 0));
    let automation = automation(Arc::new(engine), &clock);
    // The schedule was turned on (now, in 2026) before the simulated year: the last Monday of
    // 2026 is owed and runs once, at once.
    assert_eq!(automation.schedule_due().await.unwrap(), 1);
    assert_eq!(drain(&automation).await, 1);
    // Uneven steps: the clock lands before, on and well after slot starts.
    let steps = [97, 13, 240, 1, 180, 29, 3, 400];
    let end = utc(2028, 1, 1, 0);
    let mut queued = 0;
    for step in steps.iter().cycle() {
        clock.advance(chrono::Duration::minutes(*step));
        if netsuite::Clock::now(&*clock) > end {
            break;
        }
        queued += automation.schedule_due().await.unwrap();
        drain(&automation).await;
    }
    assert_eq!(queued, 52);
    let runs = store.runs(integration, None, 100).await.unwrap();
    assert_eq!(runs.len(), 53);
    assert!(runs
        .iter()
        .all(|r| r.trigger == RunTrigger::Schedule && r.status == RunStatus::Succeeded));
    assert!(store.runs(disabled, None, 100).await.unwrap().is_empty());
    drop(emulator);
}

async fn slots_missed_while_no_process_ran_run_once(store: Store) {
    let Scheduled {
        store,
        engine,
        integration,
        emulator,
    } = scheduled_daily(store).await;
    let clock = TestClock::at(utc(2027, 3, 1, 0));
    let first = automation(Arc::clone(&engine), &clock);
    assert_eq!(
        first.schedule_due().await.unwrap(),
        1,
        "the slot of 28 February"
    );
    // Ten days without any process; then two schedulers come back at once.
    clock.set(utc(2027, 3, 11, 12));
    let second = automation(Arc::clone(&engine), &clock);
    let (a, b) = tokio::join!(first.schedule_due(), second.schedule_due());
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one slot owed, claimed once");
    assert_eq!(store.queue_depth().await.unwrap(), 2);
    assert_eq!(drain(&first).await, 2);
    assert_eq!(store.runs(integration, None, 100).await.unwrap().len(), 2);
    assert_eq!(first.schedule_due().await.unwrap(), 0);
    drop(emulator);
}

async fn a_transient_failure_is_retried_and_an_abandoned_lease_is_taken_over(store: Store) {
    let Scheduled {
        store,
        engine,
        integration,
        emulator,
    } = scheduled_daily(store).await;
    let clock = TestClock::at(utc(2027, 3, 1, 7));
    let automation = automation(Arc::clone(&engine), &clock);
    assert_eq!(automation.schedule_due().await.unwrap(), 1);
    // NetSuite fails more often than the client retries: the run fails, the job waits.
    emulator
        .control()
        .add_fault(FaultRule::next(FaultKind::ServerError, 50));
    assert!(automation.work_once().await.unwrap());
    emulator.control().clear_faults();
    let runs = store.runs(integration, None, 10).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert!(
        runs[0].error.as_deref().unwrap_or("").contains("NetSuite"),
        "{:?}",
        runs[0].error
    );
    assert!(!automation.work_once().await.unwrap(), "backing off");
    clock.advance(chrono::Duration::seconds(61));
    assert!(automation.work_once().await.unwrap());
    let runs = store.runs(integration, None, 10).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded);

    // A worker leases the next day's job and dies: after the lease, another takes it over.
    clock.set(utc(2027, 3, 2, 7));
    assert_eq!(automation.schedule_due().await.unwrap(), 1);
    let now = clock.0.lock().unwrap().timestamp_millis();
    let dead = store.lease_job(now, 30_000).await.unwrap().unwrap();
    assert!(!automation.work_once().await.unwrap(), "still leased");
    clock.advance(chrono::Duration::seconds(31));
    assert!(automation.work_once().await.unwrap());
    let job = store.job(dead.job.id).await.unwrap();
    assert_eq!((job.status, job.attempts), (JobStatus::Completed, 2));
    let metrics = engine.metrics().encode(0);
    assert!(
        metrics.contains("nsync_job_lease_expirations_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("nsync_jobs_total{outcome=\"retried\"} 1"),
        "{metrics}"
    );
    assert_eq!(
        store.runs(integration, None, 10).await.unwrap()[0].status,
        RunStatus::Succeeded
    );
}

async fn a_job_whose_run_succeeded_before_its_worker_died_is_not_run_again(store: Store) {
    let Scheduled {
        store,
        engine,
        integration,
        emulator,
    } = scheduled_daily(store).await;
    let clock = TestClock::at(utc(2027, 3, 1, 7));
    let automation = automation(Arc::clone(&engine), &clock);
    assert_eq!(automation.schedule_due().await.unwrap(), 1);
    // A worker leases the job, its run commits, and the process dies before settling the job.
    let now = clock.0.lock().unwrap().timestamp_millis();
    let dead = store.lease_job(now, 30_000).await.unwrap().unwrap();
    let mut options = nsync_server::RunOptions::new(RunTrigger::Schedule);
    options.job = Some(dead.job.id);
    let report = engine.update(integration, options).await.unwrap();
    assert_eq!(report.status, RunStatus::Succeeded);
    clock.advance(chrono::Duration::seconds(31));
    assert!(automation.work_once().await.unwrap());
    let job = store.job(dead.job.id).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed);
    let runs = store.runs(integration, None, 10).await.unwrap();
    assert_eq!(runs.len(), 1, "the slot's update ran once");
    drop(emulator);
}

async fn notifications_must_be_signed_fresh_and_new_and_a_burst_queues_one_update(store: Store) {
    let api = api(store).await;
    let reply = api
        .post(
            &api.admin,
            &format!("/integrations/{}/notification-secret", api.integration),
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let secret = reply.body["secret"].as_str().unwrap().to_owned();
    let hook = format!("{}/hooks/netsuite/{}", api.url, api.integration);
    let send = |url: String, ts: i64, body: String, signature: String| {
        let http = api.http.clone();
        async move {
            let response = http
                .post(url)
                .header(TIMESTAMP_HEADER, ts.to_string())
                .header(SIGNATURE_HEADER, signature)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    let now = || Utc::now().timestamp();
    let signed =
        |ts: i64, body: &str| format!("sha256={}", sign(secret.as_bytes(), ts, body.as_bytes()));

    // Refused, and nothing happens: wrong secret, unknown integration, no signature, too old.
    let body = r#"{"type":"customer","id":"12","event":"edit"}"#.to_owned();
    let forged = format!("sha256={}", sign(b"not-the-secret", now(), body.as_bytes()));
    let other = format!(
        "{}/hooks/netsuite/{}",
        api.url,
        api.integration.get() + 1000
    );
    let old = now() - 400;
    for (url, ts, signature) in [
        (hook.clone(), now(), forged),
        (other, now(), signed(now(), &body)),
        (hook.clone(), now(), String::new()),
        (hook.clone(), old, signed(old, &body)),
    ] {
        let (status, reply) = send(url, ts, body.clone(), signature).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{reply}");
        assert_eq!(reply["error"]["code"], "bad_notification");
    }
    assert_eq!(api.store.queue_depth().await.unwrap(), 0);

    // A burst of 100 in well under 10 s: the first half queues one update; a worker starts it;
    // the second half queues exactly one more, a minute after the first started.
    let mut jobs = std::collections::BTreeSet::new();
    let mut accepted = Vec::new();
    for i in 0..100 {
        if i == 50 {
            let lease = api
                .store
                .lease_job(Utc::now().timestamp_millis(), 600_000)
                .await
                .unwrap()
                .expect("the queued update");
            assert_eq!(lease.job.payload["trigger"], "notification");
        }
        let body = format!(r#"{{"type":"project","id":"{i}","event":"edit"}}"#);
        let ts = now();
        let (status, reply) = send(hook.clone(), ts, body.clone(), signed(ts, &body)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        jobs.insert(reply["job"].as_i64().unwrap());
        accepted.push((ts, body));
    }
    assert_eq!(jobs.len(), 2, "one running and one queued");
    assert_eq!(api.store.queue_depth().await.unwrap(), 1);
    let ids: Vec<i64> = jobs.into_iter().collect();
    let running = api.store.job(ids[0].try_into().unwrap()).await.unwrap();
    let queued = api.store.job(ids[1].try_into().unwrap()).await.unwrap();
    assert_eq!(running.status, JobStatus::Running);
    assert_eq!(queued.status, JobStatus::Queued);
    assert!(queued.run_at_ms >= Utc::now().timestamp_millis() + 50_000);

    // A replay of an accepted notification is refused.
    let (ts, body) = accepted[10].clone();
    let (status, reply) = send(hook.clone(), ts, body.clone(), signed(ts, &body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{reply}");
    assert_eq!(api.store.queue_depth().await.unwrap(), 1);
}

async fn metrics_count_runs_requests_and_the_queue(store: Store) {
    let api = api(store).await;
    // The import's first request is refused for the account's limit, and retried.
    api.emulator
        .control()
        .add_fault(FaultRule::next(FaultKind::TooManyRequests, 1));
    api.import_all().await;
    let text = api
        .http
        .get(format!("{}/metrics", api.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let by_account =
        format!("nsync_netsuite_throttled_by_account_total{{account=\"{ACCOUNT}\"}} 1");
    for expected in [
        "nsync_runs_total{kind=\"import\",status=\"succeeded\"} 1",
        "nsync_netsuite_requests_total{outcome=\"ok\"}",
        "nsync_run_duration_seconds_count{kind=\"import\"} 1",
        "nsync_job_queue_depth 0",
        "nsync_netsuite_throttled_total 1",
        by_account.as_str(),
        "nsync_job_wait_seconds_count 0",
        "# EOF",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
}
