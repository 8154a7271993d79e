//! The nsync binary: parses arguments and wires the libraries together. No logic lives here.

use clap::{Parser, Subcommand};

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
enum Command {}

// Remove this once the first subcommand lands.
#[expect(unreachable_code, reason = "no subcommands yet")]
fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {}
}
