//! `netsuite-emulator`: serves one emulated NetSuite account (or every account of an
//! `--accounts-file`) until Ctrl-C/SIGTERM. Prints one JSON line when ready: base URL,
//! account, credentials and key files; with an accounts file, the number of accounts instead
//! of their credentials (`GET /_emulator/accounts` lists those).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use netsuite_emulator::{
    AccountConfig, DatasetChoice, Emulator, EmulatorConfig, GeneratorSpec, LatencyConfig,
    TEST_EC_PRIVATE_KEY_PEM, TEST_RSA_PRIVATE_KEY_PEM,
};

/// The single-account flags an accounts file replaces: giving one with it is an error.
const SINGLE_ACCOUNT_FLAGS: [&str; 10] = [
    "account",
    "dataset",
    "customers",
    "projects",
    "leads_and_prospects",
    "subsidiaries",
    "concurrency",
    "no_one_world",
    "no_projects",
    "no_status_lists",
];

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DatasetName {
    /// A few hundred records over several subsidiaries.
    Demo,
    /// 50,000 customers and 250,000 projects over 3 subsidiaries.
    Large,
    /// No records.
    Empty,
}

/// A strict, stateful NetSuite stand-in (tests, demo, benchmarks only).
#[derive(Debug, Parser)]
#[command(name = "netsuite-emulator", version)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Built-in dataset; `--customers`/`--projects` override it with a generated one.
    #[arg(long, value_enum, default_value_t = DatasetName::Demo)]
    dataset: DatasetName,
    /// Seed for data, secrets, jitter and probabilistic faults.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Generated dataset: number of customers.
    #[arg(long)]
    customers: Option<usize>,
    /// Generated dataset: number of projects.
    #[arg(long)]
    projects: Option<usize>,
    /// Generated dataset: leads and prospects besides the customers.
    #[arg(long, default_value_t = 0)]
    leads_and_prospects: usize,
    /// Generated dataset: number of subsidiaries.
    #[arg(long, default_value_t = 3)]
    subsidiaries: usize,
    /// Fixed latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Random extra latency up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// The account's concurrency limit.
    #[arg(long, default_value_t = 5)]
    concurrency: usize,
    /// Account id (`1234567`, `1234567_SB1`).
    #[arg(long, default_value = "1234567")]
    account: String,
    /// Account without OneWorld (no subsidiaries).
    #[arg(long)]
    no_one_world: bool,
    /// Account without the Projects feature (no `job`).
    #[arg(long)]
    no_projects: bool,
    /// A role that may not read the status lists (`entitystatus` is unknown to SuiteQL).
    #[arg(long)]
    no_status_lists: bool,
    /// Where to write the private key PEM files (a new temporary directory by default).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Serve many generated accounts from a JSON file instead of one account: an array of
    /// {"account": "1000001", "customers": 300, "projects": 700, "subsidiaries": 2, "seed": 7,
    /// "concurrency": 5}. Only "account" is required; the rest default as the flags do
    /// (customers, projects, leads_and_prospects 0; subsidiaries 3; seed --seed; concurrency
    /// 5). Conflicts with --account, --dataset, --customers, --projects,
    /// --leads-and-prospects, --subsidiaries, --concurrency, --no-one-world, --no-projects and
    /// --no-status-lists; --seed, --port, latency and --data-dir still apply. The ready line
    /// then holds {"base_url", "control_url", "accounts" (how many), "accounts_url",
    /// "token_url", "private_key_file", "ec_private_key_file", "startup_ms"}; each account's
    /// credentials are at GET /_emulator/accounts: [{"account_id", "host",
    /// "concurrency_limit", "revoked", "credentials": {"account_id", "tba": {"consumer_key",
    /// "consumer_secret", "token_id", "token_secret"}, "oauth2": {"client_id",
    /// "certificate_id", "private_key_pem", "ec_certificate_id", "ec_private_key_pem"}}}].
    #[arg(long, value_name = "FILE", conflicts_with_all = SINGLE_ACCOUNT_FLAGS)]
    accounts_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let started = Instant::now();
    let accounts = match &args.accounts_file {
        Some(file) => read_accounts_file(file, args.seed)?,
        None => {
            netsuite_emulator::AccountId::parse(&args.account)?;
            vec![account_config(&args)]
        }
    };
    let mut config = EmulatorConfig::many(accounts);
    config.seed = args.seed;
    config.bind = ([127, 0, 0, 1], args.port).into();
    config.latency = LatencyConfig {
        fixed: Duration::from_millis(args.latency_ms),
        jitter: Duration::from_millis(args.jitter_ms),
        per_row: Duration::ZERO,
    };
    let emulator = Emulator::start(config)
        .await
        .context("starting the emulator")?;
    let dir = key_dir(args.data_dir.as_ref())?;
    let ready = if args.accounts_file.is_some() {
        many_ready(&emulator, &dir, started)?
    } else {
        single_ready(&emulator, &dir)?
    };
    println!("{ready}");
    wait_for_stop().await?;
    emulator.shutdown().await;
    Ok(())
}

fn read_accounts_file(file: &Path, seed: u64) -> anyhow::Result<Vec<AccountConfig>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading accounts file {}", file.display()))?;
    netsuite_emulator::parse_accounts_file(&text, seed)
        .with_context(|| format!("accounts file {}", file.display()))
}

/// The ready line of one account: its credentials in full.
fn single_ready(emulator: &Emulator, dir: &Path) -> anyhow::Result<serde_json::Value> {
    let account_id = emulator.account_ids().remove(0);
    let creds = emulator
        .credentials(&account_id)
        .context("the configured account")?;
    let rsa_file = write_key(
        dir,
        &format!("{account_id}-rsa-private.pem"),
        &creds.oauth2.private_key_pem,
    )?;
    let ec_file = write_key(
        dir,
        &format!("{account_id}-ec-private.pem"),
        &creds.oauth2.ec_private_key_pem,
    )?;
    Ok(serde_json::json!({
        "base_url": emulator.base_url(),
        "account_id": account_id,
        "tba": creds.tba,
        "oauth2": {
            "client_id": creds.oauth2.client_id,
            "certificate_id": creds.oauth2.certificate_id,
            "private_key_file": rsa_file,
            "ec_certificate_id": creds.oauth2.ec_certificate_id,
            "ec_private_key_file": ec_file,
            "token_url": format!("{}/services/rest/auth/oauth2/v1/token", emulator.base_url()),
        },
        "control_url": format!("{}/_emulator", emulator.base_url()),
    }))
}

/// The ready line of an accounts file: where to find the accounts, not their secrets. Every
/// account's integration accepts the same shipped keys, written once.
fn many_ready(
    emulator: &Emulator,
    dir: &Path,
    started: Instant,
) -> anyhow::Result<serde_json::Value> {
    let rsa_file = write_key(dir, "rsa-private.pem", TEST_RSA_PRIVATE_KEY_PEM)?;
    let ec_file = write_key(dir, "ec-private.pem", TEST_EC_PRIVATE_KEY_PEM)?;
    let base = emulator.base_url();
    Ok(serde_json::json!({
        "base_url": base,
        "control_url": format!("{base}/_emulator"),
        "accounts": emulator.account_ids().len(),
        "accounts_url": format!("{base}/_emulator/accounts"),
        "token_url": format!("{base}/services/rest/auth/oauth2/v1/token"),
        "private_key_file": rsa_file,
        "ec_private_key_file": ec_file,
        "startup_ms": started.elapsed().as_millis(),
    }))
}

fn write_key(dir: &Path, name: &str, pem: &str) -> anyhow::Result<PathBuf> {
    let file = dir.join(name);
    std::fs::write(&file, pem).with_context(|| format!("writing {}", file.display()))?;
    Ok(file)
}

fn account_config(args: &Args) -> AccountConfig {
    let dataset = match (args.customers, args.projects, args.dataset) {
        (None, None, DatasetName::Demo) => DatasetChoice::Demo { seed: args.seed },
        (None, None, DatasetName::Large) => DatasetChoice::Large { seed: args.seed },
        (None, None, DatasetName::Empty) => DatasetChoice::Empty,
        (customers, projects, _) => DatasetChoice::Generated(GeneratorSpec {
            customers: customers.unwrap_or(0),
            leads_and_prospects: args.leads_and_prospects,
            projects: projects.unwrap_or(0),
            subsidiaries: args.subsidiaries,
            seed: args.seed,
        }),
    };
    let mut account = AccountConfig::with_dataset(&args.account, args.seed, dataset);
    account.concurrency_limit = args.concurrency;
    account.one_world = !args.no_one_world;
    account.projects_enabled = !args.no_projects;
    account.status_lists_readable = !args.no_status_lists;
    account
}

fn key_dir(data_dir: Option<&PathBuf>) -> anyhow::Result<PathBuf> {
    let dir = match data_dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("netsuite-emulator-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

async fn wait_for_stop() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
