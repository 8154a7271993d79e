//! `nsync migrate` and `nsync rotate-key`: argument parsing and wiring to the store only.

use std::future::Future;
use std::path::PathBuf;

use anyhow::Context;
use nsync_store::{MasterKey, Store, StoreConfig};

/// The database every command uses unless told otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://nsync.db";

/// Arguments of `nsync migrate`.
#[derive(clap::Args)]
pub struct MigrateArgs {
    /// Database to migrate: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "NSYNC_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

/// Arguments of `nsync rotate-key`.
#[derive(clap::Args)]
pub struct RotateKeyArgs {
    /// Database holding the credentials.
    #[arg(long, env = "NSYNC_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// File with the current master key (base64 of 32 bytes); default: $NSYNC_MASTER_KEY.
    #[arg(long)]
    old_key_file: Option<PathBuf>,
    /// File with the new master key (base64 of 32 bytes); default: $NSYNC_NEW_MASTER_KEY.
    #[arg(long)]
    new_key_file: Option<PathBuf>,
}

/// Applies pending migrations.
pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let mut config = StoreConfig::new(&args.database_url);
    config.max_connections = 1;
    let store = Store::connect_with(config)
        .await
        .context("cannot migrate the database")?;
    store.close().await;
    println!("database is migrated ({:?})", store.backend());
    Ok(())
}

/// Re-encrypts every integration's credentials under a new master key, in one transaction.
pub async fn rotate_key(args: RotateKeyArgs) -> anyhow::Result<()> {
    let old = match &args.old_key_file {
        Some(path) => MasterKey::from_file(path)?,
        None => MasterKey::from_env()?,
    };
    let new = match &args.new_key_file {
        Some(path) => MasterKey::from_file(path)?,
        None => {
            let text = std::env::var("NSYNC_NEW_MASTER_KEY")
                .context("give --new-key-file or set NSYNC_NEW_MASTER_KEY")?;
            MasterKey::from_base64(&text)?
        }
    };
    let store = Store::connect(&args.database_url)
        .await
        .context("cannot open the database")?;
    let count = store
        .rotate_master_key(&old, &new)
        .await
        .context("key rotation failed; nothing was changed")?;
    store.close().await;
    println!("re-encrypted the credentials of {count} integration(s); keep the new key, the old one no longer opens them");
    Ok(())
}

/// Runs an async command body to completion on a fresh runtime.
pub fn block_on(body: impl Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(body)
}
