//! `netsuite-emulator`: serves one emulated NetSuite account until Ctrl-C/SIGTERM.
//! Prints one JSON line (base URL, account, credentials, key file) when ready.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, ValueEnum};
use netsuite_emulator::{
    AccountConfig, DatasetChoice, Emulator, EmulatorConfig, GeneratorSpec, LatencyConfig,
};

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
    netsuite_emulator::AccountId::parse(&args.account)?;
    let mut config = EmulatorConfig::single(account_config(&args));
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
    let account_id = emulator.account_ids().remove(0);
    let creds = emulator
        .credentials(&account_id)
        .context("the configured account")?;
    let dir = key_dir(args.data_dir.as_ref())?;
    let rsa_file = dir.join(format!("{account_id}-rsa-private.pem"));
    let ec_file = dir.join(format!("{account_id}-ec-private.pem"));
    std::fs::write(&rsa_file, &creds.oauth2.private_key_pem)
        .with_context(|| format!("writing {}", rsa_file.display()))?;
    std::fs::write(&ec_file, &creds.oauth2.ec_private_key_pem)
        .with_context(|| format!("writing {}", ec_file.display()))?;
    let ready = serde_json::json!({
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
    });
    println!("{ready}");
    wait_for_stop().await?;
    emulator.shutdown().await;
    Ok(())
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
