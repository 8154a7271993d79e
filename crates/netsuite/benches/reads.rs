//! Benchmark: single reads against issue 18's per-read target. Each read is what a new
//! `nsync netsuite ...` command or a first run does: a new client checks the credentials (the
//! account probe) and reads one record type to the end. The in-process emulator answers each
//! request after 100 ms, with an account limit of 5 and a client budget of 5.
//!
//! Target: `ceil((pages + 2) / 5)` round trips of 100 ms, plus 3% (the credentials check and
//! the sizing each worth one request slot, not a round trip of their own). Each figure is the
//! median of 3 reads in this one invocation. `bash bench/reads.sh`; with NSYNC_BENCH_REQUESTS=1
//! each read also prints its requests (pages + the check + the sizing when none spills).

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use netsuite::{RowStream, Scope, SubsidiaryId};
use netsuite_emulator::{
    AccountConfig, DatasetChoice, Emulator, EmulatorConfig, GeneratorSpec, LatencyConfig,
};

const LATENCY: Duration = Duration::from_millis(100);
const BUDGET: usize = 5;
const ROUNDS: usize = 3;
const PAGE: usize = 1000;

#[derive(Clone, Copy)]
enum Kind {
    Customers,
    Projects,
}

fn main() {
    support::run(bench());
}

async fn bench() {
    // Below 100,000 rows a read, where limit/offset clients are correct too; then `large`.
    let small = GeneratorSpec {
        customers: 50_000,
        leads_and_prospects: 0,
        projects: 90_000,
        subsidiaries: 1,
        seed: 1,
    };
    let accounts = [
        ("1234567", DatasetChoice::Generated(small)),
        ("7654321", DatasetChoice::Large { seed: 1 }),
    ];
    let mut config = EmulatorConfig::single(AccountConfig::with_dataset(
        accounts[0].0,
        1,
        accounts[0].1.clone(),
    ));
    config.accounts.push(AccountConfig::with_dataset(
        accounts[1].0,
        1,
        accounts[1].1.clone(),
    ));
    config.latency = LatencyConfig {
        fixed: LATENCY,
        ..LatencyConfig::default()
    };
    let emulator = Emulator::start(config).await.expect("emulator starts");
    for (account, _) in &accounts {
        emulator
            .control()
            .set_concurrency_limit(account, BUDGET)
            .unwrap();
    }
    println!(
        "{:<46} {:>8} {:>6} {:>9} {:>9} {:>7}",
        "read (credentials check included)", "rows", "pages", "measured", "target", ""
    );
    let reads = [
        (
            "50,000 customers, one subsidiary",
            0,
            Kind::Customers,
            Some(1),
        ),
        (
            "90,000 projects, one subsidiary",
            0,
            Kind::Projects,
            Some(1),
        ),
        ("large: customers of the account", 1, Kind::Customers, None),
        ("large: projects of the account", 1, Kind::Projects, None),
        (
            "large: customers of subsidiary 1",
            1,
            Kind::Customers,
            Some(1),
        ),
        (
            "large: projects of subsidiary 1",
            1,
            Kind::Projects,
            Some(1),
        ),
    ];
    let mut missed = 0;
    for (name, account, kind, subsidiary) in reads {
        let mut times = Vec::new();
        let mut rows = 0;
        for _ in 0..ROUNDS {
            let (took, n) = read(&emulator, accounts[account].0, kind, subsidiary).await;
            times.push(took);
            rows = n;
        }
        times.sort();
        let median = times[ROUNDS / 2];
        let pages = rows.div_ceil(PAGE).max(1);
        let trips = (pages + 2).div_ceil(BUDGET);
        let target = LATENCY.as_secs_f64() * trips as f64 * 1.03;
        let ok = median.as_secs_f64() <= target;
        missed += usize::from(!ok);
        println!(
            "{name:<46} {rows:>8} {pages:>6} {:>7.2} s {target:>7.2} s {:>7}",
            median.as_secs_f64(),
            if ok { "ok" } else { "MISSED" }
        );
    }
    println!("{missed} of {} reads over their target", reads.len());
    emulator.shutdown().await;
}

/// One read from a new client: every row of `kind`, the credentials check included.
async fn read(
    emulator: &Emulator,
    account: &str,
    kind: Kind,
    subsidiary: Option<i64>,
) -> (Duration, usize) {
    let client = support::client(emulator, account, BUDGET);
    let start = Instant::now();
    // The read checks the credentials itself: beside its first page for a subsidiary, by the
    // account probe before it for the whole account (whose shape decides the columns).
    let scope = match subsidiary {
        Some(id) => Scope::Subsidiary(SubsidiaryId(id)),
        None => Scope::Account,
    };
    let rows = match kind {
        Kind::Customers => drain(client.customers(scope).await.expect("read")).await,
        Kind::Projects => drain(client.projects(scope).await.expect("read")).await,
    };
    let took = start.elapsed();
    if std::env::var_os("NSYNC_BENCH_REQUESTS").is_some() {
        eprintln!(
            "  {rows} rows, {} requests, {took:?}",
            client.requests_made()
        );
    }
    (took, rows)
}

async fn drain<T>(mut stream: RowStream<T>) -> usize {
    let mut rows = 0;
    while let Some(row) = stream.next().await {
        row.expect("the read succeeds").expect("a good row");
        rows += 1;
    }
    rows
}
