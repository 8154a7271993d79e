//! Both store backends, an emulated NetSuite account, and an engine wired between them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use netsuite::RetryPolicy;
use netsuite_emulator::{AccountConfig, Control, Emulator, EmulatorConfig, GeneratorSpec};
use nsync_core::{
    AccountId, CompanyId, CustomFieldId, IntegrationId, IntegrationSettings, StoredOption,
    SubsidiaryId, TimeZone as CoreTz, UpstreamKey,
};
use nsync_server::{ClientSettings, Engine};
use nsync_store::{MasterKey, NewIntegration, Store};
use serde_json::Value;

pub const ACCOUNT: &str = "1234567_SB1";

/// Declares each named `async fn(Store)` as two tests: `name::on_sqlite`, `name::on_postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                $crate::harness::on_sqlite(super::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                $crate::harness::on_postgres(super::$name).await
            }
        }
    )+};
}

pub use nsync_store::testing::{on_postgres, on_sqlite};

/// The client's clock follows the emulated clock, so signatures stay valid when a test moves it.
#[derive(Debug)]
struct EmulatedClock(Control);

impl netsuite::Clock for EmulatedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

/// An emulated account, a store with one integration scoped to one of its subsidiaries, and an
/// engine between them.
pub struct App {
    pub store: Store,
    pub engine: Engine,
    pub emulator: Emulator,
    pub company: CompanyId,
    pub integration: IntegrationId,
    pub field: CustomFieldId,
    pub sub: i64,
    key: String,
    settings: ClientSettings,
}

/// A small generated account: enough records at every depth, quick to read.
pub fn small_account(seed: u64) -> AccountConfig {
    AccountConfig::generated(
        ACCOUNT,
        GeneratorSpec {
            customers: 24,
            leads_and_prospects: 0,
            projects: 60,
            subsidiaries: 3,
            seed,
        },
    )
}

pub async fn app(store: Store) -> App {
    app_with(store, small_account(11)).await
}

pub async fn app_with(store: Store, account: AccountConfig) -> App {
    let emulator = Emulator::start(EmulatorConfig::single(account))
        .await
        .expect("emulator starts");
    let control = emulator.control();
    control.set_clock(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    // The subsidiary with the most customers, so the scope holds most of the tree.
    let sub = nsync_server::testing::busiest_subsidiary(&control, ACCOUNT);
    let company = store
        .create_company(
            "Acme Procurement",
            &CoreTz::parse("Europe/Paris").unwrap(),
            1,
        )
        .await
        .unwrap();
    let (key, encoded) = MasterKey::generate();
    let integration = store
        .create_integration(
            &key,
            &NewIntegration {
                company,
                account: AccountId::parse(ACCOUNT).unwrap(),
                subsidiary: Some(SubsidiaryId::new(sub).unwrap()),
                credentials: nsync_server::testing::credentials(&emulator, ACCOUNT),
                settings: IntegrationSettings::default(),
                field_name: "Customer / Project".into(),
            },
            &nsync_store::testing::audit(company),
        )
        .await
        .unwrap();
    let field = store.integration(integration).await.unwrap().field;
    let settings = ClientSettings {
        base_url_override: Some(emulator.base_url().parse().unwrap()),
        time_zone: chrono_tz::America::Los_Angeles,
        concurrency: 4,
        retry: RetryPolicy::fast(4),
        request_timeout: Duration::from_secs(20),
        clock: Some(Arc::new(EmulatedClock(control.clone()))),
        shared_budget: None,
        http: Default::default(),
    };
    let engine = Engine::new(
        store.clone(),
        MasterKey::from_base64(&encoded).unwrap(),
        Arc::new(settings.clone()),
    );
    App {
        store,
        engine,
        emulator,
        company,
        integration,
        field,
        sub,
        key: encoded,
        settings,
    }
}

impl App {
    /// Another engine over the same store and account that has kept nothing in memory yet.
    pub fn new_engine(&self) -> Engine {
        Engine::new(
            self.store.clone(),
            MasterKey::from_base64(&self.key).unwrap(),
            Arc::new(self.settings.clone()),
        )
    }

    pub fn control(&self) -> Control {
        self.emulator.control()
    }

    /// Moves NetSuite's clock a minute on, so each change gets its own stamp.
    pub fn tick(&self) {
        self.control().advance_clock(chrono::Duration::minutes(1));
    }

    pub async fn options(&self) -> BTreeMap<UpstreamKey, StoredOption> {
        self.store
            .integrated_options(self.field)
            .await
            .unwrap()
            .into_iter()
            .map(|o| (o.upstream.unwrap(), o))
            .collect()
    }

    pub fn rows(&self, q: &str) -> Vec<serde_json::Map<String, Value>> {
        rows(&self.control(), q)
    }

    /// Ids from the first column of a query.
    pub fn ids(&self, q: &str) -> Vec<i64> {
        self.rows(q)
            .iter()
            .filter_map(|r| r.values().next().and_then(Value::as_str).map(str::to_owned))
            .map(|id| id.parse().unwrap())
            .collect()
    }
}

/// Every row of a query run directly on the emulated database.
pub fn rows(control: &Control, q: &str) -> Vec<serde_json::Map<String, Value>> {
    nsync_server::testing::rows(control, ACCOUNT, q)
}
