//! NetSuite request slots shared by every process of a deployment: one row per slot of an
//! account's concurrency limit, held by a request while it is in flight (see migration 0009).
//! Times are passed in, as for jobs.

use crate::store::{with_pool, Pool};
use crate::{Store, StoreError};

/// A slot held by `holder` until `held_until_ms` unless renewed or released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSlot {
    /// The account (as the NetSuite client keys its budget).
    pub account: String,
    /// Which of the account's slots, `0..limit`.
    pub slot: i32,
    /// Proof of holding it.
    pub holder: String,
}

impl Store {
    /// Makes sure `account` has rows for slots `0..limit` (a limit raised later adds rows; one
    /// lowered leaves the rows above it unused).
    pub async fn add_request_slots(&self, account: &str, limit: usize) -> Result<(), StoreError> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let sql = "INSERT INTO netsuite_request_slots (account, slot) \
                   SELECT $1, s FROM (SELECT CAST(value AS INTEGER) AS s FROM \
                   json_each($2)) AS slots WHERE true ON CONFLICT (account, slot) DO NOTHING";
        let pg = "INSERT INTO netsuite_request_slots (account, slot) \
                  SELECT $1, s FROM generate_series(0, $2 - 1) AS s ON CONFLICT (account, slot) DO NOTHING";
        match &self.pool {
            Pool::Sqlite(pool) => {
                let slots = serde_json::to_string(&(0..limit).collect::<Vec<_>>())
                    .map_err(StoreError::corrupt)?;
                sqlx::query(sql)
                    .bind(account)
                    .bind(slots)
                    .execute(pool)
                    .await?;
            }
            Pool::Postgres(pool) => {
                sqlx::query(pg)
                    .bind(account)
                    .bind(limit)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// Takes a free slot of `account` below `limit` (never held, released, or whose holder
    /// let it run out) until `until_ms`, or `None` when all are held. One statement: on
    /// PostgreSQL concurrent takers skip each other's rows, on SQLite writes are serial.
    pub async fn take_request_slot(
        &self,
        account: &str,
        limit: usize,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<Option<RequestSlot>, StoreError> {
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE netsuite_request_slots SET holder = $1, held_until_ms = $2 \
             WHERE account = $3 AND slot = (SELECT slot FROM netsuite_request_slots \
                WHERE account = $3 AND slot < $4 AND held_until_ms <= $5 ORDER BY slot LIMIT 1 {lock}) \
             RETURNING slot"
        );
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let slot: Option<i32> = with_pool!(self, pool => {
            sqlx::query_scalar(&sql).bind(holder).bind(until_ms).bind(account).bind(limit).bind(now_ms)
                .fetch_optional(pool).await?
        });
        Ok(slot.map(|slot| RequestSlot {
            account: account.to_owned(),
            slot,
            holder: holder.to_owned(),
        }))
    }

    /// Holds a slot longer (a request still in flight). Returns whether it was still held.
    pub async fn renew_request_slot(
        &self,
        slot: &RequestSlot,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE netsuite_request_slots SET held_until_ms = $1 \
                   WHERE account = $2 AND slot = $3 AND holder = $4";
        let done = with_pool!(self, pool => {
            sqlx::query(sql).bind(until_ms).bind(&slot.account).bind(slot.slot).bind(&slot.holder)
                .execute(pool).await?.rows_affected()
        });
        Ok(done == 1)
    }

    /// Gives a slot back (nothing happens if another holder took it over meanwhile).
    pub async fn release_request_slot(&self, slot: &RequestSlot) -> Result<(), StoreError> {
        let sql = "UPDATE netsuite_request_slots SET holder = NULL, held_until_ms = 0 \
                   WHERE account = $1 AND slot = $2 AND holder = $3";
        with_pool!(self, pool => {
            sqlx::query(sql).bind(&slot.account).bind(slot.slot).bind(&slot.holder).execute(pool).await?;
        });
        Ok(())
    }

    /// Slots of `account` held at `now_ms` (for tests and metrics).
    pub async fn held_request_slots(&self, account: &str, now_ms: i64) -> Result<i64, StoreError> {
        let sql =
            "SELECT COUNT(*) FROM netsuite_request_slots WHERE account = $1 AND held_until_ms > $2";
        Ok(with_pool!(self, pool => {
            sqlx::query_scalar(sql).bind(account).bind(now_ms).fetch_one(pool).await?
        }))
    }
}
