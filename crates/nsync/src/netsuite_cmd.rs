//! `nsync netsuite probe|subsidiaries|customers|projects|changes`: read a NetSuite account (or
//! the emulator) from the command line. Argument parsing and printing only; the client does the rest.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use futures::StreamExt;
use netsuite::{
    AccountId, Auth, Client, ClientConfig, ClientCredentials, Cursor, Scope, SubsidiaryId,
    TbaCredentials,
};

mod print;
use print::{drain, flag, opt, person, print_one, summary, Printer};

/// `nsync netsuite ...`
#[derive(Debug, Args)]
pub struct NetsuiteArgs {
    #[command(subcommand)]
    command: NetsuiteCommand,
}

#[derive(Debug, Subcommand)]
enum NetsuiteCommand {
    /// Check the credentials and permissions; say whether the account is OneWorld and has Projects.
    Probe(Common),
    /// List the subsidiaries (elimination subsidiaries left out).
    Subsidiaries(Common),
    /// List the customers of a subsidiary, or of the whole account.
    Customers(Scoped),
    /// List the projects of a subsidiary, or of the whole account.
    Projects(Scoped),
    /// List customers, projects and links changed, and records deleted, since a time.
    Changes(Changes),
}

#[derive(Debug, Args)]
struct Common {
    /// NetSuite account id, e.g. 1234567 or 1234567_SB1.
    #[arg(long, env = "NETSUITE_ACCOUNT")]
    account: String,
    /// Operator override of the NetSuite host, e.g. the emulator's http://127.0.0.1:PORT.
    #[arg(long)]
    base_url: Option<url::Url>,
    /// The account's time zone (Setup > Company > Company Information), e.g. America/New_York.
    #[arg(long, default_value = "UTC")]
    time_zone: chrono_tz::Tz,
    /// Requests in flight at once (NetSuite's limit is shared with other integrations).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct Scoped {
    #[command(flatten)]
    common: Common,
    /// Subsidiary internal id; the whole account when left out.
    #[arg(long)]
    subsidiary: Option<i64>,
}

#[derive(Debug, Args)]
struct Changes {
    #[command(flatten)]
    common: Common,
    /// RFC 3339 time, e.g. 2026-03-08T00:00:00Z.
    #[arg(long)]
    since: DateTime<Utc>,
}

/// Runs the command on its own runtime.
pub fn run(args: NetsuiteArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(dispatch(args.command))
}

async fn dispatch(command: NetsuiteCommand) -> anyhow::Result<()> {
    match command {
        NetsuiteCommand::Probe(c) => {
            let facts = client(&c)?.probe().await?;
            for warning in &facts.warnings {
                eprintln!("warning: {warning}");
            }
            print_one(&facts, c.json)
        }
        NetsuiteCommand::Subsidiaries(c) => {
            let subs = client(&c)?.subsidiaries().await?;
            let mut out = Printer::new(c.json, &["id", "name", "full name", "parent", "inactive"]);
            for s in &subs {
                out.row(
                    s,
                    &[
                        s.id.to_string(),
                        s.name.clone(),
                        opt(&s.full_name),
                        opt(&s.parent),
                        flag(s.is_inactive),
                    ],
                )?;
            }
            out.finish()
        }
        NetsuiteCommand::Customers(s) => {
            let stream = client(&s.common)?.customers(scope(s.subsidiary)).await?;
            let headers = [
                "id",
                "entity id",
                "name",
                "inactive",
                "parent",
                "subsidiary",
                "last modified",
            ];
            drain(stream, Printer::new(s.common.json, &headers), |c| {
                let name = c.company_name.clone().unwrap_or_else(|| person(c));
                vec![
                    c.id.to_string(),
                    c.entity_id.clone(),
                    name,
                    flag(c.is_inactive),
                    opt(&c.parent),
                    opt(&c.primary_subsidiary),
                    c.last_modified.to_rfc3339(),
                ]
            })
            .await
        }
        NetsuiteCommand::Projects(s) => {
            let stream = client(&s.common)?.projects(scope(s.subsidiary)).await?;
            let headers = [
                "id",
                "number",
                "name",
                "inactive",
                "parent",
                "customer",
                "subsidiary",
                "last modified",
            ];
            drain(stream, Printer::new(s.common.json, &headers), |p| {
                vec![
                    p.id.to_string(),
                    p.entity_id.clone(),
                    opt(&p.name),
                    flag(p.is_inactive),
                    opt(&p.parent),
                    opt(&p.customer),
                    opt(&p.subsidiary),
                    p.last_modified.to_rfc3339(),
                ]
            })
            .await
        }
        NetsuiteCommand::Changes(c) => changes(c).await,
    }
}

async fn changes(c: Changes) -> anyhow::Result<()> {
    let client = client(&c.common)?;
    let mut cursor = Cursor::at(c.since);
    let headers = ["kind", "id", "summary", "at"];
    let mut out = Printer::new(c.common.json, &headers);
    let mut stream = client.changes_since(&cursor).await?;
    let mut bad = 0usize;
    while let Some(item) = stream.next().await {
        match item? {
            Ok(change) => {
                cursor.observe_change(&change);
                let (kind, id, summary) = match &change {
                    netsuite::Change::Customer(x) => (
                        "customer",
                        x.id.to_string(),
                        x.company_name.clone().unwrap_or_else(|| person(x)),
                    ),
                    netsuite::Change::Project(x) => ("project", x.id.to_string(), opt(&x.name)),
                    netsuite::Change::Link(x) => (
                        "link",
                        x.customer.to_string(),
                        format!("subsidiary {}", x.subsidiary),
                    ),
                };
                let at = change
                    .last_modified()
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default();
                out.row(&change, &[kind.into(), id, summary, at])?;
            }
            Err(e) => {
                bad += 1;
                eprintln!("skipped: {e}");
            }
        }
    }
    let mut deletions = client.deletions_since(&cursor.clone()).await?;
    while let Some(item) = deletions.next().await {
        match item? {
            Ok(d) => {
                cursor.observe_deletion(&d);
                out.row(
                    &d,
                    &[
                        format!("deleted {:?}", d.kind).to_lowercase(),
                        d.id.to_string(),
                        String::new(),
                        d.at.to_rfc3339(),
                    ],
                )?;
            }
            Err(e) => {
                bad += 1;
                eprintln!("skipped: {e}");
            }
        }
    }
    out.finish()?;
    eprintln!("next cursor: {}", serde_json::to_string(&cursor)?);
    summary(bad, client.requests_made())
}

fn client(c: &Common) -> anyhow::Result<Client> {
    let account = AccountId::parse(&c.account)?;
    let mut config = ClientConfig::new(account, auth_from_env()?);
    config.base_url_override = c.base_url.clone();
    config.time_zone = c.time_zone;
    config.concurrency = c.concurrency;
    Ok(Client::new(config)?)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// OAuth 2.0 when `NETSUITE_CLIENT_ID` is set, TBA otherwise.
fn auth_from_env() -> anyhow::Result<Auth> {
    if let Some(client_id) = env("NETSUITE_CLIENT_ID") {
        let (Some(certificate_id), Some(key_file)) = (
            env("NETSUITE_CERTIFICATE_ID"),
            env("NETSUITE_PRIVATE_KEY_FILE"),
        ) else {
            bail!("OAuth 2.0 needs NETSUITE_CLIENT_ID, NETSUITE_CERTIFICATE_ID and NETSUITE_PRIVATE_KEY_FILE");
        };
        let pem = std::fs::read_to_string(&key_file)
            .with_context(|| format!("reading the private key {key_file}"))?;
        return Ok(Auth::OAuth2(ClientCredentials {
            client_id,
            certificate_id,
            private_key_pem: pem.into(),
        }));
    }
    let names = [
        "NETSUITE_CONSUMER_KEY",
        "NETSUITE_CONSUMER_SECRET",
        "NETSUITE_TOKEN_ID",
        "NETSUITE_TOKEN_SECRET",
    ];
    let values: Vec<Option<String>> = names.iter().map(|n| env(n)).collect();
    if values.iter().any(Option::is_none) {
        bail!(
            "no NetSuite credentials: set {} (token-based auth), or NETSUITE_CLIENT_ID, \
             NETSUITE_CERTIFICATE_ID and NETSUITE_PRIVATE_KEY_FILE (OAuth 2.0)",
            names.join(", ")
        );
    }
    let mut v = values.into_iter().flatten();
    let mut next = || v.next().unwrap_or_default().into();
    Ok(Auth::Tba(TbaCredentials {
        consumer_key: next(),
        consumer_secret: next(),
        token_id: next(),
        token_secret: next(),
    }))
}

fn scope(subsidiary: Option<i64>) -> Scope {
    subsidiary.map_or(Scope::Account, |s| Scope::Subsidiary(SubsidiaryId(s)))
}
