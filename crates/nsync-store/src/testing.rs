//! Test support for crates that test against the store (feature `testing`): a fresh store on
//! each backend, SQLite in a temporary file and PostgreSQL in a schema of its own, removed after
//! the test. Outside CI an unreachable PostgreSQL skips that half and says so; with `CI=true` it
//! fails.

use std::future::Future;
use std::path::PathBuf;

use sqlx::Connection;

use crate::{Store, StoreConfig};

/// Runs `test` on a fresh SQLite file, removed afterwards.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let path: PathBuf =
        std::env::temp_dir().join(format!("nsync-test-{}.db", uuid::Uuid::new_v4().simple()));
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite store");
    test(store.clone()).await;
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// The PostgreSQL server the tests use: `NSYNC_TEST_POSTGRES_URL`, or the local test database.
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

/// The audit of a set-up write a test makes as the system (no user), in `company`.
pub fn audit(company: nsync_core::CompanyId) -> crate::Audit {
    crate::Audit::new(company, None, "test_setup", 1)
}
