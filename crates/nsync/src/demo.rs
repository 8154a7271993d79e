//! `nsync demo`: one command that shows nsync working on a fresh machine.
//!
//! Today it starts the strict NetSuite emulator in this process with a seeded demo account and
//! prints how to reach it; the procurement side (import, update, web pages) joins it as it lands.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use netsuite_emulator::{AccountConfig, Emulator, EmulatorConfig};

/// Arguments of `nsync demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port of the emulated NetSuite on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where the demo keeps its files (the OAuth 2.0 private keys).
    #[arg(long, default_value = "data/demo")]
    data_dir: PathBuf,
    /// Seed of the demo data and secrets.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The demo NetSuite account id.
    #[arg(long, default_value = "1234567")]
    account: String,
}

/// Starts the demo and serves until Ctrl-C or SIGTERM.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = EmulatorConfig::single(AccountConfig::demo(&args.account, args.seed));
    config.seed = args.seed;
    config.bind = ([127, 0, 0, 1], args.port).into();
    let emulator = Emulator::start(config)
        .await
        .context("starting the NetSuite emulator")?;
    let account_id = emulator.account_ids().remove(0);
    let creds = emulator
        .credentials(&account_id)
        .context("the demo account has no credentials")?;
    let key_file = write_key(&args.data_dir, &account_id, &creds.oauth2.private_key_pem)?;
    let base_url = emulator.base_url();
    let ready = serde_json::json!({
        "emulator_url": base_url,
        "account_id": account_id,
        "tba": creds.tba,
        "oauth2": {
            "client_id": creds.oauth2.client_id,
            "certificate_id": creds.oauth2.certificate_id,
            "private_key_file": key_file,
        },
    });
    println!("{ready}");
    eprintln!(
        "\nThe emulated NetSuite account {account_id} is serving at {base_url}.\n\
         Read it with the production client, for example:\n  \
         NETSUITE_CLIENT_ID={} NETSUITE_CERTIFICATE_ID={} NETSUITE_PRIVATE_KEY_FILE={} \\\n  \
         cargo run --release -- netsuite subsidiaries --account {account_id} --base-url {base_url}\n\
         Press Ctrl-C to stop.",
        creds.oauth2.client_id,
        creds.oauth2.certificate_id,
        key_file.display(),
    );
    wait_for_stop().await?;
    emulator.shutdown().await;
    Ok(())
}

/// Writes the OAuth 2.0 private key where a person can point `NETSUITE_PRIVATE_KEY_FILE` at it.
fn write_key(dir: &Path, account_id: &str, pem: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join(format!("{account_id}-oauth2-private.pem"));
    std::fs::write(&file, pem).with_context(|| format!("writing {}", file.display()))?;
    Ok(std::path::absolute(&file).unwrap_or(file))
}

async fn wait_for_stop() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
