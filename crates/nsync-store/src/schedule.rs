//! What the scheduler and NetSuite notifications need: integrations whose automatic update is
//! on, claiming a slot (once across every process), the notification secret, replay records,
//! debounced jobs, queue depth.

use nsync_core::{AutoUpdate, CompanyId, IntegrationId, IntegrationSettings, JobId, TimeZone};
use secrecy::SecretSlice;

use crate::audit::{append_audit_in, Audit};
use crate::crypto::hook_secret_aad;
use crate::jobs::INSERT_JOB;
use crate::row::{id, Cols};
use crate::store::with_pool;
use crate::{MasterKey, Store, StoreError};

/// An integration whose automatic update is on, with what deciding its next slot takes.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledIntegration {
    /// The integration.
    pub integration: IntegrationId,
    /// Its company.
    pub company: CompanyId,
    /// The company's time zone (slots are local times there).
    pub time_zone: TimeZone,
    /// The schedule.
    pub auto_update: AutoUpdate,
    /// Slots that start at or before this instant are done or predate the schedule.
    pub after_ms: i64,
}

/// A job to queue.
#[derive(Debug, Clone, Copy)]
pub struct NewJob<'a> {
    /// What to do, e.g. `update`.
    pub kind: &'a str,
    /// Its arguments.
    pub payload: &'a serde_json::Value,
    /// At most one queued job has this key.
    pub dedup_key: &'a str,
}

impl Store {
    /// Every integration whose automatic update is on. A row whose settings do not read is
    /// returned as an error of its own, so one bad row does not hide the others.
    pub async fn scheduled_integrations(
        &self,
    ) -> Result<Vec<Result<ScheduledIntegration, StoreError>>, StoreError> {
        let sql = "SELECT i.id, i.company_id, c.time_zone, i.settings, i.schedule_after_ms \
                   FROM integrations i JOIN companies c ON c.id = i.company_id ORDER BY i.id";
        let rows = with_pool!(self, pool => {
            sqlx::query(sql).fetch_all(pool).await?.iter().map(scheduled_from_row).collect::<Vec<_>>()
        });
        Ok(rows
            .into_iter()
            .filter(|row| !matches!(row, Ok(s) if !s.auto_update.enabled))
            .collect())
    }

    /// Claims the slot that starts at `slot_ms` and queues its job, in one transaction: only
    /// the first caller for a slot (in any process) gets `Some`; a slot no later than one
    /// already claimed is never claimed again.
    pub async fn claim_slot(
        &self,
        integration: IntegrationId,
        slot_ms: i64,
        job: NewJob<'_>,
        now_ms: i64,
    ) -> Result<Option<JobId>, StoreError> {
        let claim = "UPDATE integrations SET schedule_after_ms = $2 \
                     WHERE id = $1 AND schedule_after_ms < $2";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            let claimed = sqlx::query(claim).bind(integration.get()).bind(slot_ms)
                .execute(&mut *tx).await?.rows_affected();
            if claimed == 0 {
                return Ok(None);
            }
            let row = sqlx::query(INSERT_JOB).bind(job.kind).bind(job.payload.to_string())
                .bind(job.dedup_key).bind(now_ms).fetch_optional(&mut *tx).await?;
            // A job with the key already waits (an update queued by other means): it serves the
            // slot too; the claim still stands.
            let created = row.map(|r| id::<JobId>(&r, "id")).transpose()?;
            tx.commit().await?;
            Ok(created)
        })
    }

    /// Queues a job at most once per `gap_ms` per key: not before `gap_ms` after the last job
    /// with this key was leased. Returns the queued job (an existing one when a job with the
    /// key already waits) and whether it is new.
    pub async fn enqueue_debounced(
        &self,
        job: NewJob<'_>,
        now_ms: i64,
        gap_ms: i64,
    ) -> Result<(JobId, bool), StoreError> {
        let last = "SELECT MAX(leased_at_ms) AS last FROM jobs WHERE dedup_key = $1";
        let last_leased = with_pool!(self, pool => {
            sqlx::query(last).bind(job.dedup_key).fetch_one(pool).await?.opt_int("last")?
        });
        let run_at = last_leased.map_or(now_ms, |last| now_ms.max(last + gap_ms));
        self.enqueue_job(job.kind, job.payload, Some(job.dedup_key), run_at)
            .await
    }

    /// Jobs waiting for a worker (due or not).
    pub async fn queue_depth(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued'";
        with_pool!(self, pool => sqlx::query(sql).fetch_one(pool).await?.int("n"))
    }

    /// Replaces the secret NetSuite notifications of an integration are signed with (sealed
    /// under the master key, bound to the company and the integration), audited.
    pub async fn set_hook_secret(
        &self,
        key: &MasterKey,
        integration: IntegrationId,
        secret: &[u8],
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let company = self.integration(integration).await?.company;
        let sealed = key.seal(&hook_secret_aad(company.get(), integration.get()), secret);
        let sql = "UPDATE integrations SET hook_secret = $2 WHERE id = $1";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_sql()).await?;
            sqlx::query(sql).bind(integration.get()).bind(sealed).execute(&mut *tx).await?;
            append_audit_in!(&mut *tx, &audit.entry(format!("integration {integration}")));
            tx.commit().await?;
        });
        Ok(())
    }

    /// The notification secret of an integration, if one was made. `NotFound` when the
    /// integration does not exist.
    pub async fn hook_secret(
        &self,
        key: &MasterKey,
        integration: IntegrationId,
    ) -> Result<Option<SecretSlice<u8>>, StoreError> {
        let sql = "SELECT company_id, hook_secret FROM integrations WHERE id = $1";
        let not_found = StoreError::NotFound {
            what: "integration",
            id: integration.get(),
        };
        let (company, sealed) = with_pool!(self, pool => {
            let row = sqlx::query(sql).bind(integration.get()).fetch_optional(pool).await?.ok_or(not_found)?;
            (row.int("company_id")?, row.opt_bytes("hook_secret")?)
        });
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = key
            .open(&hook_secret_aad(company, integration.get()), &sealed)
            .ok_or(StoreError::Decrypt(integration))?;
        Ok(Some(plain.into()))
    }

    /// Records an accepted notification's signature; `false` when it was seen already (a
    /// replay). Records older than `keep_ms` are dropped on the way: their timestamps are too
    /// old to be accepted anyway.
    pub async fn record_hook_delivery(
        &self,
        integration: IntegrationId,
        signature: &str,
        now_ms: i64,
        keep_ms: i64,
    ) -> Result<bool, StoreError> {
        let prune = "DELETE FROM hook_deliveries WHERE received_at_ms < $1";
        let insert = "INSERT INTO hook_deliveries (integration_id, signature, received_at_ms) \
                      VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
        let inserted = with_pool!(self, pool => {
            sqlx::query(prune).bind(now_ms - keep_ms).execute(pool).await?;
            sqlx::query(insert).bind(integration.get()).bind(signature).bind(now_ms)
                .execute(pool).await?.rows_affected()
        });
        Ok(inserted == 1)
    }
}

fn scheduled_from_row(row: &impl Cols) -> Result<ScheduledIntegration, StoreError> {
    let settings: IntegrationSettings =
        serde_json::from_str(&row.text("settings")?).map_err(StoreError::corrupt)?;
    Ok(ScheduledIntegration {
        integration: id(row, "id")?,
        company: id(row, "company_id")?,
        time_zone: TimeZone::parse(&row.text("time_zone")?).map_err(StoreError::corrupt)?,
        auto_update: settings.auto_update,
        after_ms: row.int("schedule_after_ms")?,
    })
}
