//! The store handle: one pool of either backend, chosen by URL scheme.

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

/// Runs `$body` with `$pool` bound to the concrete pool, once per backend. Lets one piece of
/// SQL text serve both backends where their dialects agree (`$1` placeholders work on both).
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: the embedded default, one process.
    Sqlite,
    /// PostgreSQL: several processes sharing one database.
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://PATH` (created if missing) or `postgres://...`.
    pub url: String,
    /// Pool size: the most connections the store opens, run locks included.
    pub max_connections: u32,
    /// PostgreSQL only: how many of `max_connections` are kept for run locks (a run holds one
    /// for its whole length, see `lock.rs`), so runs never take every connection their own
    /// queries need. At most this many runs go on at once in the process; `None`: half.
    pub run_lock_connections: Option<u32>,
    /// PostgreSQL only: the schema every connection works in (`search_path`). Tests give each
    /// test its own; `None` keeps the server's default.
    pub postgres_schema: Option<String>,
    /// Apply pending migrations on connect.
    pub migrate: bool,
}

impl StoreConfig {
    /// Defaults for `url`: 8 connections, default schema, migrate on connect.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            run_lock_connections: None,
            postgres_schema: None,
            migrate: true,
        }
    }
}

/// The store: every read and write nsync makes. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    /// SQLite's run locks: SQLite serves one process, so a set in memory is enough.
    pub(crate) local_locks: Arc<Mutex<HashSet<i64>>>,
    /// PostgreSQL's run locks: the connections that hold them, apart from the queries' pool.
    pub(crate) lock_pool: Option<PgPool>,
    /// The integrations' states kept in memory (see `kept.rs`).
    pub(crate) kept: crate::kept::KeptStates,
}

impl Store {
    /// Connects to `url` and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(StoreConfig::new(url)).await
    }

    /// Connects as configured.
    pub async fn connect_with(config: StoreConfig) -> Result<Self, StoreError> {
        let (pool, lock_pool) = if config.url.starts_with("sqlite:") {
            (Pool::Sqlite(connect_sqlite(&config).await?), None)
        } else if config.url.starts_with("postgres:") || config.url.starts_with("postgresql:") {
            let total = config.max_connections.max(2);
            let locks = config
                .run_lock_connections
                .unwrap_or(total / 2)
                .clamp(1, total - 1);
            let queries = connect_postgres(&config, total - locks, Duration::from_secs(10)).await?;
            // A run waits for another to end rather than fail at once when all are taken.
            let locks = connect_postgres(&config, locks, Duration::from_secs(120)).await?;
            (Pool::Postgres(queries), Some(locks))
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(&config.url)));
        };
        let store = Self {
            pool,
            local_locks: Arc::default(),
            lock_pool,
            kept: crate::kept::KeptStates::default(),
        };
        if config.migrate {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// Applies pending migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                crate::migrations::SQLITE
                    .migrator()
                    .await?
                    .run(pool)
                    .await?
            }
            Pool::Postgres(pool) => {
                crate::migrations::POSTGRES
                    .migrator()
                    .await?
                    .run(pool)
                    .await?
            }
        }
        Ok(())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// What a claim's inner `SELECT` ends with so that concurrent claimers skip each other's
    /// rows: `FOR UPDATE SKIP LOCKED` on PostgreSQL; nothing on SQLite, whose writes are serial.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        }
    }

    /// How write transactions begin. SQLite takes the write lock up front (`IMMEDIATE`): a
    /// deferred transaction that reads first and writes later fails, rather than waits, when
    /// another connection wrote in between.
    pub(crate) fn begin_sql(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "BEGIN IMMEDIATE",
            Pool::Postgres(_) => "BEGIN",
        }
    }

    /// Closes every connection (waits for those in use).
    pub async fn close(&self) {
        if let Some(locks) = &self.lock_pool {
            locks.close().await;
        }
        with_pool!(self, pool => pool.close().await)
    }
}

async fn connect_sqlite(config: &StoreConfig) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(&config.url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL + NORMAL is durable against application crashes, which is what "all or nothing"
        // needs; only an OS crash may lose the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    // An in-memory database exists once per connection: keep exactly one.
    let max = if config.url.contains(":memory:") || config.url.contains("mode=memory") {
        1
    } else {
        config.max_connections
    };
    Ok(SqlitePoolOptions::new()
        .max_connections(max)
        .connect_with(options)
        .await?)
}

async fn connect_postgres(
    config: &StoreConfig,
    size: u32,
    acquire_timeout: Duration,
) -> Result<PgPool, StoreError> {
    // Typeahead patterns vary too much for one cached generic plan to serve them all (a
    // generic `LIKE $1` plan cannot use the trigram index well): plan each query afresh.
    let mut options = PgConnectOptions::from_str(&config.url)?
        .options([("plan_cache_mode", "force_custom_plan")]);
    if let Some(schema) = &config.postgres_schema {
        // Set at connection start-up, so every pooled connection sees only this schema.
        options = options.options([("search_path", schema.as_str())]);
    }
    Ok(PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(acquire_timeout)
        .connect_with(options)
        .await?)
}

/// The URL without its password, for error messages; one that does not parse is not shown
/// (it could hold a password where no parser finds it).
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Only a URL that cannot have a password refuses one, and this one has one.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(a value that is not a URL)".to_owned(),
    }
}
