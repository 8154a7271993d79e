//! The API benchmark: a generated account (50,000 customers and 250,000 projects by default, all
//! in one subsidiary so about 300,000 options get imported), then the HTTP server on loopback
//! and an open-loop load generator: `searchOptions` at 200 requests/s (target p99 at most
//! 25 ms), and the first page of `listImportCandidates` (target at most 100 ms); then every
//! admin page, signed in as a browser is (target: p99 at most 150 ms each).
//!
//! Smaller runs: NSYNC_BENCH_CUSTOMERS=2000 NSYNC_BENCH_PROJECTS=10000 bench/api.sh.
//! The load generator runs on its own runtime thread so the server's workers are its own.

// `setup` awaits a whole import in one future; computing its layout takes more than the
// default 128 levels of compiler queries.
#![recursion_limit = "256"]

// The allocator of the nsync binary (see its main.rs), so these figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use netsuite_emulator::{AccountConfig, Emulator, EmulatorConfig, GeneratorSpec};
use nsync_core::planner::Selection;
use nsync_core::{AccountId, Email, IntegrationSettings, Role, RunTrigger, TimeZone};
use nsync_server::http::{AppState, HttpConfig, SessionKey};
use nsync_server::{ClientSettings, Engine, RunOptions};
use nsync_store::{MasterKey, NewIntegration, Store};
use secrecy::ExposeSecret;

const ACCOUNT: &str = "1234567";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (url, token, integration, field, run) = server.block_on(setup())?;
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    load.block_on(measure(url.clone(), token.clone(), integration, field))?;
    load.block_on(pages(url, token, field, run))
}

type Setup = (String, String, i64, i64, i64);

async fn setup() -> Result<Setup, Box<dyn std::error::Error>> {
    let customers = env("NSYNC_BENCH_CUSTOMERS", 50_000) as usize;
    let projects = env("NSYNC_BENCH_PROJECTS", 250_000) as usize;
    let mut account = AccountConfig::generated(
        ACCOUNT,
        GeneratorSpec {
            customers,
            leads_and_prospects: 0,
            projects,
            subsidiaries: 1,
            seed: 42,
        },
    );
    account.time_zone = chrono_tz::UTC;
    let emulator = Emulator::start(EmulatorConfig::single(account)).await?;
    let path = std::env::temp_dir().join(format!("nsync-bench-api-{}.db", std::process::id()));
    let url = std::env::var("NSYNC_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", path.display()));
    let store = Store::connect(&url).await?;
    let (key, _) = MasterKey::generate();
    let company = store
        .create_company(
            "Bench",
            &TimeZone::parse("UTC")?,
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
    let admin = store
        .create_user(
            company,
            &Email::parse("bench@example.test")?,
            &"bench-password".to_owned().into(),
            Role::Admin,
            chrono::Utc::now().timestamp_millis(),
        )
        .await?;
    let token = store
        .create_api_token(
            company,
            Some(admin),
            "bench",
            &nsync_store::Audit::new(company, None, "create_api_token", 0),
        )
        .await?;
    let integration = store
        .create_integration(
            &key,
            &NewIntegration {
                company,
                account: AccountId::parse(ACCOUNT)?,
                subsidiary: None,
                credentials: nsync_server::testing::credentials(&emulator, ACCOUNT),
                settings: IntegrationSettings::default(),
                field_name: "Customer / Project".into(),
            },
            &nsync_store::Audit::new(company, None, "create_integration", 0),
        )
        .await?;
    let field = store.integration(integration).await?.field;
    let settings = ClientSettings {
        base_url_override: Some(emulator.base_url().parse()?),
        concurrency: 5,
        ..ClientSettings::default()
    };
    let engine = Arc::new(Engine::new(store.clone(), key, Arc::new(settings)));
    let started = Instant::now();
    let import = engine
        .import(
            integration,
            Selection::All,
            RunOptions::new(RunTrigger::Cli),
        )
        .await?;
    println!(
        "api benchmark: {} options imported in {:.1} s ({customers} customers, {projects} projects generated)",
        import.counts.added,
        started.elapsed().as_secs_f64()
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = AppState::new(
        engine,
        HttpConfig {
            session_key: SessionKey::random(),
            secure_cookies: false,
        },
    );
    tokio::spawn(nsync_server::http::serve(
        listener,
        state,
        std::future::pending(),
    ));
    // The emulator must outlive setup: the candidates list is served from the mirror, but keep
    // NetSuite reachable for the whole run as in production.
    std::mem::forget(emulator);
    Ok((
        url,
        token.secret.expose_secret().to_owned(),
        integration.get(),
        field.get(),
        import.run.map_or(0, |r| r.get()),
    ))
}

/// A page of the feed as a consumer reads it: every entry parsed, none kept.
#[derive(serde::Deserialize)]
struct FeedPage {
    changes: Vec<serde::de::IgnoredAny>,
    next_cursor: String,
    has_more: bool,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn measure(
    url: String,
    token: String,
    integration: i64,
    field: i64,
) -> Result<(), Box<dyn std::error::Error>> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let rate = env("NSYNC_BENCH_RPS", 200);
    let seconds = env("NSYNC_BENCH_SECONDS", 10);
    // Typeahead text: common fragments, a non-Latin one, and "zz", which matches nothing (the
    // worst case of a short query: nothing stops the scan early). Override with
    // NSYNC_BENCH_QUERIES=a,b,c.
    let custom = std::env::var("NSYNC_BENCH_QUERIES").unwrap_or_default();
    let queries: Vec<&str> = match custom.is_empty() {
        true => vec![
            "ac", "pro", "glo", "ini", "café", "tech", "a", "on 1", "2", "zz", "ltd", "ma",
        ],
        false => custom.split(',').collect(),
    };
    // Warm-up (connections and caches), timing each query alone so a slow one stands out.
    let mut alone = Vec::new();
    for q in &queries {
        let q = url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
        let started = Instant::now();
        http.get(format!(
            "{url}/api/v1/fields/{field}/options/search?q={q}&limit=20"
        ))
        .bearer_auth(&token)
        .send()
        .await?
        .bytes()
        .await?;
        alone.push(format!(
            "{q} {:.1} ms",
            started.elapsed().as_secs_f64() * 1e3
        ));
    }
    println!("searchOptions one at a time: {}", alone.join(", "));
    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        // Open loop: each request is due at its own time, and latency counts from then, so a
        // slow server cannot hide its queueing (no coordinated omission).
        let due = start + interval * u32::try_from(i)?;
        tokio::time::sleep_until(due).await;
        let (http, token) = (http.clone(), token.clone());
        let q =
            url::form_urlencoded::byte_serialize(queries[i as usize % queries.len()].as_bytes())
                .collect::<String>();
        let target = format!("{url}/api/v1/fields/{field}/options/search?q={q}&limit=20");
        tasks.push(tokio::spawn(async move {
            let ok = http
                .get(target)
                .bearer_auth(token)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            (due.elapsed(), ok)
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut failed = 0;
    for task in tasks {
        let (latency, ok) = task.await?;
        failed += u32::from(!ok);
        latencies.push(latency);
    }
    latencies.sort();
    let p99 = percentile(&latencies, 0.99);
    println!(
        "searchOptions at {rate}/s for {seconds} s: p50 {:.1} ms, p99 {:.1} ms (target: at most 25 ms), max {:.1} ms, {failed} failed",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    let mut pages = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let reply = http
            .get(format!(
                "{url}/api/v1/integrations/{integration}/candidates?parent=top&limit=100"
            ))
            .bearer_auth(&token)
            .send()
            .await?;
        let body = reply.bytes().await?;
        pages.push(started.elapsed());
        assert!(body.len() < 1_000_000, "a page never sends the whole tree");
    }
    pages.sort();
    println!(
        "listImportCandidates first page (100 customers): p50 {:.1} ms, max {:.1} ms (target: at most 100 ms)",
        percentile(&pages, 0.5).as_secs_f64() * 1e3,
        pages.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    // The procurement app catching up after the import: the whole change feed, 1,000 a page,
    // three times; the median against the target.
    let mut reads = Vec::new();
    let mut entries = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let (mut cursor, mut read) = (String::new(), 0usize);
        let mut first = true;
        loop {
            let page: FeedPage = http
                .get(if first {
                    format!("{url}/api/v1/fields/{field}/changes?limit=1000")
                } else {
                    format!("{url}/api/v1/fields/{field}/changes?limit=1000&after={cursor}")
                })
                .bearer_auth(&token)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            first = false;
            read += page.changes.len();
            cursor = page.next_cursor;
            if !page.has_more {
                break;
            }
        }
        reads.push(started.elapsed());
        entries = read;
    }
    reads.sort();
    println!(
        "listFieldChanges, the whole feed ({entries} entries, 1,000 a page): median of 3 {:.2} s (target: at most 3 s)",
        percentile(&reads, 0.5).as_secs_f64(),
    );
    Ok(())
}

/// Signs in as a browser does: the form's cookie and token, then the session cookie.
async fn sign_in(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = http.get(format!("{url}/signin")).send().await?;
    let cookie = form.headers()["set-cookie"]
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    let text = form.text().await?;
    let csrf = text
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .ok_or("no sign-in token")?
        .to_owned();
    let signed = http
        .post(format!("{url}/signin"))
        .header("cookie", cookie)
        .form(&[
            ("email", "bench@example.test"),
            ("password", "bench-password"),
            ("csrf", &csrf),
        ])
        .send()
        .await?;
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("nsync_session"))
        .ok_or("no session cookie")?;
    Ok(session.split(';').next().unwrap_or_default().to_owned())
}

/// Every admin page at this size, one request at a time: p50 and p99 of 30 loads each.
async fn pages(
    url: String,
    token: String,
    field: i64,
    run: i64,
) -> Result<(), Box<dyn std::error::Error>> {
    const LOADS: usize = 30;
    const TARGET_MS: f64 = 150.0;
    let http = reqwest::Client::new();
    let cookie = sign_in(&url).await?;
    // A customer with projects, to open in the tree.
    let top: serde_json::Value = http
        .get(format!("{url}/api/v1/fields/{field}/options?limit=50"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let parent = top["options"][0]["id"].as_i64().unwrap_or(0);
    let paths = [
        "/integration".to_owned(),
        "/integration/candidates?parent=top&view=form".to_owned(),
        "/field".to_owned(),
        format!("/field/children?field={field}&parent={parent}"),
        format!("/field/search?field={field}&q=pro"),
        format!("/field?field={field}&state=inactive"),
        format!("/field?field={field}&state=removed_here"),
        "/runs".to_owned(),
        format!("/runs/{run}"),
        format!("/runs/{run}?kind=added&from=150000"),
        "/audit".to_owned(),
        "/webhooks".to_owned(),
    ];
    let mut missed = 0;
    println!(
        "pages (signed in, one at a time, {LOADS} loads each; target: p99 at most {TARGET_MS} ms):"
    );
    for path in &paths {
        let mut took = Vec::with_capacity(LOADS);
        for _ in 0..LOADS {
            let started = Instant::now();
            let reply = http
                .get(format!("{url}{path}"))
                .header("cookie", &cookie)
                .send()
                .await?;
            let status = reply.status();
            reply.bytes().await?;
            took.push(started.elapsed());
            if !status.is_success() {
                return Err(format!("{path} answered {status}").into());
            }
        }
        took.sort();
        let p99 = percentile(&took, 0.99).as_secs_f64() * 1e3;
        let ok = p99 <= TARGET_MS;
        missed += usize::from(!ok);
        println!(
            "  {path:<48} p50 {:>6.1} ms  p99 {p99:>6.1} ms  {}",
            percentile(&took, 0.5).as_secs_f64() * 1e3,
            if ok { "ok" } else { "MISSED" }
        );
    }
    println!("{missed} of {} pages over the target", paths.len());
    Ok(())
}
