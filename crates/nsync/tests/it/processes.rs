//! Three `nsync serve` processes on one PostgreSQL database, 200 integrations of one NetSuite
//! account due in the same slot, one process killed with SIGKILL in the middle: every update
//! runs exactly once, the dead process's jobs are taken over within their lease, and the three
//! processes together never send the account more requests at once than its limit (the limit
//! is kept in the database; three budgets of 4 in memory would send up to 12).

use std::process::Stdio;
use std::time::{Duration, Instant};

use netsuite_emulator::{AccountConfig, Emulator, EmulatorConfig, GeneratorSpec, LatencyConfig};
use nsync_core::{AccountId, IntegrationSettings, LocalTime, SubsidiaryId, TimeZone, Weekdays};
use nsync_store::{MasterKey, NewIntegration, Store};
use sqlx::{Connection, PgConnection, Row};

use crate::support::Database;
use tokio::process::{Child, Command};

const ACCOUNT: &str = "7654321";
const INTEGRATIONS: i64 = 200;
const LEASE_SECS: i64 = 5;

fn serve(db: &Database, key: &str, emulator: &Emulator) -> Child {
    Command::new(env!("CARGO_BIN_EXE_nsync"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("NSYNC_DATABASE_URL", &db.url)
        .env("NSYNC_MASTER_KEY", key)
        .env("NSYNC_NETSUITE_BASE_URL", emulator.base_url())
        .env("NSYNC_WORKERS", "4")
        .env("NSYNC_JOB_LEASE_SECONDS", LEASE_SECS.to_string())
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("nsync serve starts")
}

async fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(conn)
        .await
        .expect(sql)
        .get::<i64, _>(0)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_run_200_due_updates_once_each_though_one_is_killed() {
    let Some(db) = Database::create("processes").await else {
        return;
    };
    let mut account = AccountConfig::generated(
        ACCOUNT,
        GeneratorSpec {
            customers: 6,
            leads_and_prospects: 0,
            projects: 12,
            subsidiaries: 1,
            seed: 5,
        },
    );
    // The limit each process's budget has: only sharing it keeps three processes within it.
    account.concurrency_limit = 4;
    let mut config = EmulatorConfig::single(account);
    config.latency = LatencyConfig {
        fixed: Duration::from_millis(40),
        ..LatencyConfig::default()
    };
    let emulator = Emulator::start(config).await.expect("emulator");
    let subsidiary = emulator
        .control()
        .suiteql(ACCOUNT, "SELECT id FROM subsidiary", 0, 10)
        .expect("subsidiaries")
        .items[0]["id"]
        .as_str()
        .expect("an id")
        .parse::<i64>()
        .unwrap();

    // 200 integrations whose daily 00:00 (UTC) update is owed today.
    let (key, key_text) = MasterKey::generate();
    let store = Store::connect(&db.url).await.expect("store");
    let company = store
        .create_company("Many integrations", &TimeZone::parse("UTC").unwrap(), 1)
        .await
        .unwrap();
    let mut settings = IntegrationSettings::default();
    settings.auto_update.enabled = true;
    settings.auto_update.weekdays = Weekdays::DAILY;
    settings.auto_update.at = LocalTime::parse("00:00").unwrap();
    for i in 0..INTEGRATIONS {
        store
            .create_integration(
                &key,
                &NewIntegration {
                    company,
                    account: AccountId::parse(ACCOUNT).unwrap(),
                    subsidiary: Some(SubsidiaryId::new(subsidiary).unwrap()),
                    credentials: nsync_server::testing::credentials(&emulator, ACCOUNT),
                    settings: settings.clone(),
                    field_name: format!("Field {i}"),
                },
                &nsync_store::testing::audit(company),
            )
            .await
            .unwrap();
    }
    store.close().await;
    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    // Created just now, the integrations owe no earlier slot; make today's owed.
    sqlx::query("UPDATE integrations SET schedule_after_ms = 0")
        .execute(&mut conn)
        .await
        .unwrap();

    let mut processes: Vec<Child> = (0..3).map(|_| serve(&db, &key_text, &emulator)).collect();
    let succeeded = "SELECT COUNT(*) FROM runs WHERE status = 'succeeded'";
    let started = Instant::now();
    while count(&mut conn, succeeded).await < INTEGRATIONS / 4 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "too slow to start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let running_at_kill = count(
        &mut conn,
        "SELECT COUNT(*) FROM jobs WHERE status = 'running'",
    )
    .await;
    processes[0].start_kill().expect("SIGKILL");
    let killed_at = now_ms();
    processes[0].wait().await.unwrap();

    let done = "SELECT COUNT(*) FROM jobs WHERE status = 'completed'";
    while count(&mut conn, done).await < INTEGRATIONS {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "not every job completed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for process in &mut processes[1..] {
        process.start_kill().unwrap();
        process.wait().await.unwrap();
    }
    let log = emulator.control().requests();
    let throttled = log.iter().filter(|r| r.status == 429).count();
    assert_eq!(
        throttled,
        0,
        "{throttled} of {} requests went over the account's limit",
        log.len()
    );

    // Exactly one successful scheduled run per integration; every job completed.
    assert_eq!(count(&mut conn, succeeded).await, INTEGRATIONS);
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(DISTINCT integration_id) FROM runs WHERE status = 'succeeded' AND triggered_by = 'schedule'"
        )
        .await,
        INTEGRATIONS
    );
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) FROM jobs").await,
        INTEGRATIONS
    );
    // The runs the dead process left are marked interrupted, nothing else failed.
    let failed = count(
        &mut conn,
        "SELECT COUNT(*) FROM runs WHERE status <> 'succeeded'",
    )
    .await;
    let interrupted = count(
        &mut conn,
        "SELECT COUNT(*) FROM runs WHERE status = 'failed' AND error LIKE '%interrupted%'",
    )
    .await;
    assert_eq!(failed, interrupted);
    // The jobs it held were taken over, each within its lease (plus a worker's turn).
    let recovered = sqlx::query("SELECT leased_at_ms FROM jobs WHERE leased_from = 'running'")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(
        !recovered.is_empty() && running_at_kill > 0,
        "the killed process held jobs ({running_at_kill} running at the kill) that were taken over"
    );
    assert!(recovered.len() as i64 >= interrupted);
    for row in &recovered {
        let after = row.get::<i64, _>(0) - killed_at;
        assert!(
            after <= (LEASE_SECS + 5) * 1000,
            "a lease was recovered {after} ms after the kill"
        );
    }
    eprintln!(
        "processes: {INTEGRATIONS} runs succeeded once each; {running_at_kill} jobs running at the kill, {} leases recovered, {interrupted} interrupted runs marked failed, {} NetSuite requests none over the limit, {:.1} s",
        recovered.len(),
        log.len(),
        started.elapsed().as_secs_f64()
    );
    drop(conn);
    db.drop_it().await;
}
