//! Store factories for both backends, and the fixture every test starts from.

use std::future::Future;
use std::path::PathBuf;

use nsync_core::{
    AccountId, CompanyId, Credentials, CustomFieldId, IntegrationId, IntegrationSettings, Level,
    OptionName, OptionState, OptionUpsert, Plan, RecordId, RunCounts, RunId, RunKind, RunOutcome,
    RunStatus, RunTrigger, SubsidiaryId, TimeZone, UpstreamKey, UpstreamKind,
};
use nsync_store::{MasterKey, NewIntegration, Store, StoreConfig};
use sqlx::Connection;

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

/// Runs `test` on a fresh SQLite file, removed afterwards.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let path: PathBuf =
        std::env::temp_dir().join(format!("nsync-store-{}.db", uuid::Uuid::new_v4().simple()));
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite store");
    test(store.clone()).await;
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// The PostgreSQL server the suite uses.
pub fn postgres_url() -> String {
    std::env::var("NSYNC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Runs `test` in a fresh schema of the test PostgreSQL database, dropped afterwards.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(schema) = create_schema().await else {
        return;
    };
    let mut config = StoreConfig::new(postgres_url());
    config.postgres_schema = Some(schema.clone());
    config.max_connections = 4;
    let store = Store::connect_with(config).await.expect("postgres store");
    test(store.clone()).await;
    store.close().await;
    let mut admin = sqlx::PgConnection::connect(&postgres_url())
        .await
        .expect("admin connection");
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop schema");
}

async fn create_schema() -> Option<String> {
    let url = postgres_url();
    let mut admin = match sqlx::PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(err) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPED: the PostgreSQL half of this test did not run: {url} is unreachable ({err}). Start PostgreSQL or set NSYNC_TEST_POSTGRES_URL.");
            return None;
        }
        Err(err) => panic!("PostgreSQL at {url} is unreachable and CI=true: {err}"),
    };
    // Concurrent CREATE EXTENSION calls race on the catalog; one at a time.
    sqlx::query("SELECT pg_advisory_lock(7346001)")
        .execute(&mut admin)
        .await
        .expect("lock");
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
        .execute(&mut admin)
        .await
        .expect("pg_trgm");
    sqlx::query("SELECT pg_advisory_unlock(7346001)")
        .execute(&mut admin)
        .await
        .expect("unlock");
    let schema = format!("nsync_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    Some(schema)
}

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
    }
}

/// Starts a run (taking and releasing the lock around it) and returns an empty plan for it.
pub async fn plan(store: &Store, fx: &Fixture, options: Vec<OptionUpsert>) -> Plan {
    let lock = store.lock_integration(fx.integration).await.unwrap();
    let run = store
        .start_run(&lock, RunKind::Import, RunTrigger::Cli, 1_000)
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
