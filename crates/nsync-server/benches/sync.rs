//! The sync engine benchmark: import everything from a large emulated account, then update
//! after 0.5% of the records changed, then update when nothing changed; each figure beside its
//! target. Sizes and conditions come from the environment, so a quick run is possible:
//!
//! `NSYNC_BENCH_CUSTOMERS` (50000), `NSYNC_BENCH_LEADS_AND_PROSPECTS` (two thirds of the
//! customers: 40% of the customer records, as in the `large` dataset; the integration takes
//! customers only), `NSYNC_BENCH_PROJECTS` (250000), `NSYNC_BENCH_SUBSIDIARIES`
//! (3; the integration takes the one with the most customers), `NSYNC_BENCH_LATENCY_MS`
//! (100), `NSYNC_BENCH_LIMIT` (5, the account's concurrency limit and the client's budget),
//! `NSYNC_BENCH_CHANGED_PERMILLE` (5), `NSYNC_BENCH_DATABASE_URL` (a temporary SQLite file),
//! `NSYNC_BENCH_ROUNDS` (3: each round imports into a new integration, then updates twice; the
//! figures beside the targets are the medians of the rounds).

#![recursion_limit = "256"]

// The allocator of the nsync binary (see its main.rs), so these figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::Duration;

use netsuite_emulator::{
    AccountConfig, Emulator, EmulatorConfig, GeneratorSpec, LatencyConfig, RecordKind,
};
use nsync_core::planner::Selection;
use nsync_core::{AccountId, IntegrationSettings, RunTrigger, SubsidiaryId, TimeZone};
use nsync_server::{ClientSettings, Engine, RunOptions, RunReport};
use nsync_store::{MasterKey, NewIntegration, Store};

const ACCOUNT: &str = "1234567";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(bench())
}

async fn bench() -> Result<(), Box<dyn std::error::Error>> {
    let customers = env("NSYNC_BENCH_CUSTOMERS", 50_000) as usize;
    let leads = env("NSYNC_BENCH_LEADS_AND_PROSPECTS", customers as u64 * 2 / 3) as usize;
    let rounds = env("NSYNC_BENCH_ROUNDS", 3).max(1) as usize;
    let projects = env("NSYNC_BENCH_PROJECTS", 250_000) as usize;
    let latency = Duration::from_millis(env("NSYNC_BENCH_LATENCY_MS", 100));
    let limit = env("NSYNC_BENCH_LIMIT", 5) as usize;
    let permille = env("NSYNC_BENCH_CHANGED_PERMILLE", 5);
    let subsidiaries = env("NSYNC_BENCH_SUBSIDIARIES", 3).max(1) as usize;
    println!("sync benchmark: {customers} customers and {leads} leads and prospects, {projects} projects, {latency:?} per request, account limit {limit}, {rounds} rounds");

    let mut account = AccountConfig::generated(
        ACCOUNT,
        GeneratorSpec {
            customers,
            leads_and_prospects: leads,
            projects,
            subsidiaries,
            seed: 42,
        },
    );
    account.concurrency_limit = limit;
    account.time_zone = chrono_tz::UTC;
    let mut config = EmulatorConfig::single(account);
    config.latency = LatencyConfig {
        fixed: latency,
        ..LatencyConfig::default()
    };
    let emulator = Emulator::start(config).await?;
    let control = emulator.control();
    let count = |q: &str| -> Result<u64, Box<dyn std::error::Error>> {
        let page = control.suiteql(ACCOUNT, q, 0, 1)?;
        let n = page
            .items
            .first()
            .and_then(|r| r.get("n"))
            .and_then(|v| v.as_str())
            .unwrap_or("0");
        Ok(n.parse()?)
    };
    let sub = nsync_server::testing::busiest_subsidiary(&control, ACCOUNT);
    let linked = |stage: &str| {
        count(&format!(
            "SELECT COUNT(DISTINCT r.entity) AS n FROM customersubsidiaryrelationship r JOIN customer c \
             ON c.id = r.entity WHERE r.subsidiary = {sub} AND c.searchstage {stage}"
        ))
    };
    let in_scope_customers = linked("= 'Customer'")?;
    let in_scope_others = linked("<> 'Customer'")?;
    let in_scope_projects = count(&format!(
        "SELECT COUNT(*) AS n FROM job WHERE subsidiary = {sub}"
    ))?;

    let path = std::env::temp_dir().join(format!("nsync-bench-sync-{}.db", std::process::id()));
    let url = std::env::var("NSYNC_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", path.display()));
    let store = Store::connect(&url).await?;
    // The read lower bound: every page of the subsidiary's customers and projects, `limit` at a
    // time, each taking the injected latency (probe and sizing queries not counted). Leads and
    // prospects are not in scope: the stage filter in the query keeps their pages unread.
    let pages = in_scope_customers.div_ceil(1000) + in_scope_projects.div_ceil(1000);
    let lower_bound = latency * u32::try_from(pages.div_ceil(limit as u64))?;
    let saved =
        (in_scope_customers + in_scope_others).div_ceil(1000) - in_scope_customers.div_ceil(1000);
    println!(
        "  {in_scope_customers} customers + {in_scope_projects} projects in scope, {pages} pages; \
         read lower bound {:.2} s; {in_scope_others} leads and prospects of the subsidiary left \
         unread: {saved} pages saved by reading customers only",
        lower_bound.as_secs_f64()
    );
    let mut figures = Vec::new();
    for round in 1..=rounds {
        println!("round {round}:");
        figures.push(round_of(&store, &emulator, sub, limit, permille, lower_bound).await?);
    }
    let median = |pick: fn(&Figures) -> f64| {
        let mut v: Vec<f64> = figures.iter().map(pick).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("medians of {rounds} rounds:");
    println!(
        "  import without its apply phase: {:.3}x the read lower bound (target: at most 1.3x)",
        median(|f| f.import_ratio)
    );
    println!(
        "  update after {permille} per mille changed: requests {:.1}% of the import's (target: at most 5%), time {:.1}% of the import's (target: at most 10%)",
        median(|f| f.update_requests_pct),
        median(|f| f.update_time_pct)
    );
    println!(
        "  update, nothing changed: {} requests (target: at most 6)",
        median(|f| f.idle_requests)
    );
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}

/// One round's figures.
struct Figures {
    import_ratio: f64,
    update_requests_pct: f64,
    update_time_pct: f64,
    idle_requests: f64,
}

/// One round: a new company and integration, import everything, update after changes, update
/// with none.
async fn round_of(
    store: &Store,
    emulator: &Emulator,
    sub: i64,
    limit: usize,
    permille: u64,
    lower_bound: Duration,
) -> Result<Figures, Box<dyn std::error::Error>> {
    let control = emulator.control();
    let (key, encoded) = MasterKey::generate();
    let company = store
        .create_company(
            &format!("Bench {}", uuid_like()),
            &TimeZone::parse("UTC")?,
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
    let integration = store
        .create_integration(
            &key,
            &NewIntegration {
                company,
                account: AccountId::parse(ACCOUNT)?,
                subsidiary: Some(SubsidiaryId::new(sub)?),
                credentials: nsync_server::testing::credentials(emulator, ACCOUNT),
                settings: IntegrationSettings::default(),
                field_name: "Customer / Project".into(),
            },
            &nsync_store::Audit::new(company, None, "create_integration", 0),
        )
        .await?;
    let settings = ClientSettings {
        base_url_override: Some(emulator.base_url().parse()?),
        time_zone: chrono_tz::UTC,
        concurrency: limit,
        ..ClientSettings::default()
    };
    let engine = Engine::new(
        store.clone(),
        MasterKey::from_base64(&encoded)?,
        Arc::new(settings),
    );
    let cli = RunOptions::new(RunTrigger::Cli);

    let import = engine.import(integration, Selection::All, cli).await?;
    let import_time = import.duration;
    line("import all", &import);
    // The target allows 1.3x the read lower bound plus the time the store takes to apply: the
    // import's own apply phase is that time.
    let bound = lower_bound.as_secs_f64().max(1e-9);
    let without_apply = import_time
        .saturating_sub(import.phases.apply)
        .as_secs_f64();
    println!(
        "  import without its apply phase: {without_apply:.2} s = {:.3}x the read lower bound (target: at most 1.3x; allowed {:.2} s + apply {:.2} s)",
        without_apply / bound,
        1.3 * bound,
        import.phases.apply.as_secs_f64()
    );

    // 0.5% of the imported records change in NetSuite.
    let options = store
        .integrated_options(store.integration(integration).await?.field)
        .await?;
    let step = (1000 / permille.max(1)) as usize;
    let mut changed = 0;
    control.advance_clock(chrono::Duration::minutes(1));
    for option in options.iter().step_by(step.max(1)) {
        let Some(upstream) = option.upstream else {
            continue;
        };
        let kind = match upstream.kind {
            nsync_core::UpstreamKind::Customer => RecordKind::Customer,
            nsync_core::UpstreamKind::Project => RecordKind::Project,
        };
        if control
            .rename(
                ACCOUNT,
                kind,
                upstream.id.get(),
                &format!("{} (renamed)", option.name),
            )
            .is_ok()
        {
            changed += 1;
        }
    }
    let update = engine.update(integration, cli).await?;
    line(&format!("update after {changed} changes"), &update);
    println!(
        "  requests {:.1}% of the import's (target: at most 5%), time {:.1}% of the import's (target: at most 10%)",
        100.0 * f64::from(update.netsuite_requests) / f64::from(import.netsuite_requests.max(1)),
        100.0 * update.duration.as_secs_f64() / import_time.as_secs_f64().max(1e-9)
    );

    let idle = engine.update(integration, cli).await?;
    line("update, nothing changed", &idle);
    println!("  {} requests (target: at most 6)", idle.netsuite_requests);
    Ok(Figures {
        import_ratio: without_apply / bound,
        update_requests_pct: 100.0 * f64::from(update.netsuite_requests)
            / f64::from(import.netsuite_requests.max(1)),
        update_time_pct: 100.0 * update.duration.as_secs_f64()
            / import_time.as_secs_f64().max(1e-9),
        idle_requests: f64::from(idle.netsuite_requests),
    })
}

/// A company name no earlier round used.
fn uuid_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn line(what: &str, report: &RunReport) {
    let c = report.counts;
    println!(
        "{what}: {:.2} s, {} NetSuite requests, added {}, renamed {}, deactivated {}, rejected {}, unchanged {}",
        report.duration.as_secs_f64(),
        report.netsuite_requests,
        c.added,
        c.renamed,
        c.deactivated,
        c.rejected,
        c.unchanged
    );
    let p = report.phases;
    println!(
        "  phases: load {:.3} s, read {:.3} s, plan {:.3} s, apply {:.3} s",
        p.load.as_secs_f64(),
        p.read.as_secs_f64(),
        p.plan.as_secs_f64(),
        p.apply.as_secs_f64()
    );
}
