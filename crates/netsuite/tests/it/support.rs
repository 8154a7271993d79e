//! Starting the in-process emulator and pointing a client at it.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use netsuite::{
    Auth, Client, ClientConfig, ClientCredentials, RetryPolicy, RowError, RowStream, TbaCredentials,
};
use netsuite_emulator::{AccountConfig, Control, Emulator, EmulatorConfig};

/// The account id every test account uses.
pub const ACCOUNT: &str = "1234567_SB1";

/// The client's clock follows the emulated clock, so signatures stay valid when a test moves it.
pub struct EmulatedClock(pub Control);

impl fmt::Debug for EmulatedClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmulatedClock")
    }
}

impl netsuite::Clock for EmulatedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

/// Starts an emulator serving `account`.
pub async fn start(account: AccountConfig) -> Emulator {
    Emulator::start(EmulatorConfig::single(account))
        .await
        .expect("emulator starts")
}

/// The demo account (OneWorld, Projects on, a few hundred records).
pub fn demo() -> AccountConfig {
    AccountConfig::demo(ACCOUNT, 7)
}

/// TBA credentials for the emulator's account.
pub fn tba(emulator: &Emulator) -> Auth {
    let c = emulator.credentials(ACCOUNT).expect("account exists").tba;
    Auth::Tba(TbaCredentials {
        consumer_key: c.consumer_key.into(),
        consumer_secret: c.consumer_secret.into(),
        token_id: c.token_id.into(),
        token_secret: c.token_secret.into(),
    })
}

/// OAuth 2.0 credentials with the RSA key (`ec == false`) or the EC key.
pub fn oauth2(emulator: &Emulator, ec: bool) -> Auth {
    let c = emulator
        .credentials(ACCOUNT)
        .expect("account exists")
        .oauth2;
    let (certificate_id, pem) = if ec {
        (c.ec_certificate_id, c.ec_private_key_pem)
    } else {
        (c.certificate_id, c.private_key_pem)
    };
    Auth::OAuth2(ClientCredentials {
        client_id: c.client_id,
        certificate_id,
        private_key_pem: pem.into(),
    })
}

/// A config pointed at the emulator with tiny retry delays and the account's time zone.
pub fn config(emulator: &Emulator, auth: Auth) -> ClientConfig {
    let mut config = ClientConfig::new(netsuite::AccountId::parse(ACCOUNT).unwrap(), auth);
    config.base_url_override = Some(emulator.base_url().parse().unwrap());
    config.retry = RetryPolicy::fast(6);
    config.time_zone = chrono_tz::America::Los_Angeles;
    config.request_timeout = Duration::from_secs(20);
    config.clock = std::sync::Arc::new(EmulatedClock(emulator.control()));
    config
}

/// A TBA client with the test defaults.
pub fn client(emulator: &Emulator) -> Client {
    Client::new(config(emulator, tba(emulator))).unwrap()
}

/// Drains a stream: the good rows and the bad ones; panics on a read error.
pub async fn collect<T>(stream: RowStream<T>) -> (Vec<T>, Vec<RowError>) {
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    let mut stream = stream;
    while let Some(item) = stream.next().await {
        match item.expect("the read succeeds") {
            Ok(row) => good.push(row),
            Err(e) => bad.push(e),
        }
    }
    (good, bad)
}

/// Drains a stream until its error.
pub async fn collect_error<T>(mut stream: RowStream<T>) -> netsuite::Error {
    while let Some(item) = stream.next().await {
        if let Err(e) = item {
            assert!(stream.next().await.is_none(), "an error ends the stream");
            return e;
        }
    }
    panic!("the read was expected to fail")
}

/// One text column of every row of a query run directly on the emulated database.
pub fn ground_truth(emulator: &Emulator, q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = emulator
            .control()
            .suiteql(ACCOUNT, q, offset, 1000)
            .expect("ground truth query");
        let n = page.items.len();
        for item in page.items {
            let value = item
                .values()
                .find_map(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            out.push(value);
        }
        if n < 1000 {
            return out;
        }
        offset += 1000;
    }
}

/// A subsidiary, the companies linked to it, and a company that is not: what subsidiary-link
/// reads are checked against.
pub fn linked_companies(emulator: &Emulator) -> (i64, Vec<i64>, i64) {
    let sub: i64 = ground_truth(
        emulator,
        "SELECT subsidiary FROM customersubsidiaryrelationship ORDER BY id",
    )[0]
    .parse()
    .unwrap();
    let linked = ground_truth(
        emulator,
        &format!("SELECT r.entity FROM customersubsidiaryrelationship r JOIN customer c ON c.id = r.entity WHERE r.subsidiary = {sub} AND c.isperson = 'F' ORDER BY r.entity"),
    )
    .iter()
    .map(|id| id.parse().unwrap())
    .collect();
    let unlinked = ground_truth(
        emulator,
        &format!("SELECT c.id FROM customer c WHERE c.isperson = 'F' AND NOT EXISTS (SELECT 1 FROM customersubsidiaryrelationship r WHERE r.entity = c.id AND r.subsidiary = {sub}) ORDER BY c.id"),
    )[0]
    .parse()
    .unwrap();
    (sub, linked, unlinked)
}
