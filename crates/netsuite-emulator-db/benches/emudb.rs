//! Benchmark of the emulated database on the large dataset (50,000 customers, 250,000 projects):
//! generate + load time, the median latency of a 1000-row keyset page of customers filtered by
//! subsidiary through `customersubsidiaryrelationship`, and pages/s with 4 concurrent readers.
//! Run with `bench/emudb.sh` (release build). Prints each figure beside its target.

use netsuite_emulator_db::{AccountData, Dataset, SchemaOptions};
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FETCH_FIRST: &str = "SELECT c.id, c.entityid, c.companyname, c.altname, c.isperson, c.firstname, c.lastname,
  c.isinactive, c.parent, c.subsidiary, TO_CHAR(c.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lastmodified
FROM customer c
WHERE c.id > ? AND EXISTS (SELECT 1 FROM customersubsidiaryrelationship r WHERE r.entity = c.id AND r.subsidiary = ?)
ORDER BY c.id FETCH FIRST 1000 ROWS ONLY";

/// The same page without FETCH FIRST: the URL's limit=1000 cuts it, and totalResults counts the rest.
fn unbounded() -> String {
    FETCH_FIRST.replace(" FETCH FIRST 1000 ROWS ONLY", "")
}

/// Pages once through subsidiary `sub`; returns each page's latency.
fn walk(db: &AccountData, q: &str, sub: &str) -> Vec<Duration> {
    let mut last = "0".to_owned();
    let mut times = Vec::new();
    loop {
        let t = Instant::now();
        let page = db
            .suiteql(q, &[json!(last), json!(sub)], 0, 1000)
            .expect("page");
        times.push(t.elapsed());
        match page
            .items
            .last()
            .and_then(|r| r.get("id"))
            .and_then(|v| v.as_str())
        {
            Some(id) => last = id.to_owned(),
            None => return times,
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn concurrent(db: &Arc<AccountData>, threads: usize, run_for: Duration) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|k| {
            let db = Arc::clone(db);
            std::thread::spawn(move || {
                let sub = ["1", "2", "3"][k % 3];
                let mut pages = 0;
                while start.elapsed() < run_for {
                    pages += walk(&db, FETCH_FIRST, sub).len();
                }
                pages
            })
        })
        .collect();
    let pages: usize = handles.into_iter().map(|h| h.join().expect("reader")).sum();
    pages as f64 / start.elapsed().as_secs_f64()
}

fn row(name: &str, measured: String, target: &str, ok: bool) {
    println!(
        "| {name:<58} | {measured:>12} | {target:>10} | {} |",
        // A figure without a target is shown for information only.
        match (target.is_empty(), ok) {
            (true, _) => "    ",
            (false, true) => "ok  ",
            (false, false) => "MISS",
        }
    );
}

fn main() {
    let t = Instant::now();
    let data = Dataset::large(1);
    let generated = t.elapsed();
    let db = AccountData::new(SchemaOptions::default()).expect("open");
    db.load(&data).expect("load");
    let total = t.elapsed();
    drop(data);

    let mut samples = Vec::new();
    for sub in ["1", "2", "3", "2", "1"] {
        samples.extend(walk(&db, FETCH_FIRST, sub));
    }
    let pages = samples.len();
    let keyset = median(samples);
    let unbounded_q = unbounded();
    let limit_only = median(walk(&db, &unbounded_q, "2"));
    let db = Arc::new(db);
    let rate = concurrent(&db, 4, Duration::from_secs(5));

    println!(
        "| {:<58} | {:>12} | {:>10} | ok?  |",
        "figure (large: 50,000 customers, 250,000 projects)", "measured", "target"
    );
    println!(
        "|{}|{}|{}|------|",
        "-".repeat(60),
        "-".repeat(14),
        "-".repeat(12)
    );
    row(
        "  generate the dataset",
        format!("{:.2} s", generated.as_secs_f64()),
        "",
        true,
    );
    row(
        "generate + load",
        format!("{:.2} s", total.as_secs_f64()),
        "<= 10 s",
        total <= Duration::from_secs(10),
    );
    let name = format!("keyset page, FETCH FIRST 1000, by subsidiary (median of {pages})");
    row(
        &name,
        format!("{:.2} ms", keyset.as_secs_f64() * 1e3),
        "<= 20 ms",
        keyset <= Duration::from_millis(20),
    );
    row(
        "  same page cut by limit=1000 (totalResults counts the rest)",
        format!("{:.2} ms", limit_only.as_secs_f64() * 1e3),
        "",
        true,
    );
    row(
        "4 concurrent readers",
        format!("{rate:.0} pages/s"),
        ">= 100/s",
        rate >= 100.0,
    );
}
