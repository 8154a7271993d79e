//! The append-only audit log of administrators' actions (the schema refuses updates and deletes).
//!
//! An entry is never written on its own: every write an administrator (or the system acting for
//! them) makes takes an [`Audit`], and the store writes its entry in the transaction of the write
//! itself, naming the target it wrote. No action lands without its entry, and no entry without
//! its action.

use nsync_core::{CompanyId, RunId, UserId};

use crate::row::{id, opt_id, Cols};
use crate::store::with_pool;
use crate::{Store, StoreError};

/// An action to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    /// The company it happened in.
    pub company: CompanyId,
    /// Who did it (`None` for the system, e.g. the scheduler).
    pub actor: Option<UserId>,
    /// What was done, e.g. `confirm_update`.
    pub action: String,
    /// What it was done to, e.g. `run 42`.
    pub target: Option<String>,
    /// Details (never secrets).
    pub detail: serde_json::Value,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

/// Who acts, what they do, with what details: the half of an audit entry the caller knows. The
/// store adds the target (what it wrote) and details only the write knows (how many it marked).
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    /// The company it happens in.
    pub company: CompanyId,
    /// Who does it (`None` for the system, e.g. the command line or the scheduler).
    pub actor: Option<UserId>,
    /// What is done, e.g. `confirm_update`.
    pub action: &'static str,
    /// Details (never secrets): a JSON object.
    pub detail: serde_json::Map<String, serde_json::Value>,
    /// When, in milliseconds since the Unix epoch.
    pub at_ms: i64,
}

impl Audit {
    /// `action` by `actor` in `company` at `at_ms`, without details yet.
    pub fn new(
        company: CompanyId,
        actor: Option<UserId>,
        action: &'static str,
        at_ms: i64,
    ) -> Self {
        Self {
            company,
            actor,
            action,
            detail: serde_json::Map::new(),
            at_ms,
        }
    }

    /// With one more detail.
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.detail.insert(key.to_owned(), value.into());
        self
    }

    /// The entry, done to `target`.
    pub(crate) fn entry(&self, target: String) -> NewAuditEntry {
        NewAuditEntry {
            company: self.company,
            actor: self.actor,
            action: self.action.to_owned(),
            target: Some(target),
            detail: serde_json::Value::Object(self.detail.clone()),
            at_ms: self.at_ms,
        }
    }
}

pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (company_id, actor_user_id, action, target, detail, at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// Appends an entry through `$conn` (a transaction of either backend, inside `with_pool!`), so
/// it commits or rolls back with the write it records.
macro_rules! append_audit_in {
    ($conn:expr, $entry:expr) => {{
        let entry: &$crate::audit::NewAuditEntry = $entry;
        sqlx::query($crate::audit::INSERT_AUDIT)
            .bind(entry.company.get())
            .bind(entry.actor.map(nsync_core::UserId::get))
            .bind(&entry.action)
            .bind(&entry.target)
            .bind(entry.detail.to_string())
            .bind(entry.at_ms)
            .execute($conn)
            .await?;
    }};
}
pub(crate) use append_audit_in;

/// A recorded action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Its position in the log.
    pub id: i64,
    /// The action.
    pub entry: NewAuditEntry,
}

impl Store {
    /// A company's entries, newest first; pass the last id seen as `before` for the next page.
    pub async fn audit_log(
        &self,
        company: CompanyId,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let sql =
            "SELECT id, company_id, actor_user_id, action, target, detail, at_ms FROM audit_log \
                   WHERE company_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
        with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(company.get()).bind(before.unwrap_or(i64::MAX)).bind(i64::from(limit)).fetch_all(pool).await?;
            rows.iter().map(entry_from_row).collect()
        })
    }
}

impl Store {
    /// The e-mail address of each user of the company, for pages that name who did what.
    pub async fn user_emails(
        &self,
        company: CompanyId,
    ) -> Result<Vec<(UserId, String)>, StoreError> {
        let sql = "SELECT id, email FROM users WHERE company_id = $1 ORDER BY id";
        with_pool!(self, pool => {
            let rows = sqlx::query(sql).bind(company.get()).fetch_all(pool).await?;
            rows.iter().map(|r| Ok((id(r, "id")?, r.text("email")?))).collect()
        })
    }

    /// Who started each of these runs, for the runs a person started (the audit entry that
    /// started a run names it); runs the schedule, a notification or the CLI started have none.
    pub async fn run_starters(
        &self,
        company: CompanyId,
        runs: &[RunId],
    ) -> Result<Vec<(RunId, UserId)>, StoreError> {
        let mut found = Vec::new();
        for chunk in runs.chunks(200) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|n| format!("${}", n + 2)).collect();
            let sql = format!(
                "SELECT target, actor_user_id FROM audit_log WHERE company_id = $1 \
                 AND action IN ('start_import', 'start_update') AND actor_user_id IS NOT NULL \
                 AND target IN ({})",
                placeholders.join(", ")
            );
            let rows: Vec<(String, i64)> = with_pool!(self, pool => {
                let mut q = sqlx::query(&sql).bind(company.get());
                for run in chunk {
                    q = q.bind(format!("run {run}"));
                }
                let rows = q.fetch_all(pool).await?;
                rows.iter().map(|r| Ok((r.text("target")?, r.int("actor_user_id")?))).collect::<Result<_, StoreError>>()?
            });
            for (target, user) in rows {
                let run = target
                    .strip_prefix("run ")
                    .and_then(|n| n.parse::<i64>().ok())
                    .and_then(|n| RunId::new(n).ok());
                if let (Some(run), Ok(user)) = (run, UserId::new(user)) {
                    found.push((run, user));
                }
            }
        }
        Ok(found)
    }
}

fn entry_from_row(row: &impl Cols) -> Result<AuditEntry, StoreError> {
    let detail = row
        .opt_text("detail")?
        .map(|d| serde_json::from_str(&d))
        .transpose()
        .map_err(StoreError::corrupt)?;
    Ok(AuditEntry {
        id: row.int("id")?,
        entry: NewAuditEntry {
            company: id(row, "company_id")?,
            actor: opt_id(row, "actor_user_id")?,
            action: row.text("action")?,
            target: row.opt_text("target")?,
            detail: detail.unwrap_or(serde_json::Value::Null),
            at_ms: row.int("at_ms")?,
        },
    })
}
