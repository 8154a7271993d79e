//! `nsync demo`: one command that shows nsync working on a fresh machine: the NetSuite emulator
//! with a seeded demo account, a SQLite database, a demo company with an admin, the integration
//! already connected, and the server.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::FutureExt as _;
use netsuite_emulator::{AccountConfig, Emulator, EmulatorConfig};
use nsync_core::{Credentials, Email, IntegrationSettings, Role, SubsidiaryId, TimeZone};
use nsync_server::http::{AppState, HttpConfig, SessionKey};
use nsync_server::{ClientSettings, Engine};
use nsync_store::{MasterKey, NewIntegration, Store};
use secrecy::ExposeSecret;

use crate::serve_cmd::{automate, stop_signal, Automate};

const ADMIN_EMAIL: &str = "admin@demo.nsync.test";

/// Arguments of `nsync demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address of the web server.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Port of the emulated NetSuite on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    emulator_port: u16,
    /// Where the demo keeps its database (started afresh on every run).
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
    config.bind = ([127, 0, 0, 1], args.emulator_port).into();
    let emulator = Emulator::start(config)
        .await
        .context("starting the NetSuite emulator")?;
    let account_id = emulator.account_ids().remove(0);
    let creds = emulator
        .credentials(&account_id)
        .context("the demo account has no credentials")?;
    let emulator_url = emulator.base_url();

    let store = fresh_store(&args.data_dir).await?;
    let company = store
        .create_company(
            "Demo Procurement",
            &TimeZone::parse("Europe/Paris")?,
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
    let password = random_password();
    let admin = store
        .create_user(
            company,
            &Email::parse(ADMIN_EMAIL)?,
            &password.clone().into(),
            Role::Admin,
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
    let token = store
        .create_api_token(
            company,
            Some(admin),
            "demo",
            &nsync_store::Audit::new(company, None, "create_api_token", 0),
        )
        .await?;
    let (key, _) = MasterKey::generate();
    let credentials = Credentials::Tba {
        consumer_key: creds.tba.consumer_key.clone(),
        consumer_secret: creds.tba.consumer_secret.clone().into(),
        token_id: creds.tba.token_id.clone(),
        token_secret: creds.tba.token_secret.clone().into(),
    };
    let settings = ClientSettings {
        base_url_override: Some(emulator_url.parse()?),
        ..ClientSettings::default()
    };
    let subsidiary = busiest_subsidiary(&emulator, &account_id)?;
    let integration_id = store
        .create_integration(
            &key,
            &NewIntegration {
                company,
                account: nsync_server::parse_account_id(&account_id)?,
                subsidiary,
                credentials,
                settings: IntegrationSettings::default(),
                field_name: "Customer / Project".to_owned(),
            },
            &nsync_store::Audit::new(company, None, "create_integration", 0),
        )
        .await?;
    // The demo runs beside whatever receives its webhooks: local addresses are allowed.
    let policy = nsync_server::webhooks::WebhookPolicy {
        allow_private: true,
    };
    let engine =
        Arc::new(Engine::new(store.clone(), key, Arc::new(settings)).with_webhook_policy(policy));

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (use --listen 127.0.0.1:0)",
                args.listen
            )
        })?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(
        Arc::clone(&engine),
        HttpConfig {
            session_key: SessionKey::random(),
            secure_cookies: false,
        },
    );
    let ready = serde_json::json!({
        "url": url,
        "admin_email": ADMIN_EMAIL,
        "admin_password": password,
        "api_token": token.secret.expose_secret(),
        "integration_id": integration_id.get(),
        "account_id": account_id,
        "subsidiary_id": subsidiary.map(|s| s.get()),
        "emulator_url": emulator_url,
        "emulator_control_url": format!("{emulator_url}/_emulator"),
    });
    println!("{ready}");
    eprintln!(
        "\nnsync demo is ready. Open {url}/ and sign in as {ADMIN_EMAIL} with the password above,\n\
         then open the integration, click Import Customers, Select all and Import.\n\
         The API: curl -H 'Authorization: Bearer <api_token>' {url}/api/v1/fields\n\
         Press Ctrl-C to stop."
    );
    // The scheduler and a worker run too, so turning the automatic update on does something.
    let stop = stop_signal().shared();
    let automation = Automate {
        workers: 2,
        lease: Duration::from_secs(60),
        tick: Duration::from_secs(30),
        retention: Duration::from_secs(90 * 24 * 60 * 60),
    };
    let (served, automated) = tokio::join!(
        nsync_server::http::serve(listener, state, stop.clone()),
        automate(&engine, &automation, stop),
    );
    served?;
    automated?;
    store.close().await;
    emulator.shutdown().await;
    Ok(())
}

/// The subsidiary with the most customers, so the demo's tree is a rich one; `None` when the
/// account has no subsidiaries. Asked of the emulator's own database (demo wiring only).
fn busiest_subsidiary(emulator: &Emulator, account: &str) -> anyhow::Result<Option<SubsidiaryId>> {
    let q = "SELECT subsidiary, COUNT(*) AS n FROM customersubsidiaryrelationship \
             GROUP BY subsidiary ORDER BY n DESC";
    let page = emulator
        .control()
        .suiteql(account, q, 0, 1)
        .map_err(|e| anyhow::anyhow!("reading the demo account: {e}"))?;
    let id = page
        .items
        .first()
        .and_then(|row| row.get("subsidiary"))
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse::<i64>().ok());
    Ok(id.map(SubsidiaryId::new).transpose()?)
}

/// The demo starts from an empty database each time, so its printed secrets are the only ones.
async fn fresh_store(dir: &std::path::Path) -> anyhow::Result<Store> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("nsync.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .context("opening the demo database")
}

fn random_password() -> String {
    use rand::Rng;
    let alphabet = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}
