//! What the client benchmarks share: their runtime and a client of an emulated account.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use netsuite::{AccountId, Auth, Client, ClientConfig, RetryPolicy, TbaCredentials};
use netsuite_emulator::Emulator;

/// Runs a benchmark on two worker threads, as on the machine the figures are for.
pub fn run(bench: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench);
}

/// A new client of `account` (TBA), `budget` requests in flight, retrying patiently.
pub fn client(emulator: &Emulator, account: &str, budget: usize) -> Client {
    let c = emulator.credentials(account).unwrap().tba;
    let auth = Auth::Tba(TbaCredentials {
        consumer_key: c.consumer_key.into(),
        consumer_secret: c.consumer_secret.into(),
        token_id: c.token_id.into(),
        token_secret: c.token_secret.into(),
    });
    let mut config = ClientConfig::new(AccountId::parse(account).unwrap(), auth);
    config.base_url_override = Some(emulator.base_url().parse().unwrap());
    config.concurrency = budget;
    config.time_zone = chrono_tz::America::Los_Angeles;
    config.retry = RetryPolicy {
        max_attempts: 12,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(2),
    };
    config.clock = Arc::new(netsuite::SystemClock);
    Client::new(config).unwrap()
}
