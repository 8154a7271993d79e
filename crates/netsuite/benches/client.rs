//! Benchmark: the whole large account (50,000 customers, 250,000 projects) read from the
//! in-process emulator with 100 ms latency per request and an account limit of 5, client budget
//! 5; then again with 20% of requests failing (429 and 500). Prints each figure beside its target.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures::StreamExt;
use netsuite::{RowStream, Scope};
use netsuite_emulator::{
    AccountConfig, DatasetChoice, Emulator, EmulatorConfig, FaultKind, FaultRule, LatencyConfig,
};

const ACCOUNT: &str = "1234567";
const LATENCY: Duration = Duration::from_millis(100);
const BUDGET: usize = 5;

struct Run {
    ids: HashSet<(u8, i64)>,
    bad_rows: usize,
    requests: u64,
    probe_requests: u64,
    wall: Duration,
}

fn main() {
    support::run(bench());
}

async fn bench() {
    let started = Instant::now();
    let account = AccountConfig::with_dataset(ACCOUNT, 1, DatasetChoice::Large { seed: 1 });
    let mut config = EmulatorConfig::single(account);
    config.latency = LatencyConfig {
        fixed: LATENCY,
        ..LatencyConfig::default()
    };
    let emulator = Emulator::start(config).await.expect("emulator starts");
    emulator
        .control()
        .set_concurrency_limit(ACCOUNT, BUDGET)
        .unwrap();
    println!(
        "emulator loaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let hwm_before = vm_hwm_mb();

    let clean = read_all(&emulator).await;
    let hwm_after = vm_hwm_mb();
    emulator.control().add_fault(
        FaultRule::probability(FaultKind::TooManyRequests, 0.10).on_path("/services/rest/query"),
    );
    emulator.control().add_fault(
        FaultRule::probability(FaultKind::ServerError, 0.111).on_path("/services/rest/query"),
    );
    let faulty = read_all(&emulator).await;
    let faulted = emulator
        .control()
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();

    report(&clean, &faulty, faulted, hwm_before, hwm_after);
    emulator.shutdown().await;
}

/// Reads every customer and project of the account, both reads sharing the account budget.
async fn read_all(emulator: &Emulator) -> Run {
    let client = support::client(emulator, ACCOUNT, BUDGET);
    let start = Instant::now();
    client.probe().await.expect("probe");
    let probe_requests = client.requests_made();
    let (customers, projects) = tokio::join!(
        client.customers(Scope::Account),
        client.projects(Scope::Account)
    );
    let (a, b) = tokio::join!(drain(customers.unwrap(), 0), drain(projects.unwrap(), 1));
    let wall = start.elapsed();
    let mut ids = a.0;
    ids.extend(b.0);
    Run {
        ids,
        bad_rows: a.1 + b.1,
        requests: client.requests_made(),
        probe_requests,
        wall,
    }
}

async fn drain<T: HasId>(mut stream: RowStream<T>, kind: u8) -> (HashSet<(u8, i64)>, usize) {
    let (mut ids, mut bad) = (HashSet::new(), 0);
    while let Some(row) = stream.next().await {
        match row.expect("the read succeeds") {
            Ok(r) => assert!(ids.insert((kind, r.id())), "a row read twice"),
            Err(_) => bad += 1,
        }
    }
    (ids, bad)
}

trait HasId {
    fn id(&self) -> i64;
}
impl HasId for netsuite::Customer {
    fn id(&self) -> i64 {
        self.id.0
    }
}
impl HasId for netsuite::Project {
    fn id(&self) -> i64 {
        self.id.0
    }
}

fn vm_hwm_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn report(clean: &Run, faulty: &Run, faulted: usize, hwm_before: f64, hwm_after: f64) {
    let customers = clean.ids.iter().filter(|(k, _)| *k == 0).count();
    let projects = clean.ids.len() - customers;
    let pages = customers.div_ceil(1000) + projects.div_ceil(1000);
    let bound = LATENCY.as_secs_f64() * pages as f64 / BUDGET as f64;
    let allowed = (pages as f64 + clean.probe_requests as f64) * 1.02;
    let ratio = clean.wall.as_secs_f64() / bound;
    let fault_ratio = faulty.wall.as_secs_f64() / clean.wall.as_secs_f64();
    let ok = |b: bool| if b { "ok" } else { "MISSED" };
    println!(
        "\nrows: {customers} customers + {projects} projects; bad rows: {}",
        clean.bad_rows
    );
    println!(
        "{:<44} {:>12} {:>16} {:>7}",
        "figure", "measured", "target", ""
    );
    let line = |name: &str, value: String, target: String, pass: bool| {
        println!("{name:<44} {value:>12} {target:>16} {:>7}", ok(pass));
    };
    line("pages (1000 rows)", pages.to_string(), "-".into(), true);
    line(
        "requests (probe included)",
        clean.requests.to_string(),
        format!("<= {allowed:.0}"),
        clean.requests as f64 <= allowed,
    );
    line(
        "  of which probe",
        clean.probe_requests.to_string(),
        "-".into(),
        true,
    );
    line(
        "lower bound (pages / 5 x 100 ms)",
        format!("{bound:.2} s"),
        "-".into(),
        true,
    );
    line(
        "wall time",
        format!("{:.2} s", clean.wall.as_secs_f64()),
        format!("<= {:.2} s", bound * 1.25),
        ratio <= 1.25,
    );
    line(
        "wall time / lower bound",
        format!("{ratio:.3}"),
        "<= 1.25".into(),
        ratio <= 1.25,
    );
    line(
        "peak memory, whole process (VmHWM)",
        format!("{hwm_after:.0} MB"),
        "<= 300 MB".into(),
        hwm_after <= 300.0,
    );
    line(
        "  of which emulator and its data",
        format!("{hwm_before:.0} MB"),
        "-".into(),
        true,
    );
    line(
        "  growth during the read",
        format!("{:.0} MB", hwm_after - hwm_before),
        "-".into(),
        true,
    );
    line(
        "20% faults: requests answered with a fault",
        faulted.to_string(),
        "-".into(),
        true,
    );
    line(
        "20% faults: requests",
        faulty.requests.to_string(),
        "-".into(),
        true,
    );
    line(
        "20% faults: same rows",
        (faulty.ids == clean.ids).to_string(),
        "true".into(),
        faulty.ids == clean.ids,
    );
    line(
        "20% faults: wall time",
        format!("{:.2} s", faulty.wall.as_secs_f64()),
        "-".into(),
        true,
    );
    line(
        "20% faults: time / fault-free time",
        format!("{fault_ratio:.3}"),
        "<= 2".into(),
        fault_ratio <= 2.0,
    );
}
