//! Store factories for both backends, and the fixture every test starts from.

use nsync_core::{
    AccountId, CompanyId, Credentials, CustomFieldId, IntegrationId, IntegrationSettings, Level,
    OptionName, OptionState, OptionUpsert, Plan, RecordId, RunCounts, RunId, RunKind, RunOutcome,
    RunStatus, RunTrigger, SubsidiaryId, TimeZone, UpstreamKey, UpstreamKind,
};
use nsync_store::{MasterKey, NewIntegration, Store};

/// Declares each named `async fn(Store)` as two tests: `name::on_sqlite`, `name::on_postgres`.
#[macro_export]
macro_rules! contract {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                $crate::harness::on_sqlite(super::$name).await
            }
            #[tokio::test]
            async fn on_postgres() {
                $crate::harness::on_postgres(super::$name).await
            }
        }
    )+};
}

pub use nsync_store::testing::{on_postgres, on_sqlite};

/// A company with one integration and its integrated field.
pub struct Fixture {
    pub company: CompanyId,
    pub integration: IntegrationId,
    pub field: CustomFieldId,
    pub key: MasterKey,
}

pub fn tba() -> Credentials {
    Credentials::Tba {
        consumer_key: "ck-123".into(),
        consumer_secret: "cs-SECRET-1".to_owned().into(),
        token_id: "tid-456".into(),
        token_secret: "ts-SECRET-2".to_owned().into(),
    }
}

pub async fn fixture(store: &Store) -> Fixture {
    let company = store
        .create_company(
            "Acme Procurement",
            &TimeZone::parse("Europe/Paris").unwrap(),
            1,
        )
        .await
        .unwrap();
    let (key, _) = MasterKey::generate();
    let integration = store
        .create_integration(
            &key,
            &NewIntegration {
                company,
                account: AccountId::parse("1234567_SB1").unwrap(),
                subsidiary: Some(SubsidiaryId::new(3).unwrap()),
                credentials: tba(),
                settings: IntegrationSettings::default(),
                field_name: "Customer / Project".into(),
            },
            &nsync_store::testing::audit(company),
        )
        .await
        .unwrap();
    let field = store.integration(integration).await.unwrap().field;
    Fixture {
        company,
        integration,
        field,
        key,
    }
}

pub fn key(kind: UpstreamKind, id: i64) -> UpstreamKey {
    UpstreamKey {
        kind,
        id: RecordId::new(id).unwrap(),
    }
}

pub fn customer(id: i64, name: &str) -> OptionUpsert {
    upsert(key(UpstreamKind::Customer, id), None, 1, name)
}

pub fn project(id: i64, parent: UpstreamKey, level: i64, name: &str) -> OptionUpsert {
    upsert(key(UpstreamKind::Project, id), Some(parent), level, name)
}

pub fn upsert(
    upstream: UpstreamKey,
    parent: Option<UpstreamKey>,
    level: i64,
    name: &str,
) -> OptionUpsert {
    OptionUpsert {
        upstream,
        parent,
        level: Level::new(level).unwrap(),
        name: OptionName::parse(upstream.kind, name, "test").unwrap(),
        number: None,
        state: OptionState::Active,
        removed_here: false,
        flaw: None,
    }
}

/// Starts a run (taking and releasing the lock around it) and returns an empty plan for it.
pub async fn plan(store: &Store, fx: &Fixture, options: Vec<OptionUpsert>) -> Plan {
    let lock = store.lock_integration(fx.integration).await.unwrap();
    let run = store
        .start_run(&lock, RunKind::Import, RunTrigger::Cli, None, 1_000, None)
        .await
        .unwrap();
    lock.release().await.unwrap();
    plan_for_run(fx, run, options)
}

pub fn plan_for_run(fx: &Fixture, run: RunId, options: Vec<OptionUpsert>) -> Plan {
    Plan {
        integration: fx.integration,
        field: fx.field,
        mirror_upserts: Vec::new(),
        mirror_removals: Vec::new(),
        options,
        changes: Vec::new(),
        run: RunOutcome {
            id: run,
            status: RunStatus::Succeeded,
            counts: RunCounts::default(),
            netsuite_requests: 3,
            finished_at_ms: 2_000,
            error: None,
        },
        cursor: None,
    }
}
