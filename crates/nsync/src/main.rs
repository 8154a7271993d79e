//! The nsync binary: parses arguments and wires the libraries together. No logic lives here.

use clap::{Parser, Subcommand};

/// mimalloc for Rust and, through its `override` feature, for the bundled SQLite too: under
/// glibc's allocator, the first allocation after a large read (millions of small values freed
/// by another thread) consolidated the freed chunks and stalled that connection's next query
/// for about 175 ms (`bench/store.sh`, children page after an import).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod demo;
mod netsuite_cmd;
mod serve_cmd;
mod store_cmd;
mod sync_cmd;

#[derive(Parser)]
#[command(
    name = "nsync",
    version,
    about = "NetSuite customers and projects as one hierarchical Items Custom Field"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages and the JSON API, with the automatic update's scheduler and a worker.
    Serve(serve_cmd::ServeArgs),
    /// Run the scheduler and a worker alone (another process serves HTTP).
    Worker(serve_cmd::WorkerArgs),
    /// Start the demo: the NetSuite emulator with a demo account, a demo company, the server.
    Demo(demo::Args),
    /// Read a NetSuite account (or the emulator): probe, subsidiaries, customers, projects, changes.
    Netsuite(netsuite_cmd::NetsuiteArgs),
    /// Apply pending database migrations.
    Migrate(store_cmd::MigrateArgs),
    /// Re-encrypt every stored credential under a new master key.
    RotateKey(store_cmd::RotateKeyArgs),
    /// Import customers and projects of the integrated subsidiary as options.
    Import(sync_cmd::ImportArgs),
    /// Bring the imported options in line with NetSuite (or preview, or confirm a held update).
    Update(sync_cmd::UpdateArgs),
    /// List an integration's recent runs with their counts.
    Runs(sync_cmd::RunsArgs),
}

/// Prints an error as one readable message (its causes joined), without a backtrace: a user
/// acts on the message; a backtrace is noise to them. Output cut short by a closed pipe
/// (`nsync netsuite customers | head`) is not an error.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => store_cmd::block_on(serve_cmd::serve(args)),
        Command::Worker(args) => store_cmd::block_on(serve_cmd::worker(args)),
        Command::Demo(args) => store_cmd::block_on(demo::run(args)),
        Command::Netsuite(args) => netsuite_cmd::run(args),
        Command::Migrate(args) => store_cmd::block_on(store_cmd::migrate(args)),
        Command::RotateKey(args) => store_cmd::block_on(store_cmd::rotate_key(args)),
        Command::Import(args) => store_cmd::block_on(sync_cmd::import(args)),
        Command::Update(args) => store_cmd::block_on(sync_cmd::update(args)),
        Command::Runs(args) => store_cmd::block_on(sync_cmd::runs(args)),
    }
}
