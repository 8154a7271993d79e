//! The job queue: enqueue with a de-duplication key, lease with a visibility timeout,
//! heartbeat, complete, fail. Times are passed in (milliseconds since the Unix epoch) so the
//! scheduler and tests control the clock.

use nsync_core::JobId;

use crate::row::{id, Cols};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for its time and a worker.
    Queued,
    /// Leased by a worker (or its lease ran out and it waits to be leased again).
    Running,
    /// Done.
    Completed,
    /// Gave up.
    Failed,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        [Self::Queued, Self::Running, Self::Completed, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown job status {text:?}")))
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// What to do, e.g. `update`.
    pub kind: String,
    /// Its arguments.
    pub payload: serde_json::Value,
    /// At most one queued job has a given key (a running one does not count, so a job can
    /// be queued behind the one that runs).
    pub dedup_key: Option<String>,
    /// Where it stands.
    pub status: JobStatus,
    /// How many times it was leased.
    pub attempts: u32,
    /// Not before this time.
    pub run_at_ms: i64,
    /// The last failure's message.
    pub last_error: Option<String>,
}

/// A job leased by a worker: only the holder of `token` may heartbeat, complete or fail it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeasedJob {
    /// The job.
    pub job: Job,
    /// Proof of the lease.
    pub token: String,
    /// The lease runs out then, unless renewed by a heartbeat.
    pub leased_until_ms: i64,
    /// This lease took over one that ran out (its worker died or stalled).
    pub recovered: bool,
}

const JOB_COLUMNS: &str = "id, kind, payload, dedup_key, status, attempts, run_at_ms, last_error, lease_token, leased_until_ms, leased_from";

/// Queues a job unless a queued one has the same key; `$1` kind, `$2` payload, `$3` key,
/// `$4` not before (also the creation time).
pub(crate) const INSERT_JOB: &str =
    "INSERT INTO jobs (kind, payload, dedup_key, status, run_at_ms, created_at_ms) \
     VALUES ($1, $2, $3, 'queued', $4, $4) \
     ON CONFLICT (dedup_key) WHERE status = 'queued' DO NOTHING RETURNING id";

impl Store {
    /// Queues a job. With a `dedup_key` that a queued job already has, queues nothing and
    /// returns that job's id with `false`.
    pub async fn enqueue_job(
        &self,
        kind: &str,
        payload: &serde_json::Value,
        dedup_key: Option<&str>,
        run_at_ms: i64,
    ) -> Result<(JobId, bool), StoreError> {
        let insert = INSERT_JOB;
        let existing = "SELECT id FROM jobs WHERE dedup_key = $1 AND status = 'queued'";
        // The existing job may be leased between the two statements; then the insert succeeds.
        for _ in 0..3 {
            let created = with_pool!(self, pool => {
                let row = sqlx::query(insert).bind(kind).bind(payload.to_string()).bind(dedup_key).bind(run_at_ms).fetch_optional(pool).await?;
                row.map(|r| id::<JobId>(&r, "id")).transpose()?
            });
            if let Some(job) = created {
                return Ok((job, true));
            }
            let found = with_pool!(self, pool => {
                let row = sqlx::query(existing).bind(dedup_key).fetch_optional(pool).await?;
                row.map(|r| id::<JobId>(&r, "id")).transpose()?
            });
            if let Some(job) = found {
                return Ok((job, false));
            }
        }
        Err(StoreError::Corrupt(
            "a job's de-duplication key keeps changing hands".to_owned(),
        ))
    }

    /// Leases the next due job (queued and due, or running with an expired lease) for
    /// `visibility_ms`. On PostgreSQL, concurrent workers skip each other's rows
    /// (`FOR UPDATE SKIP LOCKED`); on SQLite the single statement is atomic. Kept rather than
    /// a queue crate: those (`apalis`, `sqlxmq`) bring their own schema and serve one backend;
    /// this claim lives in nsync's schema, on both, in one statement.
    pub async fn lease_job(
        &self,
        now_ms: i64,
        visibility_ms: i64,
    ) -> Result<Option<LeasedJob>, StoreError> {
        let lock = self.skip_locked();
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_token = $1, leased_until_ms = $2, \
                leased_at_ms = $3, leased_from = status \
             WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at_ms <= $3) \
                OR (status = 'running' AND leased_until_ms < $3) ORDER BY run_at_ms, id LIMIT 1 {lock}) \
             RETURNING {JOB_COLUMNS}"
        );
        let token = uuid::Uuid::new_v4().to_string();
        with_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(&token).bind(now_ms + visibility_ms).bind(now_ms).fetch_optional(pool).await?;
            row.map(|r| leased_from_row(&r)).transpose()
        })
    }

    /// Extends a lease to `now_ms + visibility_ms`.
    pub async fn heartbeat_job(
        &self,
        lease: &LeasedJob,
        now_ms: i64,
        visibility_ms: i64,
    ) -> Result<i64, StoreError> {
        let sql = "UPDATE jobs SET leased_until_ms = $3 WHERE id = $1 AND lease_token = $2 AND status = 'running'";
        let until = now_ms + visibility_ms;
        self.lease_write(lease, sql, |q| q.0.push(until)).await?;
        Ok(until)
    }

    /// Marks a leased job done.
    pub async fn complete_job(&self, lease: &LeasedJob, now_ms: i64) -> Result<(), StoreError> {
        let sql = "UPDATE jobs SET status = 'completed', finished_at_ms = $3, lease_token = NULL \
                   WHERE id = $1 AND lease_token = $2 AND status = 'running'";
        self.lease_write(lease, sql, |q| q.0.push(now_ms)).await
    }

    /// Records a failure: queued again at `retry_at_ms`, or failed for good when `None` (or
    /// when another job with its key is already queued, which then does the work).
    pub async fn fail_job(
        &self,
        lease: &LeasedJob,
        now_ms: i64,
        error: &str,
        retry_at_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let (sql, time) = match retry_at_ms {
            // When a job with the same key was queued meanwhile, that one will do the work:
            // this one ends, rather than break the one-queued-job-per-key rule.
            Some(at) => ("UPDATE jobs SET status = CASE WHEN EXISTS (SELECT 1 FROM jobs q \
                            WHERE q.dedup_key = jobs.dedup_key AND q.status = 'queued') THEN 'failed' ELSE 'queued' END, \
                          run_at_ms = $3, last_error = $4, lease_token = NULL \
                          WHERE id = $1 AND lease_token = $2 AND status = 'running'", at),
            None => ("UPDATE jobs SET status = 'failed', finished_at_ms = $3, last_error = $4, lease_token = NULL \
                      WHERE id = $1 AND lease_token = $2 AND status = 'running'", now_ms),
        };
        let error = error.to_owned();
        self.lease_write(lease, sql, |q| {
            q.0.push(time);
            q.1 = Some(error);
        })
        .await
    }

    /// A job by id.
    pub async fn job(&self, job: JobId) -> Result<Job, StoreError> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        let not_found = StoreError::NotFound {
            what: "job",
            id: job.get(),
        };
        with_pool!(self, pool => {
            let row = sqlx::query(&sql).bind(job.get()).fetch_optional(pool).await?.ok_or(not_found)?;
            job_from_row(&row)
        })
    }

    /// Runs an update guarded by the lease token; binds `$1` id, `$2` token, then the extra
    /// integer and optional text the closure provides.
    async fn lease_write(
        &self,
        lease: &LeasedJob,
        sql: &str,
        extra: impl FnOnce(&mut (Vec<i64>, Option<String>)),
    ) -> Result<(), StoreError> {
        let mut args = (Vec::new(), None);
        extra(&mut args);
        let done = with_pool!(self, pool => {
            let mut q = sqlx::query(sql).bind(lease.job.id.get()).bind(&lease.token);
            for value in &args.0 {
                q = q.bind(*value);
            }
            if let Some(text) = &args.1 {
                q = q.bind(text);
            }
            q.execute(pool).await?.rows_affected()
        });
        if done == 0 {
            return Err(StoreError::LeaseLost(lease.job.id.get()));
        }
        Ok(())
    }
}

fn job_from_row(row: &impl Cols) -> Result<Job, StoreError> {
    Ok(Job {
        id: id(row, "id")?,
        kind: row.text("kind")?,
        payload: serde_json::from_str(&row.text("payload")?).map_err(StoreError::corrupt)?,
        dedup_key: row.opt_text("dedup_key")?,
        status: JobStatus::parse(&row.text("status")?)?,
        attempts: u32::try_from(row.int("attempts")?).map_err(StoreError::corrupt)?,
        run_at_ms: row.int("run_at_ms")?,
        last_error: row.opt_text("last_error")?,
    })
}

fn leased_from_row(row: &impl Cols) -> Result<LeasedJob, StoreError> {
    Ok(LeasedJob {
        job: job_from_row(row)?,
        token: row.opt_text("lease_token")?.unwrap_or_default(),
        leased_until_ms: row.opt_int("leased_until_ms")?.unwrap_or_default(),
        recovered: row.opt_text("leased_from")?.as_deref() == Some("running"),
    })
}
