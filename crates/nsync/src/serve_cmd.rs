//! `nsync serve`: configuration from flags and environment, wiring of store, engine and the
//! HTTP layer. Behaviour lives in `nsync-server`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use nsync_server::http::{AppState, HttpConfig, SessionKey};
use nsync_server::{ClientSettings, Engine};
use nsync_store::{MasterKey, Store};

/// Arguments of `nsync serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Database: sqlite://PATH or postgres://USER@HOST/DB; default: SQLite in the data directory.
    #[arg(long, env = "NSYNC_DATABASE_URL")]
    database_url: Option<String>,
    /// Where the default SQLite database lives.
    #[arg(long, env = "NSYNC_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// File with the master key (base64 of 32 bytes); default: $NSYNC_MASTER_KEY.
    #[arg(long, env = "NSYNC_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "NSYNC_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Operator-only: send every NetSuite request here instead of NetSuite (the emulator).
    #[arg(long, env = "NSYNC_NETSUITE_BASE_URL")]
    netsuite_base_url: Option<url::Url>,
    /// Mark cookies Secure (when served behind HTTPS).
    #[arg(long, env = "NSYNC_SECURE_COOKIES")]
    secure_cookies: bool,
}

/// Starts the server and serves until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let key = match &args.master_key_file {
        Some(path) => MasterKey::from_file(path)?,
        None => MasterKey::from_env()?,
    };
    let url = match args.database_url {
        Some(url) => url,
        None => {
            std::fs::create_dir_all(&args.data_dir)
                .with_context(|| format!("creating {}", args.data_dir.display()))?;
            format!("sqlite://{}", args.data_dir.join("nsync.db").display())
        }
    };
    let store = Store::connect(&url)
        .await
        .context("cannot open the database")?;
    let settings = ClientSettings {
        base_url_override: args.netsuite_base_url,
        ..ClientSettings::default()
    };
    let session_key = SessionKey::derived_from(&key);
    let engine = Arc::new(Engine::new(store.clone(), key, Arc::new(settings)));
    let state = AppState::new(
        engine,
        HttpConfig {
            session_key,
            secure_cookies: args.secure_cookies,
        },
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    eprintln!("nsync is serving at http://{}", listener.local_addr()?);
    nsync_server::http::serve(listener, state, stop_signal()).await?;
    store.close().await;
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
