//! Emulator benchmark over the large dataset (50,000 customers, 250,000 projects, 3
//! subsidiaries), no injected latency: load time, keyset page latency, concurrent throughput.
//! Run with `bench/emulator.sh`; prints each figure beside its target.

use std::time::{Duration, Instant};

use netsuite_emulator::auth::tba::{base_string, encode, sign, OAuthHeader, SignedRequest};
use netsuite_emulator::{AccountConfig, Credentials, DatasetChoice, Emulator, EmulatorConfig};
use serde_json::{json, Value};

const ACCOUNT: &str = "1234567";
const PAGES_PER_READER: usize = 60;

fn keyset_query(last: i64) -> String {
    format!(
        "SELECT c.id, c.entityid, c.companyname, c.isinactive, c.parent, \
         TO_CHAR(c.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lastmodified FROM customer c \
         WHERE c.id > {last} AND EXISTS (SELECT 1 FROM customersubsidiaryrelationship r \
         WHERE r.entity = c.id AND r.subsidiary = 2) ORDER BY c.id FETCH FIRST 1000 ROWS ONLY"
    )
}

fn authorization(creds: &Credentials, url: &str, nonce: &str) -> String {
    let parsed = url::Url::parse(url).expect("url");
    let host = format!(
        "{}:{}",
        parsed.host_str().unwrap_or_default(),
        parsed.port().unwrap_or(80)
    );
    let params = vec![
        (
            "oauth_consumer_key".to_owned(),
            creds.tba.consumer_key.clone(),
        ),
        ("oauth_token".to_owned(), creds.tba.token_id.clone()),
        ("oauth_nonce".to_owned(), nonce.to_owned()),
        (
            "oauth_timestamp".to_owned(),
            chrono::Utc::now().timestamp().to_string(),
        ),
        (
            "oauth_signature_method".to_owned(),
            "HMAC-SHA256".to_owned(),
        ),
        ("oauth_version".to_owned(), "1.0".to_owned()),
    ];
    let header = OAuthHeader {
        realm: Some(creds.account_id.clone()),
        params,
    };
    let request = SignedRequest {
        method: "POST",
        scheme: "http",
        host: &host,
        path: parsed.path(),
        query: parsed.query(),
    };
    let signature = sign(
        &base_string(&request, &header),
        &creds.tba.consumer_secret,
        &creds.tba.token_secret,
    );
    let mut out = format!("OAuth realm=\"{}\"", creds.account_id);
    for (k, v) in header
        .params
        .iter()
        .chain(std::iter::once(&("oauth_signature".to_owned(), signature)))
    {
        out.push_str(&format!(", {k}=\"{}\"", encode(v)));
    }
    out
}

/// Reads `pages` keyset pages from the start; returns each page's latency.
async fn read_pages(
    client: reqwest::Client,
    base: String,
    creds: Credentials,
    reader: usize,
    pages: usize,
) -> Vec<Duration> {
    let url = format!("{base}/services/rest/query/v1/suiteql?limit=1000");
    let mut last = 0i64;
    let mut times = Vec::with_capacity(pages);
    for page in 0..pages {
        let nonce = format!("bench{reader:02}{page:06}");
        let started = Instant::now();
        let body: Value = client
            .post(&url)
            .header("Authorization", authorization(&creds, &url, &nonce))
            .header("Prefer", "transient")
            .json(&json!({"q": keyset_query(last)}))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        times.push(started.elapsed());
        let items = body["items"].as_array().expect("items");
        last = items
            .last()
            .and_then(|i| i["id"].as_str())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if body["hasMore"] == false && items.len() < 1000 {
            last = 0;
        }
    }
    times
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let mut account = AccountConfig::with_dataset(ACCOUNT, 1, DatasetChoice::Large { seed: 1 });
    account.concurrency_limit = 10;
    let emulator = Emulator::start(EmulatorConfig::single(account))
        .await
        .expect("start");
    let load = started.elapsed();
    let creds = emulator.credentials(ACCOUNT).expect("account");
    let client = reqwest::Client::new();
    let mut single = read_pages(client.clone(), emulator.base_url(), creds.clone(), 99, 30).await;
    single.sort();
    let median = single[single.len() / 2];
    let started = Instant::now();
    let readers = (0..4).map(|r| {
        tokio::spawn(read_pages(
            client.clone(),
            emulator.base_url(),
            creds.clone(),
            r,
            PAGES_PER_READER,
        ))
    });
    let total: usize = futures::future::join_all(readers)
        .await
        .into_iter()
        .map(|r| r.expect("reader").len())
        .sum();
    let rate = total as f64 / started.elapsed().as_secs_f64();
    println!("| figure | measured | target |");
    println!("|---|---|---|");
    println!(
        "| generate + load 50k customers / 250k projects | {:.2} s | <= 10 s |",
        load.as_secs_f64()
    );
    println!("| median 1000-row keyset page (customers by subsidiary via relationship) | {:.1} ms | <= 20 ms |", median.as_secs_f64() * 1000.0);
    println!("| 4 concurrent readers, total | {rate:.0} pages/s | >= 100 pages/s |");
    emulator.shutdown().await;
}
