//! The per-integration run lock: one run per integration at a time.
//!
//! PostgreSQL: a session advisory lock on a connection held by the run, so it holds across
//! processes and goes away with the connection if the process dies. The connections come from a
//! pool of their own within the store's size (`StoreConfig::run_lock_connections`): a process
//! keeps to its configured number of connections however many runs go on, and runs cannot take
//! the connections their queries need. A lock dropped without release closes its connection
//! rather than hand a locked one back. SQLite serves one
//! process, so a set in memory is enough.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use nsync_core::IntegrationId;
use sqlx::pool::PoolConnection;
use sqlx::Postgres;

use crate::store::Pool;
use crate::{Store, StoreError};

/// Held while a run of one integration goes on; released by [`RunLock::release`] or on drop.
pub struct RunLock {
    integration: IntegrationId,
    held: Held,
}

enum Held {
    Local(Arc<Mutex<HashSet<i64>>>),
    /// `None` once released.
    Postgres(Option<PoolConnection<Postgres>>),
}

/// The advisory key: the schema is part of it, so tests (or tenants) in different schemas of
/// one database do not block each other.
const PG_KEY: &str = "hashtextextended(current_schema() || ':nsync-run:' || CAST($1 AS TEXT), 0)";

impl Store {
    /// Takes the run lock of an integration, or says which run holds it.
    pub async fn lock_integration(
        &self,
        integration: IntegrationId,
    ) -> Result<RunLock, StoreError> {
        let held = match &self.pool {
            Pool::Sqlite(_) => {
                let mut held = self.local_locks.lock().unwrap_or_else(|p| p.into_inner());
                held.insert(integration.get())
                    .then(|| Held::Local(Arc::clone(&self.local_locks)))
            }
            Pool::Postgres(queries) => {
                let pool = self.lock_pool.as_ref().unwrap_or(queries);
                let mut conn = pool.acquire().await?;
                let sql = format!("SELECT pg_try_advisory_lock({PG_KEY}) AS ok");
                let ok: bool = sqlx::query_scalar(&sql)
                    .bind(integration.get())
                    .fetch_one(&mut *conn)
                    .await?;
                ok.then(|| Held::Postgres(Some(conn)))
            }
        };
        match held {
            Some(held) => Ok(RunLock { integration, held }),
            None => Err(StoreError::Busy {
                integration,
                running: self.running_run(integration).await?,
            }),
        }
    }
}

impl RunLock {
    /// The integration this lock is for.
    pub fn integration(&self) -> IntegrationId {
        self.integration
    }

    /// Releases the lock now (rather than on drop, which on PostgreSQL waits for the server to
    /// notice the closed connection).
    pub async fn release(mut self) -> Result<(), StoreError> {
        if let Held::Postgres(conn) = &mut self.held {
            if let Some(mut conn) = conn.take() {
                let sql = format!("SELECT pg_advisory_unlock({PG_KEY})");
                let unlocked = sqlx::query(&sql)
                    .bind(self.integration.get())
                    .execute(&mut *conn)
                    .await;
                if unlocked.is_err() {
                    conn.close_on_drop();
                }
                unlocked?;
            }
        }
        Ok(())
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        match &mut self.held {
            Held::Local(set) => {
                set.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&self.integration.get());
            }
            // Closing the connection makes the server release its advisory locks.
            Held::Postgres(conn) => {
                if let Some(mut conn) = conn.take() {
                    conn.close_on_drop();
                }
            }
        }
    }
}
