//! The append-only audit log of administrators' actions (the schema refuses updates and deletes).

use nsync_core::{CompanyId, UserId};

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

/// A recorded action.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Its position in the log.
    pub id: i64,
    /// The action.
    pub entry: NewAuditEntry,
}

impl Store {
    /// Appends an entry; returns its id.
    pub async fn append_audit(&self, entry: &NewAuditEntry) -> Result<i64, StoreError> {
        let sql =
            "INSERT INTO audit_log (company_id, actor_user_id, action, target, detail, at_ms) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        with_pool!(self, pool => Ok(sqlx::query(sql).bind(entry.company.get()).bind(entry.actor.map(UserId::get))
            .bind(&entry.action).bind(&entry.target).bind(entry.detail.to_string()).bind(entry.at_ms)
            .fetch_one(pool).await?.int("id")?))
    }

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
