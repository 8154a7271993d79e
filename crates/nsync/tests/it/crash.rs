//! The crash test: `nsync import` and `nsync update` processes killed with SIGKILL at random
//! moments, on SQLite and on PostgreSQL, with random NetSuite changes between them. After every
//! kill the database is consistent (SQLite's own checks, no option without its parent, one
//! option per record, every run finished or the one left running); the next run marks the
//! interrupted one failed; and a final update converges on NetSuite's state.
//!
//! `NSYNC_CRASH_KILLS` sets the number of kills per backend (50 by default).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use netsuite_emulator::{
    AccountConfig, Control, Emulator, EmulatorConfig, GeneratorSpec, LatencyConfig, Mutation,
    NewCustomer, NewProject, RecordKind,
};
use nsync_core::{
    AccountId, DeactivationGuard, IntegrationId, IntegrationSettings, SubsidiaryId, TimeZone,
    UpstreamKey, UpstreamKind,
};
use nsync_server::testing::{Truth, Verdict};
use nsync_store::{MasterKey, NewIntegration, Store, StoreConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use tokio::process::Command;

use crate::support::Database;

const ACCOUNT: &str = "7654322";
const SIGKILL: i32 = 9;
/// The PostgreSQL `application_name` of the `nsync` processes.
const CHILD: &str = "nsync-crash-child";
const DEFAULT_KILLS: u64 = 50;
const SEED: u64 = 4_242;
/// The emulated account's time zone, which `nsync` must be told.
const TIME_ZONE: &str = "America/Los_Angeles";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_imports_and_updates_leave_sqlite_consistent_and_the_next_runs_converge() {
    let path: PathBuf =
        std::env::temp_dir().join(format!("nsync-crash-{}.db", uuid::Uuid::new_v4().simple()));
    crash(Db::Sqlite(path.clone())).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_imports_and_updates_leave_postgres_consistent_and_the_next_runs_converge() {
    let Some(db) = Database::create("crash").await else {
        return;
    };
    crash(Db::Postgres(db.url.clone())).await;
    db.drop_it().await;
}

/// Where the processes write.
enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Db {
    fn url(&self) -> String {
        match self {
            Db::Sqlite(path) => format!("sqlite://{}", path.display()),
            Db::Postgres(url) => url.clone(),
        }
    }

    /// The URL the `nsync` processes get: on PostgreSQL their connections carry a name, so
    /// the test can tell when a killed one's are gone.
    fn child_url(&self) -> String {
        match self {
            Db::Sqlite(_) => self.url(),
            Db::Postgres(url) => format!("{url}?application_name={CHILD}"),
        }
    }
}

/// What the processes are asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cmd {
    Import,
    Update,
    UpdateFull,
}

impl Cmd {
    fn args(self) -> &'static [&'static str] {
        match self {
            Cmd::Import => &["import", "--all"],
            Cmd::Update => &["update"],
            Cmd::UpdateFull => &["update", "--full"],
        }
    }
}

/// Figures of one backend's crash test.
#[derive(Debug, Default)]
struct Tally {
    kills: u64,
    mid_run: u64,
    after_reads: u64,
    interrupted_marked: u64,
    completed: u64,
    changes: u64,
}

async fn crash(db: Db) {
    let kills = std::env::var("NSYNC_CRASH_KILLS")
        .ok()
        .map_or(DEFAULT_KILLS, |v| {
            v.parse().expect("NSYNC_CRASH_KILLS is a number")
        });
    let started = Instant::now();
    let emulator = emulator().await;
    let mut crash = Crash::new(db, &emulator).await;
    while crash.tally.kills < kills {
        crash.cycle().await;
    }
    let verdict = crash.converge().await;
    let (tally, options) = (&crash.tally, verdict.options);
    println!(
        "crash ({}): {} kills, {} mid-run (a run left running), {} of them after NetSuite's last \
         answer (planning or writing), {} interrupted runs marked failed, {} runs to completion, \
         {} NetSuite changes; final state equal to NetSuite's: {} (lost {}, duplicated {}, \
         wrongly deactivated {}, otherwise wrong {}; {options} options, {} deleted after leaving \
         the subsidiary, still marked as having left); last full runs took {:.1?}; {:.1} s",
        match crash.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        },
        tally.kills,
        tally.mid_run,
        tally.after_reads,
        tally.interrupted_marked,
        tally.completed,
        tally.changes,
        if verdict.is_clean() { "yes" } else { "no" },
        verdict.lost.len(),
        verdict.duplicated.len(),
        verdict.wrongly_deactivated.len(),
        verdict.wrong.len(),
        verdict.deleted_after_leaving.len(),
        crash.took,
        started.elapsed().as_secs_f64()
    );
    assert!(verdict.is_clean(), "{verdict:#?}");
    assert!(
        tally.mid_run > 0,
        "some kills landed in the middle of a run"
    );
    crash.setup.store.close().await;
}

/// The crash test under way.
struct Crash {
    db: Db,
    setup: Setup,
    rng: StdRng,
    tally: Tally,
    /// How long each command took when left alone: kills land anywhere up to that.
    took: BTreeMap<Cmd, Duration>,
    /// How many NetSuite requests each command made when left alone.
    requests: BTreeMap<Cmd, usize>,
    /// Records a completed import turned into options.
    expected: BTreeSet<UpstreamKey>,
    /// Records that have had an option.
    seen: BTreeSet<UpstreamKey>,
    /// Runs left running by a kill, not yet marked failed by a later run.
    pending: Vec<i64>,
    /// What the next process is asked to do.
    cmd: Cmd,
    imported: bool,
}

impl Crash {
    async fn new(db: Db, emulator: &Emulator) -> Self {
        let setup = Setup::create(&db, emulator).await;
        Self {
            db,
            setup,
            rng: StdRng::seed_from_u64(SEED),
            tally: Tally::default(),
            took: BTreeMap::new(),
            requests: BTreeMap::new(),
            expected: BTreeSet::new(),
            seen: BTreeSet::new(),
            pending: Vec::new(),
            cmd: Cmd::Import,
            imported: false,
        }
    }

    /// NetSuite changes, then one process, killed three times in four at a random moment up
    /// to a little past its usual duration (unless it ends first), then the checks.
    async fn cycle(&mut self) {
        self.change_netsuite();
        let control = &self.setup.control;
        let valid_now = match self.cmd {
            Cmd::Import => Truth::read(control, ACCOUNT, self.setup.sub).valid(),
            _ => BTreeSet::new(),
        };
        let before = last_run(&self.db).await;
        let estimate = self.took.get(&self.cmd).copied();
        let estimate = estimate.unwrap_or(Duration::from_secs(3));
        let kill_at = self
            .rng
            .gen_bool(0.75)
            .then(|| estimate.mul_f64(self.rng.gen_range(0.0..1.1)));
        let outcome = self.setup.run(&self.db, self.cmd, kill_at).await;
        let facts = check(&self.db, self.setup.integration).await;
        match outcome {
            Outcome::Killed { answered } => self.killed(&facts, before, answered),
            Outcome::Completed { took, answered } => {
                self.tally.completed += 1;
                self.took.insert(self.cmd, took);
                self.requests.insert(self.cmd, answered);
                assert!(facts.running.is_empty(), "{facts:?}");
                let newest = facts.runs.last().expect("the run is recorded");
                assert_eq!(newest.1, "succeeded", "{facts:?}");
                if self.cmd == Cmd::Import {
                    self.expected.extend(&valid_now);
                    self.imported = true;
                }
            }
        }
        self.settle_interrupted(&facts);
        self.seen.extend(self.setup.option_keys().await);
        self.cmd = match (outcome, self.imported) {
            // A restart: the same command again.
            (Outcome::Killed { .. }, _) => self.cmd,
            (_, false) => Cmd::Import,
            _ => [
                Cmd::Import,
                Cmd::Update,
                Cmd::Update,
                Cmd::Update,
                Cmd::UpdateFull,
            ][self.rng.gen_range(0..5)],
        };
    }

    /// A few random NetSuite changes; now and then a burst, so that some runs have many
    /// options to write.
    fn change_netsuite(&mut self) {
        let n = match self.rng.gen_bool(0.15) {
            true => self.rng.gen_range(20..=60),
            false => self.rng.gen_range(0..=3),
        };
        let control = &self.setup.control;
        let ids = Ids::read(control);
        for _ in 0..n {
            let applied = change(control, &ids, self.setup.sub, &mut self.rng);
            self.tally.changes += u64::from(applied);
        }
    }

    fn killed(&mut self, facts: &Facts, before: i64, answered: usize) {
        self.tally.kills += 1;
        // Every answer a whole run gets was in: killed while planning or writing.
        if self.requests.get(&self.cmd).is_some_and(|n| answered >= *n) {
            self.tally.after_reads += 1;
        }
        // A run this process began and left running (an earlier one may still be pending,
        // when this process died before it began its own).
        if let Some(run) = facts.running.iter().find(|r| **r > before) {
            self.tally.mid_run += 1;
            self.pending.push(*run);
        }
    }

    /// Once a later run has begun, each interrupted run is marked failed.
    fn settle_interrupted(&mut self, facts: &Facts) {
        let tally = &mut self.tally;
        self.pending.retain(|run| {
            if facts.last <= *run {
                return true;
            }
            let (_, status, error) = facts.runs.iter().find(|r| r.0 == *run).expect("kept");
            assert_eq!(status, "failed", "run {run}: {facts:?}");
            let error = error.as_deref().unwrap_or("");
            assert!(error.contains("interrupted"), "run {run}: {error}");
            tally.interrupted_marked += 1;
            false
        });
    }

    /// Whatever the last kill interrupted, an import (if none completed), an update and a full
    /// update run to the end; then the options are compared with NetSuite's state.
    async fn converge(&mut self) -> Verdict {
        let control = self.setup.control.clone();
        if !self.imported {
            let import = self.setup.run(&self.db, Cmd::Import, None).await;
            assert!(matches!(import, Outcome::Completed { .. }));
            self.expected
                .extend(Truth::read(&control, ACCOUNT, self.setup.sub).valid());
        }
        let update = self.setup.run(&self.db, Cmd::Update, None).await;
        assert!(matches!(update, Outcome::Completed { .. }));
        let facts = check(&self.db, self.setup.integration).await;
        self.settle_interrupted(&facts);
        assert!(self.pending.is_empty(), "{:?} left running", self.pending);
        // A full update after it, as the soak does: the customers it brought along count.
        let store = &self.setup.store;
        let before = store.integrated_options(self.setup.field).await.unwrap();
        let imported: BTreeSet<UpstreamKey> = before
            .iter()
            .filter(|o| !o.removed_here)
            .filter_map(|o| o.upstream)
            .filter(|k| k.kind == UpstreamKind::Customer)
            .collect();
        let full = self.setup.run(&self.db, Cmd::UpdateFull, None).await;
        assert!(matches!(full, Outcome::Completed { .. }));
        check(&self.db, self.setup.integration).await;
        let options = store.integrated_options(self.setup.field).await.unwrap();
        let mirror = store.mirror(self.setup.integration).await.unwrap();
        let mirror: BTreeSet<UpstreamKey> = mirror.iter().map(|r| r.key).collect();
        let truth = Truth::read(&control, ACCOUNT, self.setup.sub);
        let must = self.expected.union(&self.seen).copied().collect();
        let deepest = store.integration(self.setup.integration).await.unwrap();
        let deepest = deepest.settings.deepest_level;
        Verdict::of(&truth, &options, &mirror, &must, &imported, deepest)
    }
}

/// A medium account behind 20 to 50 ms per request, so runs last long enough to be killed
/// in the middle of reading and of writing.
async fn emulator() -> Emulator {
    let account = AccountConfig::generated(
        ACCOUNT,
        GeneratorSpec {
            customers: 400,
            leads_and_prospects: 0,
            projects: 2000,
            subsidiaries: 2,
            seed: SEED,
        },
    );
    let mut config = EmulatorConfig::single(account);
    config.latency = LatencyConfig {
        fixed: Duration::from_millis(20),
        jitter: Duration::from_millis(30),
        ..LatencyConfig::default()
    };
    Emulator::start(config).await.expect("emulator")
}

/// The integration the processes run, and the store the test reads it through.
struct Setup {
    store: Store,
    control: Control,
    key_text: String,
    base_url: String,
    integration: IntegrationId,
    field: nsync_core::CustomFieldId,
    sub: i64,
}

/// How a process ended, and how many NetSuite requests the emulator had answered it by then.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Killed { answered: usize },
    Completed { took: Duration, answered: usize },
}

impl Setup {
    async fn create(db: &Db, emulator: &Emulator) -> Self {
        let control = emulator.control();
        let sub = nsync_server::testing::busiest_subsidiary(&control, ACCOUNT);
        let mut config = StoreConfig::new(db.url());
        config.max_connections = 2;
        let store = Store::connect_with(config).await.expect("store");
        let company = store
            .create_company("Crash Test Dummies", &TimeZone::parse("UTC").unwrap(), 1)
            .await
            .unwrap();
        let settings = IntegrationSettings {
            import_new_projects: true,
            // The guard is not under test here: every update applies.
            deactivation_guard: DeactivationGuard {
                min_count: u32::MAX,
                percent: 100,
            },
            ..IntegrationSettings::default()
        };
        let (key, key_text) = MasterKey::generate();
        let integration = store
            .create_integration(
                &key,
                &NewIntegration {
                    company,
                    account: AccountId::parse(ACCOUNT).unwrap(),
                    subsidiary: Some(SubsidiaryId::new(sub).unwrap()),
                    credentials: nsync_server::testing::credentials(emulator, ACCOUNT),
                    settings,
                    field_name: "Customer / Project".into(),
                },
                &nsync_store::testing::audit(company),
            )
            .await
            .unwrap();
        let field = store.integration(integration).await.unwrap().field;
        Self {
            store,
            control,
            key_text,
            base_url: emulator.base_url(),
            integration,
            field,
            sub,
        }
    }

    /// Runs `nsync` and kills it with SIGKILL after `kill_at` if it is still running then.
    async fn run(&self, db: &Db, cmd: Cmd, kill_at: Option<Duration>) -> Outcome {
        let started = Instant::now();
        let logged = self.control.requests().len();
        let answered = || self.control.requests().len() - logged;
        let mut child = Command::new(env!("CARGO_BIN_EXE_nsync"))
            .args(cmd.args())
            .args(["--integration", &self.integration.get().to_string()])
            .args(["--base-url", &self.base_url, "--time-zone", TIME_ZONE])
            .env("NSYNC_DATABASE_URL", db.child_url())
            .env("NSYNC_MASTER_KEY", &self.key_text)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("nsync starts");
        if let Some(at) = kill_at {
            tokio::time::sleep(at).await;
            // When the process has already ended on its own, it simply completed.
            let _ = child.start_kill();
        }
        let answered_at_kill = answered();
        let out = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
            .await
            .expect("nsync ends")
            .unwrap();
        if out.status.signal() == Some(SIGKILL) {
            if let Db::Postgres(url) = db {
                released(url).await;
            }
            return Outcome::Killed {
                answered: answered_at_kill,
            };
        }
        assert!(
            out.status.success(),
            "nsync {cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Outcome::Completed {
            took: started.elapsed(),
            answered: answered(),
        }
    }

    async fn option_keys(&self) -> Vec<UpstreamKey> {
        let options = self.store.integrated_options(self.field).await.unwrap();
        options.iter().filter_map(|o| o.upstream).collect()
    }
}

/// Waits until PostgreSQL has seen every connection of the killed process end: its run lock is
/// released (a restart would else be refused as busy), and a commit it had sent just before
/// the kill has either happened or not; only then is the database as the crash left it.
async fn released(url: &str) {
    let mut conn = PgConnection::connect(url).await.unwrap();
    let sql = format!(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = '{CHILD}'"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while sqlx::query(&sql)
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get::<i64, _>(0)
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the killed process's connections stay open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the database says after a process ended.
#[derive(Debug)]
struct Facts {
    /// Every run: id, status, error.
    runs: Vec<(i64, String, Option<String>)>,
    /// The runs marked running.
    running: Vec<i64>,
    /// The newest run id (0 when none).
    last: i64,
}

async fn last_run(db: &Db) -> i64 {
    let sql = "SELECT COALESCE(MAX(id), 0) FROM runs";
    match db {
        Db::Sqlite(_) => scalar_sqlite(&mut sqlite(db).await, sql).await,
        Db::Postgres(url) => {
            let mut conn = PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).fetch_one(&mut conn).await.unwrap().get(0)
        }
    }
}

async fn sqlite(db: &Db) -> SqliteConnection {
    SqliteConnection::connect(&db.url()).await.expect("sqlite")
}

async fn scalar_sqlite(conn: &mut SqliteConnection, sql: &str) -> i64 {
    sqlx::query(sql).fetch_one(conn).await.expect(sql).get(0)
}

/// The checks a killed process must pass, on the database as it left it.
const CONSISTENCY: [(&str, &str); 3] = [
    (
        "options whose parent is missing",
        "SELECT COUNT(*) FROM options o WHERE o.parent_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM options p WHERE p.id = o.parent_id)",
    ),
    (
        "upstream records with two options",
        "SELECT COUNT(*) FROM (SELECT field_id, upstream_kind, upstream_id FROM options \
         WHERE upstream_id IS NOT NULL GROUP BY field_id, upstream_kind, upstream_id \
         HAVING COUNT(*) > 1) d",
    ),
    (
        "options not one level below their parent",
        "SELECT COUNT(*) FROM options o JOIN options p ON p.id = o.parent_id \
         WHERE o.level <> p.level + 1",
    ),
];

async fn check(db: &Db, integration: IntegrationId) -> Facts {
    let runs_sql = format!(
        "SELECT id, status, error FROM runs WHERE integration_id = {} ORDER BY id",
        integration.get()
    );
    let runs: Vec<(i64, String, Option<String>)> = match db {
        Db::Sqlite(_) => {
            let mut conn = sqlite(db).await;
            let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert_eq!(integrity, ["ok"], "PRAGMA integrity_check");
            let broken = sqlx::query("PRAGMA foreign_key_check")
                .fetch_all(&mut conn)
                .await
                .unwrap();
            assert!(
                broken.is_empty(),
                "PRAGMA foreign_key_check: {} rows",
                broken.len()
            );
            for (what, sql) in CONSISTENCY {
                assert_eq!(scalar_sqlite(&mut conn, sql).await, 0, "{what}");
            }
            sqlx::query_as(&runs_sql)
                .fetch_all(&mut conn)
                .await
                .unwrap()
        }
        Db::Postgres(url) => {
            let mut conn = PgConnection::connect(url).await.unwrap();
            for (what, sql) in CONSISTENCY {
                let n: i64 = sqlx::query(sql).fetch_one(&mut conn).await.unwrap().get(0);
                assert_eq!(n, 0, "{what}");
            }
            sqlx::query_as(&runs_sql)
                .fetch_all(&mut conn)
                .await
                .unwrap()
        }
    };
    let running: Vec<i64> = runs
        .iter()
        .filter(|r| r.1 == "running")
        .map(|r| r.0)
        .collect();
    let last = runs.last().map_or(0, |r| r.0);
    for (id, status, _) in &runs {
        assert!(
            matches!(
                status.as_str(),
                "succeeded" | "failed" | "needs_confirmation"
            ) || (status == "running" && *id == last),
            "run {id} is {status}, yet it is not the newest run"
        );
    }
    Facts {
        runs,
        running,
        last,
    }
}

/// The customers and projects NetSuite has (a change to one deleted since is refused).
struct Ids {
    customers: Vec<i64>,
    projects: Vec<i64>,
    subsidiaries: Vec<i64>,
}

impl Ids {
    fn read(control: &Control) -> Self {
        let ids = |q: &str| -> Vec<i64> {
            rows(control, q)
                .iter()
                .map(|r| r["id"].as_str().unwrap().parse().unwrap())
                .collect()
        };
        Self {
            customers: ids("SELECT id FROM customer ORDER BY id"),
            projects: ids("SELECT id FROM job ORDER BY id"),
            subsidiaries: ids("SELECT id FROM subsidiary ORDER BY id"),
        }
    }
}

/// One random change, as a NetSuite user would make it: create, rename, inactivate or
/// reactivate, move, delete, subsidiary links and a project's subsidiary. `false` when NetSuite
/// refused it (a delete with children, a move into a cycle): part of a random history too.
fn change(control: &Control, ids: &Ids, sub: i64, rng: &mut StdRng) -> bool {
    let (customers, projects) = (&ids.customers, &ids.projects);
    let pick = |rng: &mut StdRng, ids: &[i64]| ids[rng.gen_range(0..ids.len())];
    let (kind, id, table) = if rng.gen_bool(0.3) {
        (RecordKind::Customer, pick(rng, customers), "customer")
    } else {
        (RecordKind::Project, pick(rng, projects), "job")
    };
    let name = format!("Crash {}", rng.gen_range(0..100_000));
    let mutation = match rng.gen_range(0..11) {
        0 => Mutation::CreateProject(NewProject {
            name,
            parent: id,
            subsidiary: Some(sub),
            ..NewProject::default()
        }),
        1 => Mutation::CreateCustomer(NewCustomer {
            company_name: Some(name),
            subsidiary: Some(sub),
            ..NewCustomer::default()
        }),
        2 | 3 => Mutation::Rename { kind, id, name },
        4 | 5 => {
            let q = format!("SELECT isinactive FROM {table} WHERE id = {id}");
            let inactive = rows(control, &q)[0]["isinactive"] == "T";
            Mutation::SetInactive {
                kind,
                id,
                inactive: !inactive,
            }
        }
        6 => Mutation::Move {
            kind: RecordKind::Project,
            id: pick(rng, projects),
            parent: Some(if rng.gen_bool(0.5) {
                pick(rng, customers)
            } else {
                pick(rng, projects)
            }),
        },
        7 => Mutation::Delete { kind, id },
        8 => Mutation::SetProjectSubsidiary {
            project: pick(rng, projects),
            subsidiary: pick(rng, &ids.subsidiaries),
        },
        9 => Mutation::UnlinkSubsidiary {
            customer: pick(rng, customers),
            subsidiary: sub,
        },
        _ => Mutation::LinkSubsidiary {
            customer: pick(rng, customers),
            subsidiary: sub,
        },
    };
    control.apply(ACCOUNT, mutation).is_ok()
}

/// Every row of a query run directly on the emulated database.
fn rows(control: &Control, q: &str) -> Vec<serde_json::Map<String, Value>> {
    nsync_server::testing::rows(control, ACCOUNT, q)
}
