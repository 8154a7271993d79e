//! What the binary's tests share: a PostgreSQL database of their own.

use sqlx::{Connection, PgConnection};

/// A database of its own on the test PostgreSQL server, dropped at the end.
pub struct Database {
    admin_url: String,
    name: String,
    /// Where the database is.
    pub url: String,
}

impl Database {
    /// `None` (the test is skipped, saying why) when PostgreSQL is unreachable outside CI.
    pub async fn create(purpose: &str) -> Option<Self> {
        let admin_url = std::env::var("NSYNC_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let mut admin = match PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(err) if std::env::var("CI").as_deref() != Ok("true") => {
                eprintln!("SKIPPED: the {purpose} test needs PostgreSQL; {admin_url} is unreachable ({err})");
                return None;
            }
            Err(err) => panic!("PostgreSQL at {admin_url} is unreachable and CI=true: {err}"),
        };
        let name = format!("nsync_{purpose}_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create database");
        let (base, _) = admin_url.rsplit_once('/').expect("a database in the URL");
        let url = format!("{base}/{name}");
        let mut conn = PgConnection::connect(&url).await.expect("new database");
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .execute(&mut conn)
            .await
            .expect("pg_trgm");
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    /// Drops it, closing whatever still connects to it.
    pub async fn drop_it(self) {
        let mut admin = PgConnection::connect(&self.admin_url).await.expect("admin");
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut admin)
            .await
            .expect("drop database");
    }
}
