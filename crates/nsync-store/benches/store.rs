//! Storage benchmark, both backends: apply 300,000 new options in one transaction, apply the
//! same plan again (each the median of 3 rounds on fresh stores), typeahead search, one page of
//! children of a node with 20,000 children.
//!
//! Each backend runs in its own child process so that peak memory (VmHWM) is its own.
//! `cargo bench -p nsync-store --bench store [-- sqlite|postgres]`.

// The allocator of the nsync binary (see its main.rs), so these figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use nsync_core::{
    AccountId, Change, ChangeKind, Credentials, IntegrationSettings, Level, OptionName,
    OptionState, OptionUpsert, Plan, RecordId, RunCounts, RunKind, RunOutcome, RunStatus,
    RunTrigger, TimeZone, UpstreamKey, UpstreamKind,
};
use nsync_store::{MasterKey, NewIntegration, RunLock, Store, StoreConfig};
use sqlx::Connection;

const CUSTOMERS: i64 = 50_000;
const PROJECTS: i64 = 150_000;
const SUB_PROJECTS: i64 = 100_000;
const BIG_NODE_CHILDREN: i64 = 20_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only = ["sqlite", "postgres"]
        .into_iter()
        .find(|b| args.iter().any(|a| a == b));
    match only {
        Some(backend) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(run(backend));
        }
        None => {
            for backend in ["sqlite", "postgres"] {
                let status = std::process::Command::new(std::env::current_exe().expect("own path"))
                    .arg(backend)
                    .status()
                    .expect("child bench");
                assert!(status.success(), "{backend} bench failed");
            }
        }
    }
}

/// A tiny deterministic generator, so every run measures the same tree.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Société",
    "Müller",
    "Çelik",
    "Nordström",
    "Pied Piper",
    "Vandelay",
    "Oscorp",
    "Tyrell",
    "Cyberdyne",
];
const SECOND: &[&str] = &[
    "Holdings",
    "Industries",
    "Logistics",
    "Bâtiment",
    "Consulting",
    "Energy",
    "Foods",
    "Retail",
    "Labs",
    "Partners",
    "Construction",
    "Médical",
];
const PROJECT: &[&str] = &[
    "Renovation",
    "Roll-out",
    "Migration",
    "Audit",
    "Fit-out",
    "Expansion",
    "Maintenance",
    "Façade",
    "Warehouse",
    "Upgrade",
    "Pilot",
    "Phase",
];

fn option(
    kind: UpstreamKind,
    id: i64,
    parent: Option<UpstreamKey>,
    level: i64,
    name: String,
) -> OptionUpsert {
    OptionUpsert {
        upstream: UpstreamKey {
            kind,
            id: RecordId::new(id).expect("id"),
        },
        parent,
        level: Level::new(level).expect("level"),
        name: OptionName::parse(kind, &name, "bench").expect("name"),
        number: (kind == UpstreamKind::Project).then(|| format!("PRJ-{id:06}")),
        state: OptionState::Active,
        removed_here: false,
        flaw: None,
    }
}

/// 50k customers, 150k projects, 100k sub-projects; customer 1 has 20k projects.
fn tree() -> Vec<OptionUpsert> {
    let mut rng = Lcg(42);
    let mut options = Vec::with_capacity((CUSTOMERS + PROJECTS + SUB_PROJECTS) as usize);
    for id in 1..=CUSTOMERS {
        let name = format!("{} {} {id}", rng.pick(FIRST), rng.pick(SECOND));
        options.push(option(UpstreamKind::Customer, id, None, 1, name));
    }
    for n in 0..PROJECTS {
        let id = 1_000_000 + n;
        let customer = if n < BIG_NODE_CHILDREN {
            1
        } else {
            1 + (rng.next() as i64 % CUSTOMERS)
        };
        let parent = UpstreamKey {
            kind: UpstreamKind::Customer,
            id: RecordId::new(customer).expect("id"),
        };
        let name = format!("{} {} {n}", rng.pick(PROJECT), rng.pick(FIRST));
        options.push(option(UpstreamKind::Project, id, Some(parent), 2, name));
    }
    for n in 0..SUB_PROJECTS {
        let id = 2_000_000 + n;
        let project = 1_000_000 + (rng.next() as i64 % PROJECTS);
        let parent = UpstreamKey {
            kind: UpstreamKind::Project,
            id: RecordId::new(project).expect("id"),
        };
        let name = format!("{} {n}", rng.pick(PROJECT));
        options.push(option(UpstreamKind::Project, id, Some(parent), 3, name));
    }
    options
}

async fn connect(backend: &str) -> Option<(Store, Option<String>)> {
    if backend == "sqlite" {
        let path =
            std::env::temp_dir().join(format!("nsync-bench-{}.db", uuid::Uuid::new_v4().simple()));
        let store = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("sqlite");
        return Some((store, Some(path.display().to_string())));
    }
    let url = std::env::var("NSYNC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("nsync_bench_{}", uuid::Uuid::new_v4().simple());
    if let Err(err) = admin_sql(&url, &format!("CREATE SCHEMA {schema}")).await {
        println!("postgres: SKIPPED, {url} is unreachable: {err}");
        return None;
    }
    let config = StoreConfig {
        postgres_schema: Some(schema.clone()),
        ..StoreConfig::new(&url)
    };
    Some((
        Store::connect_with(config).await.expect("postgres"),
        Some(schema),
    ))
}

async fn admin_sql(url: &str, sql: &str) -> Result<(), sqlx::Error> {
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        .execute(&mut conn)
        .await?;
    sqlx::query(sql).execute(&mut conn).await?;
    conn.close().await
}

fn vm_hwm_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn row(name: &str, value: String, target: &str, ok: bool) {
    println!(
        "| {name:<44} | {value:>12} | {target:>10} | {} |",
        if ok { "ok  " } else { "MISS" }
    );
}

/// A fresh store with one integration, its run lock, and the plan of 300,000 new options.
async fn setup(backend: &str) -> Option<(Store, Option<String>, RunLock, Plan)> {
    let (store, cleanup) = connect(backend).await?;
    let company = store
        .create_company("Bench", &TimeZone::parse("UTC").expect("tz"), 1)
        .await
        .expect("company");
    let (key, _) = MasterKey::generate();
    let credentials = Credentials::Tba {
        consumer_key: "ck".into(),
        consumer_secret: "cs".to_owned().into(),
        token_id: "t".into(),
        token_secret: "ts".to_owned().into(),
    };
    let new = NewIntegration {
        company,
        account: AccountId::parse("1234567").expect("account"),
        subsidiary: None,
        credentials,
        settings: IntegrationSettings::default(),
        field_name: "Customer / Project".into(),
    };
    let integration = store
        .create_integration(
            &key,
            &new,
            &nsync_store::Audit::new(new.company, None, "create_integration", 0),
        )
        .await
        .expect("integration");
    let field = store
        .integration(integration)
        .await
        .expect("integration")
        .field;
    let lock = store.lock_integration(integration).await.expect("lock");
    let run = store
        .start_run(&lock, RunKind::Import, RunTrigger::Cli, None, 0, None)
        .await
        .expect("run");
    let options = tree();
    // A first import reports every option added: the change list and the feed it writes.
    let changes = options
        .iter()
        .map(|o| Change {
            upstream: o.upstream,
            option: None,
            kind: ChangeKind::Added,
            old_value: None,
            new_value: Some(o.name.as_str().to_owned()),
            reason: None,
        })
        .collect();
    let plan = Plan {
        integration,
        field,
        mirror_upserts: Vec::new(),
        mirror_removals: Vec::new(),
        options,
        changes,
        run: RunOutcome {
            id: run,
            status: RunStatus::Succeeded,
            counts: RunCounts::default(),
            netsuite_requests: 0,
            finished_at_ms: 1,
            error: None,
        },
        cursor: None,
    };
    Some((store, cleanup, lock, plan))
}

/// Entries per page of the feed read (the API's largest page).
const FEED_PAGE: u32 = 1_000;

/// Rounds of the apply figures, each on a fresh store; each figure is their median.
const ROUNDS: usize = 3;

/// What one round leaves for the figures measured once, on the last round's store.
struct Round {
    store: Store,
    cleanup: Option<String>,
    lock: RunLock,
    plan: Plan,
    first: u64,
    second: u64,
}

async fn run(backend: &str) {
    let (mut applies, mut reapplies, mut feeds) = (Vec::new(), Vec::new(), Vec::new());
    let mut bare = Vec::new();
    let (mut last, mut peak) = (None::<Round>, 0.0);
    for round in 0..ROUNDS {
        // One round's data at a time: peak memory is that of one apply.
        if let Some(done) = last.take() {
            drop_store(backend, done.store, done.lock, done.cleanup).await;
        }
        // The options alone (issue 4's figure), on a store of their own.
        let Some((store, cleanup, lock, mut plan)) = setup(backend).await else {
            return;
        };
        let changes = std::mem::take(&mut plan.changes);
        let started = Instant::now();
        store.apply_plan(&plan).await.expect("apply options alone");
        bare.push(started.elapsed());
        drop_store(backend, store, lock, cleanup).await;
        // The import as a run writes it: options, its change list, the feed's entries.
        let Some((store, cleanup, lock, mut plan)) = setup(backend).await else {
            return;
        };
        plan.changes = changes;
        let started = Instant::now();
        let first = store.apply_plan(&plan).await.expect("apply").rows_written;
        applies.push(started.elapsed());
        if round == 0 {
            peak = vm_hwm_mb();
        }
        let started = Instant::now();
        let second = store
            .apply_plan(&plan)
            .await
            .expect("re-apply")
            .rows_written;
        reapplies.push(started.elapsed());
        // The procurement app catching up: the whole feed, a page at a time.
        let started = Instant::now();
        let mut after = 0;
        loop {
            let page = store
                .field_changes(plan.field, after, FEED_PAGE)
                .await
                .expect("feed page");
            match page.changes.last() {
                Some(last) => after = last.seq,
                None => break,
            }
        }
        feeds.push(started.elapsed());
        assert_eq!(after, plan.changes.len() as i64, "every entry read");
        println!(
            "{backend} round {}: options alone {:.2} s, with the change list {:.2} s, apply again {:.2} s, read the feed {:.2} s",
            round + 1,
            bare[round].as_secs_f64(),
            applies[round].as_secs_f64(),
            reapplies[round].as_secs_f64(),
            feeds[round].as_secs_f64()
        );
        last = Some(Round {
            store,
            cleanup,
            lock,
            plan,
            first,
            second,
        });
    }
    let Some(Round {
        store,
        cleanup,
        lock,
        plan,
        first,
        second,
    }) = last
    else {
        return;
    };
    let field = plan.field;
    let apply = percentile(&mut applies, 0.5);
    let reapply = percentile(&mut reapplies, 0.5);
    let feed = percentile(&mut feeds, 0.5);
    let bare = percentile(&mut bare, 0.5);

    let mut rng = Lcg(7);
    let mut search = Vec::new();
    for i in 0..1_000 {
        let name = plan.options[(rng.next() % plan.options.len() as u64) as usize]
            .name
            .as_str()
            .to_owned();
        let chars: Vec<char> = name.chars().collect();
        let len = if i % 10 == 0 {
            2
        } else {
            3 + (rng.next() % 6) as usize
        };
        let start = (rng.next() as usize) % chars.len().saturating_sub(len).max(1);
        let query: String = chars[start..(start + len).min(chars.len())]
            .iter()
            .collect();
        let started = Instant::now();
        let hits = store.search(field, &query, 20).await.expect("search");
        search.push(started.elapsed());
        assert!(
            !hits.is_empty() || query.trim().is_empty(),
            "no hit for {query:?}"
        );
    }
    let big_node = UpstreamKey {
        kind: UpstreamKind::Customer,
        id: RecordId::new(1).expect("id"),
    };
    let all = store.integrated_options(field).await.expect("options");
    let parent = all
        .iter()
        .find(|o| o.upstream == Some(big_node))
        .map(|o| o.id);
    drop(all);
    let mut pages = Vec::new();
    let mut cursor = None;
    for _ in 0..100 {
        let started = Instant::now();
        let page = store
            .children(field, parent, cursor.as_ref(), 100, true)
            .await
            .expect("children");
        pages.push(started.elapsed());
        assert_eq!(page.options.len(), 100);
        cursor = page.next;
    }

    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    // PostgreSQL's targets leave room for a noisy machine below those of issue 5 (10 s, 1 s).
    let (apply_target, reapply_target) = if backend == "sqlite" {
        (5.0, 1.0)
    } else {
        (8.0, 0.8)
    };
    println!(
        "\n{backend}: {} options ({} written on first apply)",
        plan.options.len(),
        first
    );
    println!(
        "| {:<44} | {:>12} | {:>10} | ok?  |",
        "figure", "measured", "target"
    );
    println!(
        "|{}|{}|{}|------|",
        "-".repeat(46),
        "-".repeat(14),
        "-".repeat(12)
    );
    row(
        "read the whole change feed, 1,000 a page",
        format!("{:.2} s", feed.as_secs_f64()),
        "<= 3 s",
        feed.as_secs_f64() <= 3.0,
    );
    row(
        "apply 300,000 new options (median of 3)",
        format!("{:.2} s", bare.as_secs_f64()),
        &format!("<= {apply_target} s"),
        bare.as_secs_f64() <= apply_target,
    );
    row(
        "  the same with change list and feed",
        format!("{:.2} s", apply.as_secs_f64()),
        &format!("<= {apply_target} s"),
        apply.as_secs_f64() <= apply_target,
    );
    row(
        "peak memory (VmHWM) after apply",
        format!("{peak:.0} MB"),
        "<= 300 MB",
        peak <= 300.0,
    );
    row(
        "apply the same plan again (median of 3)",
        format!("{:.2} s", reapply.as_secs_f64()),
        &format!("<= {reapply_target} s"),
        reapply.as_secs_f64() <= reapply_target,
    );
    row(
        "  rows written by the second apply",
        second.to_string(),
        "0",
        second == 0,
    );
    let (median, p99) = (percentile(&mut search, 0.5), percentile(&mut search, 0.99));
    row(
        "typeahead search, median (1,000 queries)",
        ms(median),
        "<= 5 ms",
        median.as_secs_f64() <= 0.005,
    );
    row(
        "typeahead search, p99",
        ms(p99),
        "<= 20 ms",
        p99.as_secs_f64() <= 0.020,
    );
    let page = percentile(&mut pages, 0.5);
    let worst = percentile(&mut pages, 1.0);
    row(
        "children page of 100 of 20,000, median",
        ms(page),
        "<= 10 ms",
        page.as_secs_f64() <= 0.010,
    );
    row(
        "children page of 100 of 20,000, worst",
        ms(worst),
        "<= 10 ms",
        worst.as_secs_f64() <= 0.010,
    );

    drop_store(backend, store, lock, cleanup).await;
}

async fn drop_store(backend: &str, store: Store, lock: RunLock, cleanup: Option<String>) {
    lock.release().await.expect("release");
    store.close().await;
    match (backend, cleanup) {
        ("sqlite", Some(path)) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        }
        (_, Some(schema)) => {
            let url = std::env::var("NSYNC_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            admin_sql(&url, &format!("DROP SCHEMA {schema} CASCADE"))
                .await
                .expect("drop schema");
        }
        _ => {}
    }
}
