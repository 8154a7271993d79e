//! `nsync import`, `nsync update`, `nsync runs`: argument parsing, wiring to the sync engine and
//! printing a summary. The engine does the work.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use nsync_core::planner::Selection;
use nsync_core::{
    IntegrationId, RecordId, RunId, RunStatus, RunTrigger, UpstreamKey, UpstreamKind,
};
use nsync_server::{ClientSettings, Engine, RefreshMode, RunOptions, RunReport};
use nsync_store::{Audit, MasterKey, Store};

use crate::store_cmd::DEFAULT_DATABASE_URL;

/// What every sync command needs: the database, the master key, how to reach NetSuite.
#[derive(clap::Args)]
pub struct Common {
    /// The integration.
    #[arg(long)]
    integration: i64,
    /// Database: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, env = "NSYNC_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Operator override of the NetSuite host, e.g. the emulator's http://127.0.0.1:PORT.
    #[arg(long)]
    base_url: Option<url::Url>,
    /// The NetSuite account's time zone (Setup > Company > Company Information).
    #[arg(long, default_value = "UTC")]
    time_zone: chrono_tz::Tz,
    /// Requests in flight at once (NetSuite's limit is shared with other integrations).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
}

/// Arguments of `nsync import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    common: Common,
    /// Import every customer and project of the integrated subsidiary.
    #[arg(long, conflicts_with = "select", required_unless_present = "select")]
    all: bool,
    /// NetSuite internal ids to import, comma-separated (their ancestors come along).
    #[arg(long, value_delimiter = ',')]
    select: Vec<i64>,
    /// Show what would change; write nothing.
    #[arg(long)]
    preview: bool,
}

/// Arguments of `nsync update`.
#[derive(clap::Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    common: Common,
    /// Show what would change; write nothing.
    #[arg(long, conflicts_with = "confirm")]
    preview: bool,
    /// Read everything from NetSuite rather than the changes since the last read.
    #[arg(long, conflicts_with = "confirm")]
    full: bool,
    /// Apply the plan a run holds for confirmation (past the mass-deactivation guard).
    #[arg(long)]
    confirm: Option<i64>,
}

/// Arguments of `nsync runs`.
#[derive(clap::Args)]
pub struct RunsArgs {
    #[command(flatten)]
    common: Common,
    /// How many runs, newest first.
    #[arg(long, default_value_t = 20)]
    limit: u32,
}

async fn engine(common: &Common) -> anyhow::Result<(Engine, IntegrationId)> {
    let integration = IntegrationId::new(common.integration)?;
    let store = Store::connect(&common.database_url)
        .await
        .context("cannot open the database")?;
    let key = MasterKey::from_env().context("the master key opens the stored credentials")?;
    let settings = ClientSettings {
        base_url_override: common.base_url.clone(),
        time_zone: common.time_zone,
        concurrency: common.concurrency,
        // Workers over the same PostgreSQL may be reading the same account.
        shared_budget: nsync_server::budget::for_store(&store, nsync_server::budget::DEFAULT_HOLD),
        ..ClientSettings::default()
    };
    Ok((Engine::new(store, key, Arc::new(settings)), integration))
}

/// Imports the selected records.
pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let (engine, integration) = engine(&args.common).await?;
    let mut options = RunOptions::new(RunTrigger::Cli);
    options.preview = args.preview;
    let selection = if args.all {
        Selection::All
    } else {
        // Ids are NetSuite's: tell customers from projects by the freshly refreshed mirror.
        let spinner = spinner("reading NetSuite");
        engine
            .refresh(integration, RunOptions::new(RunTrigger::Cli))
            .await?;
        spinner.finish_and_clear();
        let mut keys = Vec::new();
        for id in &args.select {
            keys.push(resolve(engine.store(), integration, RecordId::new(*id)?).await?);
        }
        Selection::Records(keys)
    };
    let spinner = spinner("importing");
    let watch = follow(engine.store().clone(), integration, spinner.clone());
    let report = engine.import(integration, selection, options).await;
    watch.abort();
    spinner.finish_and_clear();
    summary(integration, &report?);
    Ok(())
}

async fn resolve(
    store: &Store,
    integration: IntegrationId,
    id: RecordId,
) -> anyhow::Result<UpstreamKey> {
    for kind in [UpstreamKind::Customer, UpstreamKind::Project] {
        let key = UpstreamKey { kind, id };
        if store.mirror_record(integration, key).await?.is_some() {
            return Ok(key);
        }
    }
    bail!("NetSuite record {id} is not a customer or project of the integrated subsidiary")
}

/// Updates, previews, or confirms a held update.
pub async fn update(args: UpdateArgs) -> anyhow::Result<()> {
    let (engine, integration) = engine(&args.common).await?;
    let spinner = spinner("updating from NetSuite");
    let watch = follow(engine.store().clone(), integration, spinner.clone());
    let report = match args.confirm {
        Some(run) => {
            // The command line acts as the system: its audit entry names no user.
            let company = engine.store().integration(integration).await?.company;
            let audit = Audit::new(company, None, "confirm_update", engine.now_ms());
            engine.confirm(integration, RunId::new(run)?, audit).await
        }
        None => {
            let mut options = RunOptions::new(RunTrigger::Cli);
            options.preview = args.preview;
            if args.full {
                options.refresh = RefreshMode::Full;
            }
            engine.update(integration, options).await
        }
    };
    watch.abort();
    spinner.finish_and_clear();
    summary(integration, &report?);
    Ok(())
}

/// Shows on `bar` where the integration's running run is, as its page does (the phase, NetSuite
/// pages read of pages planned), from what the run writes to the store. Nothing on a pipe.
fn follow(
    store: Store,
    integration: IntegrationId,
    bar: ProgressBar,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if bar.is_hidden() {
            return;
        }
        let mut shown = false;
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let Ok(Some(id)) = store.running_run(integration).await else {
                continue;
            };
            let Ok(run) = store.run(id).await else {
                continue;
            };
            let Some(p) = run.progress else { continue };
            if p.pages_planned > 0 && !shown {
                if let Ok(style) = ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {pos}/{len} pages {elapsed}",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                shown = true;
            }
            bar.set_length(p.pages_planned.max(1));
            bar.set_position(p.pages_read.min(p.pages_planned));
            bar.set_message(p.phase.words());
        }
    })
}

/// Lists recent runs.
pub async fn runs(args: RunsArgs) -> anyhow::Result<()> {
    let (engine, integration) = engine(&args.common).await?;
    let runs = engine.store().runs(integration, None, args.limit).await?;
    println!("run\tkind\tstarted by\tstatus\tseconds\tadded\trenamed\tmoved\tdeactivated\treactivated\trestored\tdeleted\trejected\tunchanged\trequests\terror");
    for run in runs {
        let seconds = run.finished_at_ms.map_or("-".to_owned(), |f| {
            format!("{:.1}", (f - run.started_at_ms) as f64 / 1000.0)
        });
        let c = run.counts;
        println!(
            "{}\t{}\t{}\t{}\t{seconds}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            run.id,
            run.kind,
            run.trigger,
            run.status,
            c.added,
            c.renamed,
            c.moved,
            c.deactivated,
            c.reactivated,
            c.restored,
            c.deleted,
            c.rejected,
            c.unchanged,
            run.netsuite_requests,
            run.error.unwrap_or_default()
        );
    }
    Ok(())
}

/// A spinner on a terminal; nothing when the output is piped.
fn spinner(message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn summary(integration: IntegrationId, report: &RunReport) {
    let c = report.counts;
    let run = report
        .run
        .map_or("preview".to_owned(), |r| format!("run {r}"));
    println!(
        "{run}: {} in {:.1} s, {} NetSuite requests",
        report.status,
        report.duration.as_secs_f64(),
        report.netsuite_requests
    );
    println!(
        "  added {}, renamed {}, moved {}, deactivated {}, reactivated {}, restored {}, deleted in NetSuite {}, rejected {}, unchanged {}",
        c.added, c.renamed, c.moved, c.deactivated, c.reactivated, c.restored, c.deleted, c.rejected, c.unchanged
    );
    if report.run.is_none() || report.status == RunStatus::NeedsConfirmation {
        for change in &report.changes {
            let arrow = match (&change.old_value, &change.new_value) {
                (Some(old), Some(new)) => format!(": {old} -> {new}"),
                (None, Some(new)) => format!(": {new}"),
                _ => String::new(),
            };
            let reason = change
                .reason
                .as_deref()
                .map_or(String::new(), |r| format!(" ({r})"));
            println!("  {} {}{arrow}{reason}", change.kind, change.upstream);
        }
    }
    if let (Some(run), RunStatus::NeedsConfirmation) = (report.run, report.status) {
        println!(
            "  it would deactivate {} options, more than the guard allows; to apply exactly this: \
             nsync update --integration {integration} --confirm {run}",
            report.deactivations
        );
    }
}
