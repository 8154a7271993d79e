//! The Monday storm (`bench/storm.sh`): the automatic update of 2,000 companies on three
//! `nsync worker` processes and one `nsync serve` over one PostgreSQL.
//!
//! One emulator (in this process, on its own runtime) serves 2,000 NetSuite accounts: 1,980 of
//! 1,000 records and 20 of 50,000, two subsidiaries each, 100 ms a request plus up to 20 ms of
//! jitter, a limit of 5 requests at once per account. 100 companies integrate both subsidiaries
//! of their account (two integrations sharing its limit), so there are 2,100 integrations, each
//! imported beforehand (by an engine in this process: setup, not the storm) with its automatic
//! update on, Monday 06:00 in one of 12 time zones an hour apart. One wave, Europe/Paris, holds
//! 600 integrations, the 20 large accounts among them; three more integrations in it are broken
//! (revoked credentials, a deleted subsidiary, an account answering 503 all wave long).
//!
//! The processes read time from a test clock file (`NSYNC_TEST_CLOCK_FILE`): the benchmark
//! puts the clock 5 s before a wave's slot, waits for the wave's updates to end, changes 1% of
//! the next wave's accounts in NetSuite, and moves the clock on. In the busiest wave it SIGKILLs
//! one worker at a random moment and sends 100 typeahead requests a second to `nsync serve`.
//! The storm runs on three Mondays in a row (median of 3); after each, every integration's
//! options are compared with NetSuite's state, read from the emulator's database.
//!
//! `NSYNC_STORM_COMPANIES` (2,000) scales everything; `NSYNC_STORM_RUNS` (3) sets the Mondays.

#![recursion_limit = "256"]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone as _, Utc};
use netsuite_emulator::{
    AccountConfig, Control, Emulator, EmulatorConfig, FaultKind, FaultRule, GeneratorSpec,
    LatencyConfig,
};
use nsync_core::planner::Selection;
use nsync_core::{
    AccountId, IntegrationId, IntegrationSettings, RunTrigger, SubsidiaryId, TimeZone, UpstreamKey,
    UpstreamKind,
};
use nsync_server::testing::{Truth, Verdict};
use nsync_server::{ClientSettings, Engine, RunOptions};
use nsync_store::{Audit, MasterKey, NewIntegration, Store, StoreConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::ExposeSecret;
use sqlx::{Connection, PgConnection, Row};
use tokio::process::{Child, Command};

/// East to west, one hour apart in December (no daylight saving then in any of them).
const ZONES: [&str; 12] = [
    "Pacific/Noumea",
    "Australia/Brisbane",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Bangkok",
    "Asia/Dhaka",
    "Asia/Karachi",
    "Asia/Dubai",
    "Europe/Moscow",
    "Africa/Cairo",
    "Europe/Paris",
    "Europe/London",
];
const BUSIEST: usize = 10;
const WORKERS: usize = 3;
const JOBS_PER_WORKER: usize = 8;
const POOL: u32 = 16;
const IMPORT_LANES: usize = 12;
const SERVE_POOL: u32 = 8;
const LEASE_SECS: u64 = 30;
const TYPEAHEAD_PER_SECOND: u64 = 100;
const DRIVER: &str = "nsync-storm-driver";

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// One integration of the storm.
#[derive(Debug, Clone)]
struct Planned {
    id: IntegrationId,
    account: String,
    sub: i64,
    wave: usize,
    large: bool,
    broken: Option<&'static str>,
    field: nsync_core::CustomFieldId,
    /// What the import had to bring in (the verdict's "must have an option").
    must: BTreeSet<UpstreamKey>,
}

struct Setup {
    emulator: Emulator,
    db_url: String,
    db_name: String,
    admin_url: String,
    key_text: String,
    integrations: Vec<Planned>,
    tokens: Vec<(String, nsync_core::CustomFieldId, Vec<String>)>,
    dir: PathBuf,
    setup_took: Duration,
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Res<()> {
    let companies = env_usize("NSYNC_STORM_COMPANIES", 2000).max(100);
    let runs = env_usize("NSYNC_STORM_RUNS", 3).max(1);
    let started = Instant::now();
    let (config, plan) = plan(companies);
    // The emulator answers on a runtime of its own, as a process of its own would.
    let emulator_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("emulator")
        .enable_all()
        .build()?;
    let emulator = emulator_runtime.block_on(Emulator::start(config))?;
    eprintln!(
        "storm: emulator with {} accounts ready in {:.0} s",
        emulator.account_ids().len(),
        started.elapsed().as_secs_f64()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(storm(emulator, plan, started, runs));
    drop(runtime);
    drop(emulator_runtime);
    result
}

async fn storm(emulator: Emulator, plan: Vec<PlanEntry>, started: Instant, runs: usize) -> Res<()> {
    let companies = plan.iter().filter(|p| p.4.is_none()).count();
    let setup = setup(emulator, plan, started).await?;
    let n = setup.integrations.len();
    println!(
        "storm: {companies} companies, {n} integrations ({} large, {} broken) on {} NetSuite accounts; \
         {WORKERS} workers x {JOBS_PER_WORKER} jobs, pool {POOL} (serve {SERVE_POOL}); setup {:.0} s",
        setup.integrations.iter().filter(|p| p.large).count(),
        setup.integrations.iter().filter(|p| p.broken.is_some()).count(),
        setup.emulator.account_ids().len(),
        setup.setup_took.as_secs_f64()
    );
    let mut results = Vec::new();
    for run in 0..runs {
        let result = monday(&setup, run).await?;
        result.print(run);
        results.push(result);
    }
    summary(&results, n);
    let mut admin = PgConnection::connect(&setup.admin_url).await?;
    sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", setup.db_name))
        .execute(&mut admin)
        .await?;
    Ok(())
}

/// Account, wave, large, two integrations, broken how.
type PlanEntry = (String, usize, bool, bool, Option<&'static str>);

/// The accounts and what each company integrates.
fn plan(companies: usize) -> (EmulatorConfig, Vec<PlanEntry>) {
    let large_every = 100;
    let pair_every = 20;
    let busiest_target = companies * 600 / 2000;
    // Company c has account 3000000 + c; its wave, whether it is large or has two integrations.
    let mut accounts = Vec::new();
    let mut plan = Vec::new();
    let mut busiest = 0;
    let mut next_zone = 0;
    for c in 0..companies {
        let large = c % large_every == 1;
        let pair = c % pair_every == 0;
        let count = if pair { 2 } else { 1 };
        let wave = if large || busiest + count <= busiest_target {
            busiest += count;
            BUSIEST
        } else {
            let zone = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11][next_zone % 11];
            next_zone += 1;
            zone
        };
        let id = format!("{}", 3_000_000 + c);
        let (customers, projects) = if large { (15_000, 35_000) } else { (300, 700) };
        let mut account = AccountConfig::generated(
            &id,
            GeneratorSpec {
                customers,
                leads_and_prospects: 0,
                projects,
                subsidiaries: 2,
                seed: c as u64,
            },
        );
        account.concurrency_limit = 5;
        accounts.push(account);
        plan.push((id, wave, large, pair, None));
    }
    // The broken ones, in the busiest wave, each on an account of its own.
    for (i, why) in ["revoked credentials", "subsidiary deleted", "503 all wave"]
        .into_iter()
        .enumerate()
    {
        let id = format!("{}", 3_900_000 + i);
        let mut account = AccountConfig::generated(
            &id,
            GeneratorSpec {
                customers: 30,
                leads_and_prospects: 0,
                projects: 70,
                subsidiaries: 2,
                seed: 900 + i as u64,
            },
        );
        account.concurrency_limit = 5;
        accounts.push(account);
        plan.push((id, BUSIEST, false, false, Some(why)));
    }
    let mut config = EmulatorConfig::single(accounts.remove(0));
    config.accounts.extend(accounts);
    config.latency = LatencyConfig {
        fixed: Duration::from_millis(100),
        jitter: Duration::from_millis(20),
        per_row: Duration::ZERO,
    };
    config.seed = 2026;
    (config, plan)
}

/// The database, the companies and their imported integrations.
async fn setup(emulator: Emulator, plan: Vec<PlanEntry>, started: Instant) -> Res<Setup> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("storm");
    std::fs::create_dir_all(&dir)?;
    let control = emulator.control();

    let admin_url = std::env::var("NSYNC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let db_name = format!("nsync_storm_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {db_name}"))
        .execute(&mut admin)
        .await?;
    let (base, _) = admin_url.rsplit_once('/').ok_or("a database in the URL")?;
    let db_url = format!("{base}/{db_name}");
    let mut conn = PgConnection::connect(&db_url).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        .execute(&mut conn)
        .await?;
    let (key, key_text) = MasterKey::generate();
    let store = Store::connect_with(StoreConfig {
        max_connections: 24,
        run_lock_connections: Some(IMPORT_LANES as u32),
        ..StoreConfig::new(&db_url)
    })
    .await?;
    let settings = ClientSettings {
        base_url_override: Some(emulator.base_url().parse()?),
        concurrency: 5,
        ..ClientSettings::default()
    };
    let engine = Arc::new(Engine::new(
        store.clone(),
        MasterKey::from_base64(&key_text)?,
        Arc::new(settings),
    ));

    let mut settings = IntegrationSettings::default();
    settings.auto_update.enabled = true;
    let mut made = Vec::new();
    let mut company_of = BTreeMap::new();
    for (c, (account, wave, large, pair, broken)) in plan.iter().enumerate() {
        let zone = TimeZone::parse(ZONES[*wave])?;
        let company = store
            .create_company(&format!("Company {c}"), &zone, 1)
            .await?;
        company_of.insert(c, company);
        let subs: Vec<i64> = control
            .suiteql(account, "SELECT id FROM subsidiary ORDER BY id", 0, 10)?
            .items
            .iter()
            .filter_map(|r| r.get("id")?.as_str()?.parse().ok())
            .collect();
        let take = if *pair { 2 } else { 1 };
        for (k, sub) in subs.iter().rev().take(take).enumerate() {
            let id = store
                .create_integration(
                    &key,
                    &NewIntegration {
                        company,
                        account: AccountId::parse(account)?,
                        subsidiary: Some(SubsidiaryId::new(*sub)?),
                        credentials: nsync_server::testing::credentials(&emulator, account),
                        settings: settings.clone(),
                        field_name: format!("Customers and projects {k}"),
                    },
                    // Created now: no earlier slot is owed.
                    &Audit::new(
                        company,
                        None,
                        "create_integration",
                        Utc::now().timestamp_millis(),
                    ),
                )
                .await?;
            let field = store.integration(id).await?.field;
            made.push(Planned {
                id,
                account: account.clone(),
                sub: *sub,
                wave: *wave,
                large: *large,
                broken: *broken,
                field,
                must: BTreeSet::new(),
            });
        }
    }
    // Every import, IMPORT_LANES at a time.
    let imported = Arc::new(Mutex::new(0usize));
    let total = made.len();
    let results = futures::future::join_all((0..IMPORT_LANES).map(|lane| {
        let engine = Arc::clone(&engine);
        let made = made.clone();
        let imported = Arc::clone(&imported);
        async move {
            for p in made.iter().skip(lane).step_by(IMPORT_LANES) {
                engine
                    .import(p.id, Selection::All, RunOptions::new(RunTrigger::Cli))
                    .await
                    .map_err(|e| format!("importing integration {}: {e}", p.id))?;
                let mut done = imported.lock().unwrap();
                *done += 1;
                if *done % 250 == 0 {
                    eprintln!("storm: {done} of {total} imported");
                }
            }
            Ok::<(), String>(())
        }
    }))
    .await;
    for result in results {
        result?;
    }
    for p in &mut made {
        p.must = Truth::read(&control, &p.account, p.sub).valid();
    }
    // Break the broken ones the way NetSuite would.
    for p in made.iter().filter(|p| p.broken.is_some()) {
        match p.broken {
            Some("revoked credentials") => control.revoke_credentials(&p.account)?,
            Some("subsidiary deleted") => {
                // Records still name it, as after a deletion NetSuite let through.
                control.apply_raw(
                    &p.account,
                    netsuite_emulator::Mutation::DeleteSubsidiary { subsidiary: p.sub },
                )?;
            }
            _ => {}
        }
    }
    // Typeahead: 20 companies' tokens and names to search for.
    let mut tokens = Vec::new();
    for p in made
        .iter()
        .filter(|p| p.broken.is_none())
        .step_by((made.len() / 20).max(1))
        .take(20)
    {
        let company = store.integration(p.id).await?.company;
        let token = store
            .create_api_token(
                company,
                None,
                "typeahead",
                &Audit::new(company, None, "create_api_token", 0),
            )
            .await?;
        let names: Vec<String> = store
            .integrated_options(p.field)
            .await?
            .iter()
            .take(200)
            .map(|o| o.name.as_str().chars().take(3).collect())
            .collect();
        tokens.push((token.secret.expose_secret().to_owned(), p.field, names));
    }
    store.close().await;
    drop(company_of);
    Ok(Setup {
        emulator,
        db_url,
        db_name,
        admin_url,
        key_text,
        integrations: made,
        tokens,
        dir,
        setup_took: started.elapsed(),
    })
}

/// The instant of Monday 06:00 in `zone` in the week `weeks` after the next one.
fn slot_of(zone: &str, weeks: usize) -> (DateTime<Utc>, NaiveDate) {
    let tz: chrono_tz::Tz = zone.parse().expect("a known zone");
    let today = Utc::now().date_naive();
    let ahead = (7 - today.weekday().num_days_from_monday()) % 7;
    let monday =
        today + chrono::Days::new(u64::from(if ahead == 0 { 7 } else { ahead }) + 7 * weeks as u64);
    let local = monday.and_hms_opt(6, 0, 0).expect("06:00");
    let at = tz
        .from_local_datetime(&local)
        .single()
        .expect("06:00 exists")
        .with_timezone(&Utc);
    (at, monday)
}

/// One process of the storm, with where it logs.
struct Proc {
    child: Child,
    log: PathBuf,
    pid: u32,
    peak_rss_kb: Arc<std::sync::atomic::AtomicU64>,
}

fn spawn(setup: &Setup, name: &str, args: &[&str], pool: u32, workers: usize) -> Res<Proc> {
    let log = setup.dir.join(format!("{name}.log"));
    let file = std::fs::File::create(&log)?;
    let child = Command::new(env!("CARGO_BIN_EXE_nsync"))
        .args(args)
        .env("NSYNC_DATABASE_URL", &setup.db_url)
        .env("NSYNC_MASTER_KEY", &setup.key_text)
        .env("NSYNC_NETSUITE_BASE_URL", setup.emulator.base_url())
        .env("NSYNC_WORKERS", workers.to_string())
        .env("NSYNC_DATABASE_POOL", pool.to_string())
        .env("NSYNC_JOB_LEASE_SECONDS", LEASE_SECS.to_string())
        .env("NSYNC_TEST_CLOCK_FILE", setup.dir.join("clock"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or("the process has an id")?;
    let peak_rss_kb = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let peak = Arc::clone(&peak_rss_kb);
    tokio::spawn(async move {
        loop {
            match rss_kb(pid) {
                Some(kb) => {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                None => return,
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    Ok(Proc {
        child,
        log,
        pid,
        peak_rss_kb,
    })
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Waits until the process's log has a line containing `marker`; returns the line.
async fn wait_for_line(path: &Path, marker: &str) -> Res<String> {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(marker)) {
            return Ok(line.to_owned());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("{} never said {marker:?}:\n{text}", path.display()).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn set_clock(dir: &Path, now: DateTime<Utc>) -> Res<()> {
    let offset = (now - Utc::now()).num_milliseconds() as f64 / 1000.0;
    let tmp = dir.join("clock.tmp");
    std::fs::write(&tmp, format!("{offset:.3}"))?;
    std::fs::rename(tmp, dir.join("clock"))?;
    Ok(())
}

#[derive(Debug, Default)]
struct WaveResult {
    integrations: usize,
    /// From the slot to the last of its updates' end.
    finished_after: Duration,
}

#[derive(Debug, Default)]
struct MondayResult {
    due: usize,
    missed: usize,
    twice: usize,
    failed_runs: i64,
    waves: Vec<WaveResult>,
    busiest: WaveResult,
    killed_jobs: usize,
    takeover_after: Duration,
    killed_jobs_done_after: Duration,
    longest_wait: Duration,
    longest_wait_large: Duration,
    requests: usize,
    throttled: usize,
    peak_rss_mb: Vec<f64>,
    serve_rss_mb: f64,
    peak_connections: i64,
    typeahead: Vec<Duration>,
    typeahead_errors: usize,
    verdict_unclean: usize,
    lost: usize,
    duplicated: usize,
    wrongly_deactivated: usize,
    wrong: usize,
    broken: Vec<String>,
    wall: Duration,
}

/// One Monday: all 12 waves, the kill and the typeahead in the busiest.
async fn monday(setup: &Setup, week: usize) -> Res<MondayResult> {
    let control = setup.emulator.control();
    let mut result = MondayResult::default();
    let (first_slot, _) = slot_of(ZONES[0], week);
    set_clock(&setup.dir, first_slot - chrono::Duration::minutes(2))?;
    control.clear_requests();
    control.clear_faults();
    let started = Instant::now();
    let serve = spawn(
        setup,
        "serve",
        &["serve", "--listen", "127.0.0.1:0"],
        SERVE_POOL,
        0,
    )?;
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        workers.push(spawn(
            setup,
            &format!("worker{w}"),
            &["worker"],
            POOL,
            JOBS_PER_WORKER,
        )?);
    }
    let line = wait_for_line(&serve.log, "nsync is serving at ").await?;
    let url = line
        .rsplit("serving at ")
        .next()
        .ok_or("an address")?
        .trim()
        .to_owned();
    for w in &workers {
        wait_for_line(&w.log, "nsync worker started").await?;
    }
    // The benchmark's own connections are named, and left out of the count of nsync's.
    let own = format!("{}?application_name={DRIVER}", setup.db_url);
    let mut db = PgConnection::connect(&own).await?;
    let peak_connections = Arc::new(std::sync::atomic::AtomicI64::new(0));
    let watching = Arc::new(AtomicBool::new(true));
    let connections = {
        let (url, peak, watching) = (
            own.clone(),
            Arc::clone(&peak_connections),
            Arc::clone(&watching),
        );
        tokio::spawn(async move {
            let Ok(mut conn) = PgConnection::connect(&url).await else {
                return;
            };
            while watching.load(Ordering::Relaxed) {
                let sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name <> 'nsync-storm-driver'";
                if let Ok(row) = sqlx::query(sql).fetch_one(&mut conn).await {
                    peak.fetch_max(row.get::<i64, _>(0), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    let mut rng = StdRng::seed_from_u64(7 + week as u64);
    for (wave, zone) in ZONES.iter().enumerate() {
        let (slot, date) = slot_of(zone, week);
        let members: Vec<&Planned> = setup
            .integrations
            .iter()
            .filter(|p| p.wave == wave)
            .collect();
        let good: Vec<&Planned> = members
            .iter()
            .copied()
            .filter(|p| p.broken.is_none())
            .collect();
        // About 1% of each account of the wave changes in NetSuite before its slot.
        let accounts: Vec<String> = members
            .iter()
            .map(|p| p.account.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        control.churn(0.01, 1000 * week as u64 + wave as u64, Some(&accounts))?;
        if wave == BUSIEST {
            for p in members.iter().filter(|p| p.broken == Some("503 all wave")) {
                let until = control.now() + chrono::Duration::minutes(10);
                control.add_fault(
                    FaultRule::until(FaultKind::ServiceUnavailable, until).for_account(&p.account),
                );
            }
        }
        set_clock(&setup.dir, slot - chrono::Duration::seconds(5))?;
        let keys: Vec<String> = good
            .iter()
            .map(|p| format!("slot:{}:{date}", p.id))
            .collect();
        let typeahead = (wave == BUSIEST).then(|| typeahead(url.clone(), setup.tokens.clone()));
        let mut killed_at_ms = None;
        let kill_after = Duration::from_millis(rng.gen_range(0..8_000));
        let wave_started = Instant::now();
        let mut first_run_seen: Option<Instant> = None;
        loop {
            let done: i64 = sqlx::query(
                "SELECT COUNT(*) FROM jobs WHERE dedup_key = ANY($1) AND status = 'completed'",
            )
            .bind(&keys)
            .fetch_one(&mut db)
            .await?
            .get(0);
            if done as usize == keys.len() {
                break;
            }
            if wave == BUSIEST && killed_at_ms.is_none() {
                let leased: i64 = sqlx::query(
                    "SELECT COUNT(*) FROM jobs WHERE dedup_key = ANY($1) AND leased_at_ms IS NOT NULL",
                )
                .bind(&keys)
                .fetch_one(&mut db)
                .await?
                .get(0);
                if leased > 0 && first_run_seen.is_none() {
                    first_run_seen = Some(Instant::now());
                }
                if first_run_seen.is_some_and(|t| t.elapsed() >= kill_after) {
                    workers[0].child.start_kill()?;
                    workers[0].child.wait().await?;
                    // The processes' clock: now plus the file's offset.
                    killed_at_ms = Some(
                        (slot - chrono::Duration::seconds(5)).timestamp_millis()
                            + (Instant::now() - wave_started).as_millis() as i64,
                    );
                }
            }
            if wave_started.elapsed() > Duration::from_secs(900) {
                return Err(format!(
                    "wave {wave} ({zone}): {done} of {} updates done after 15 minutes",
                    keys.len()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let row = sqlx::query(
            "SELECT MAX(r.finished_at_ms) FROM runs r JOIN jobs j ON r.job_id = j.id \
             WHERE j.dedup_key = ANY($1) AND r.status = 'succeeded' AND r.kind = 'update'",
        )
        .bind(&keys)
        .fetch_one(&mut db)
        .await?;
        let last: Option<i64> = row.get(0);
        let finished_after =
            Duration::from_millis((last.unwrap_or(0) - slot.timestamp_millis()).max(0) as u64);
        let wave_result = WaveResult {
            integrations: members.len(),
            finished_after,
        };
        if wave == BUSIEST {
            if let Some(handle) = typeahead {
                let (latencies, errors) = handle.stop().await;
                result.typeahead = latencies;
                result.typeahead_errors = errors;
            }
            // Waits from the slot to each update's first start, small and large apart.
            let rows = sqlx::query(
                "SELECT j.payload, MIN(r.started_at_ms) FROM runs r JOIN jobs j ON r.job_id = j.id \
                 WHERE j.dedup_key = ANY($1) AND r.kind = 'update' GROUP BY j.payload",
            )
            .bind(&keys)
            .fetch_all(&mut db)
            .await?;
            let large: BTreeSet<i64> = good
                .iter()
                .filter(|p| p.large)
                .map(|p| p.id.get())
                .collect();
            for row in rows {
                let payload: String = row.get(0);
                let started: i64 = row.get(1);
                let job: serde_json::Value = serde_json::from_str(&payload)?;
                let id = job["integration"].as_i64().unwrap_or_default();
                let wait = Duration::from_millis((started - slot.timestamp_millis()).max(0) as u64);
                let longest = if large.contains(&id) {
                    &mut result.longest_wait_large
                } else {
                    &mut result.longest_wait
                };
                *longest = (*longest).max(wait);
            }
            // The killed worker's jobs: taken over, and done.
            if let Some(killed) = killed_at_ms {
                let rows = sqlx::query(
                    "SELECT leased_at_ms, finished_at_ms FROM jobs WHERE dedup_key = ANY($1) AND leased_from = 'running'",
                )
                .bind(&keys)
                .fetch_all(&mut db)
                .await?;
                result.killed_jobs = rows.len();
                for row in rows {
                    let leased: i64 = row.get(0);
                    let finished: Option<i64> = row.get(1);
                    result.takeover_after = result
                        .takeover_after
                        .max(Duration::from_millis((leased - killed).max(0) as u64));
                    result.killed_jobs_done_after = result.killed_jobs_done_after.max(
                        Duration::from_millis((finished.unwrap_or(killed) - killed).max(0) as u64),
                    );
                }
            }
            control.clear_faults();
            // The broken ones: what became of their jobs.
            for p in members.iter().filter(|p| p.broken.is_some()) {
                let row = sqlx::query(
                    "SELECT status, attempts, COALESCE(last_error, ''), run_at_ms FROM jobs WHERE dedup_key = $1",
                )
                .bind(format!("slot:{}:{date}", p.id))
                .fetch_optional(&mut db)
                .await?;
                let text = match row {
                    Some(row) => {
                        let error: String = row.get(2);
                        format!(
                            "{}: job {} after {} attempt(s), next try {} s after the slot: {}",
                            p.broken.unwrap_or_default(),
                            row.get::<String, _>(0),
                            row.get::<i64, _>(1),
                            (row.get::<i64, _>(3) - slot.timestamp_millis()) / 1000,
                            error.chars().take(160).collect::<String>()
                        )
                    }
                    None => format!("{}: no job", p.broken.unwrap_or_default()),
                };
                result.broken.push(text);
            }
            result.busiest = WaveResult {
                integrations: members.len(),
                finished_after,
            };
            // The killed worker comes back, as an orchestrator would start it again.
            let w = spawn(
                setup,
                "worker0-restarted",
                &["worker"],
                POOL,
                JOBS_PER_WORKER,
            )?;
            let old = std::mem::replace(&mut workers[0], w);
            result
                .peak_rss_mb
                .push(old.peak_rss_kb.load(Ordering::Relaxed) as f64 / 1024.0);
        }
        result.waves.push(wave_result);
    }
    result.wall = started.elapsed();
    // Exactly once: one successful scheduled run per due integration and slot.
    let good: Vec<&Planned> = setup
        .integrations
        .iter()
        .filter(|p| p.broken.is_none())
        .collect();
    result.due = good.len();
    let ids: Vec<i64> = good.iter().map(|p| p.id.get()).collect();
    let since = slot_of(ZONES[0], week).0 - chrono::Duration::hours(1);
    let rows = sqlx::query(
        "SELECT integration_id, COUNT(*) FROM runs WHERE kind = 'update' AND triggered_by = 'schedule' AND status = 'succeeded' \
         AND started_at_ms >= $2 AND integration_id = ANY($1) GROUP BY integration_id",
    )
    .bind(&ids)
    .bind(since.timestamp_millis())
    .fetch_all(&mut db)
    .await?;
    let counts: BTreeMap<i64, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    result.missed = ids.iter().filter(|id| !counts.contains_key(id)).count();
    result.twice = counts.values().filter(|&&n| n > 1).count();
    result.failed_runs = sqlx::query(
        "SELECT COUNT(*) FROM runs WHERE kind = 'update' AND triggered_by = 'schedule' AND status <> 'succeeded' \
         AND started_at_ms >= $2 AND integration_id = ANY($1)",
    )
    .bind(&ids)
    .bind(since.timestamp_millis())
    .fetch_one(&mut db)
    .await?
    .get(0);
    watching.store(false, Ordering::Relaxed);
    let _ = connections.await;
    result.peak_connections = peak_connections.load(Ordering::Relaxed);
    for mut w in workers {
        result
            .peak_rss_mb
            .push(w.peak_rss_kb.load(Ordering::Relaxed) as f64 / 1024.0);
        let _ = w.child.start_kill();
        let _ = w.child.wait().await;
    }
    let mut serve = serve;
    result.serve_rss_mb = serve.peak_rss_kb.load(Ordering::Relaxed) as f64 / 1024.0;
    let _ = serve.child.start_kill();
    let _ = serve.child.wait().await;
    let _ = serve.pid;
    let log = control.requests();
    result.requests = log.len();
    result.throttled = log.iter().filter(|r| r.status == 429).count();
    verdicts(setup, &control, &good, &mut result).await?;
    Ok(result)
}

/// Every good integration's options compared with NetSuite's state.
async fn verdicts(
    setup: &Setup,
    control: &Control,
    good: &[&Planned],
    result: &mut MondayResult,
) -> Res<()> {
    let store = Store::connect_with(StoreConfig {
        max_connections: 4,
        migrate: false,
        ..StoreConfig::new(&setup.db_url)
    })
    .await?;
    for p in good {
        let stored = store.integrated_options(p.field).await?;
        let imported: BTreeSet<UpstreamKey> = stored
            .iter()
            .filter(|o| !o.removed_here)
            .filter_map(|o| o.upstream)
            .filter(|k| k.kind == UpstreamKind::Customer)
            .collect();
        let mirror: BTreeSet<UpstreamKey> =
            store.mirror(p.id).await?.iter().map(|r| r.key).collect();
        let truth = Truth::read(control, &p.account, p.sub);
        let deepest = store.integration(p.id).await?.settings.deepest_level;
        let verdict = Verdict::of(&truth, &stored, &mirror, &p.must, &imported, deepest);
        if !verdict.is_clean() {
            result.verdict_unclean += 1;
            if result.verdict_unclean <= 3 {
                eprintln!(
                    "storm: integration {} is not true to NetSuite: {verdict:?}",
                    p.id
                );
            }
        }
        result.lost += verdict.lost.len();
        result.duplicated += verdict.duplicated.len();
        result.wrongly_deactivated += verdict.wrongly_deactivated.len();
        result.wrong += verdict.wrong.len();
    }
    store.close().await;
    Ok(())
}

/// A steady 100 typeahead requests a second against `nsync serve` until stopped.
struct Typeahead {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(Vec<Duration>, usize)>,
}

impl Typeahead {
    async fn stop(self) -> (Vec<Duration>, usize) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}

fn typeahead(
    url: String,
    tokens: Vec<(String, nsync_core::CustomFieldId, Vec<String>)>,
) -> Typeahead {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tick =
            tokio::time::interval(Duration::from_micros(1_000_000 / TYPEAHEAD_PER_SECOND));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut rng = StdRng::seed_from_u64(11);
        let mut inflight = Vec::new();
        while !stopping.load(Ordering::Relaxed) {
            tick.tick().await;
            let (token, field, names) = &tokens[rng.gen_range(0..tokens.len())];
            let q = names
                .get(rng.gen_range(0..names.len().max(1)))
                .cloned()
                .unwrap_or_default();
            let target = format!("{url}/api/v1/fields/{field}/options/search?limit=20");
            let request = http.get(target).query(&[("q", q)]).bearer_auth(token);
            let (latencies, errors) = (Arc::clone(&latencies), Arc::clone(&errors));
            inflight.push(tokio::spawn(async move {
                let sent = Instant::now();
                match request.send().await {
                    Ok(resp) if resp.status().is_success() => {
                        let _ = resp.bytes().await;
                        latencies.lock().unwrap().push(sent.elapsed());
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        for task in inflight {
            let _ = task.await;
        }
        let latencies = std::mem::take(&mut *latencies.lock().unwrap());
        (latencies, errors.load(Ordering::Relaxed))
    });
    Typeahead { stop, task }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

impl MondayResult {
    fn typeahead_p99(&self) -> Duration {
        let mut sorted = self.typeahead.clone();
        sorted.sort_unstable();
        percentile(&sorted, 0.99)
    }

    fn print(&self, run: usize) {
        let mut sorted = self.typeahead.clone();
        sorted.sort_unstable();
        let slowest_other = self
            .waves
            .iter()
            .enumerate()
            .filter(|(w, _)| *w != BUSIEST)
            .map(|(_, r)| r.finished_after)
            .max()
            .unwrap_or_default();
        println!(
            "monday {}: {} due, missed {}, run twice {}, failed runs {} (killed mid-run, run again); \
             busiest wave {} integrations done {:.0} s after its slot (other waves at most {:.0} s); \
             killed worker's {} jobs taken over {:.0} s and done {:.0} s after the kill; \
             longest wait from slot to start {:.0} s (large accounts {:.0} s); \
             NetSuite requests {}, 429s {} ({:.2}%); peak RSS of workers {} MB, serve {:.0} MB; \
             PostgreSQL connections at most {}; typeahead {} requests p50 {:.1} ms p99 {:.1} ms, {} errors; \
             not true to NetSuite {} (lost {}, duplicated {}, wrongly deactivated {}, other {}); wall {:.0} s",
            run + 1,
            self.due,
            self.missed,
            self.twice,
            self.failed_runs,
            self.busiest.integrations,
            self.busiest.finished_after.as_secs_f64(),
            slowest_other.as_secs_f64(),
            self.killed_jobs,
            self.takeover_after.as_secs_f64(),
            self.killed_jobs_done_after.as_secs_f64(),
            self.longest_wait.as_secs_f64(),
            self.longest_wait_large.as_secs_f64(),
            self.requests,
            self.throttled,
            100.0 * self.throttled as f64 / self.requests.max(1) as f64,
            self.peak_rss_mb
                .iter()
                .map(|mb| format!("{mb:.0}"))
                .collect::<Vec<_>>()
                .join("/"),
            self.serve_rss_mb,
            self.peak_connections,
            sorted.len(),
            percentile(&sorted, 0.5).as_secs_f64() * 1000.0,
            percentile(&sorted, 0.99).as_secs_f64() * 1000.0,
            self.typeahead_errors,
            self.verdict_unclean,
            self.lost,
            self.duplicated,
            self.wrongly_deactivated,
            self.wrong,
            self.wall.as_secs_f64(),
        );
        for line in &self.broken {
            println!("  broken: {line}");
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Each target beside the median of the Mondays.
fn summary(results: &[MondayResult], integrations: usize) {
    let m = |f: &dyn Fn(&MondayResult) -> f64| median(results.iter().map(f).collect());
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let missed = m(&|r| (r.missed + r.twice) as f64);
    let unclean = m(&|r| r.verdict_unclean as f64);
    println!(
        "storm at {integrations} integrations, median of {} Mondays:",
        results.len()
    );
    println!(
        "  due slots missed or run twice: {missed:.0} (target 0) {}; not true to NetSuite afterwards: {unclean:.0} (target 0) {}",
        verdict(missed == 0.0),
        verdict(unclean == 0.0)
    );
    let wave = m(&|r| r.busiest.finished_after.as_secs_f64());
    println!(
        "  busiest wave ({} integrations) done {wave:.0} s after its slot (target 180 s) {}",
        results[0].busiest.integrations,
        verdict(wave <= 180.0)
    );
    let takeover = m(&|r| r.takeover_after.as_secs_f64());
    println!(
        "  killed worker's jobs taken over {takeover:.0} s after the kill (target the lease, {LEASE_SECS} s, plus a scheduler turn) {}",
        verdict(takeover <= LEASE_SECS as f64 + 5.0)
    );
    let throttled = m(&|r| 100.0 * r.throttled as f64 / r.requests.max(1) as f64);
    println!(
        "  NetSuite 429s: {throttled:.2}% of {:.0} requests (target under 1%) {}",
        m(&|r| r.requests as f64),
        verdict(throttled < 1.0)
    );
    let wait = m(&|r| r.longest_wait.as_secs_f64());
    println!(
        "  longest wait of a company from its slot to its update's start: {wait:.0} s (target 120 s) {}",
        verdict(wait <= 120.0)
    );
    let rss = m(&|r| r.peak_rss_mb.iter().copied().fold(0.0, f64::max));
    println!(
        "  peak worker memory {rss:.0} MB (target under 300 MB) {}",
        verdict(rss < 300.0)
    );
    let conns = m(&|r| r.peak_connections as f64);
    let bound = f64::from(WORKERS as u32 * POOL + SERVE_POOL);
    println!(
        "  PostgreSQL connections at most {conns:.0} (target at most {WORKERS} x {POOL} + {SERVE_POOL} = {bound:.0}) {}",
        verdict(conns <= bound)
    );
    let p99 = m(&|r| r.typeahead_p99().as_secs_f64() * 1000.0);
    let errors = m(&|r| r.typeahead_errors as f64);
    println!(
        "  typeahead p99 during the busiest wave {p99:.1} ms, {errors:.0} errors (target at most 50 ms, no errors) {}",
        verdict(p99 <= 50.0 && errors == 0.0)
    );
    println!(
        "  wall time of the whole Monday {:.0} s",
        m(&|r| r.wall.as_secs_f64())
    );
}
