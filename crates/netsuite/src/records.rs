//! What each read selects, and how its rows become typed values. Pure: no I/O.

use chrono_tz::Tz;

use crate::decode::{RawRow, RowError, DATETIME_FORMAT_SQL};
use crate::model::{
    Customer, Deletion, Project, ProjectStatus, RecordId, RecordKind, Subsidiary, SubsidiaryId,
    SubsidiaryLink,
};
use crate::plan::{Bucket, IdStats};

/// What decoding needs to know about the account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecodeCtx {
    pub tz: Tz,
}

/// One table read by keyset pages: `SELECT {select} FROM {from} WHERE {key} > a AND {key} <= b
/// [AND {filter}] ORDER BY {key}`. The key is always selected as `id`.
#[derive(Debug, Clone)]
pub(crate) struct TableQuery {
    pub table: &'static str,
    pub from: &'static str,
    pub key: &'static str,
    pub select: String,
    pub filter: Option<String>,
}

fn lastmodified(alias: &str) -> String {
    format!("TO_CHAR({alias}.lastmodifieddate, '{DATETIME_FORMAT_SQL}') AS lastmodified")
}

impl TableQuery {
    /// The page query for ids in `(after, upto]`.
    pub fn page(&self, after: i64, upto: i64) -> String {
        let mut q = format!(
            "SELECT {} FROM {} WHERE {} > {after}",
            self.select, self.from, self.key
        );
        if upto < i64::MAX {
            q.push_str(&format!(" AND {} <= {upto}", self.key));
        }
        if let Some(filter) = &self.filter {
            q.push_str(&format!(" AND ({filter})"));
        }
        q.push_str(&format!(" ORDER BY {}", self.key));
        q
    }

    /// The cheap query that sizes a split read.
    pub fn stats(&self) -> String {
        let mut q = format!(
            "SELECT MIN({k}) AS minid, MAX({k}) AS maxid, COUNT(*) AS total FROM {}",
            self.from,
            k = self.key
        );
        if let Some(filter) = &self.filter {
            q.push_str(&format!(" WHERE ({filter})"));
        }
        q
    }

    /// [`TableQuery::stats`] per bucket of `width` ids (see [`crate::plan::Bucket`]):
    /// `TRUNC` and `GROUP BY` are both in SuiteQL's supported set, and the answer is one row per
    /// bucket that has rows.
    pub fn histogram(&self, width: i64) -> String {
        let bucket = format!("TRUNC({} / {width})", self.key);
        format!("{} GROUP BY {bucket} ORDER BY {bucket}", self.stats())
    }

    /// Customers; with subsidiary columns only on OneWorld accounts, which are the only ones that
    /// have them.
    pub fn customers(one_world: bool, filter: Option<String>) -> Self {
        let mut select = "c.id, c.entityid, c.companyname, c.isperson, c.firstname, c.middlename, \
                          c.lastname, c.isinactive, c.parent, c.searchstage, c.entitystatus"
            .to_owned();
        if one_world {
            select.push_str(", c.subsidiary");
        }
        select.push_str(&format!(", {}", lastmodified("c")));
        Self {
            table: "customer",
            from: "customer c",
            key: "c.id",
            select,
            filter,
        }
    }

    /// Projects (`job`).
    pub fn projects(one_world: bool, filter: Option<String>) -> Self {
        let mut select =
            "j.id, j.entityid, j.companyname, j.parent, j.customer, j.isinactive, j.entitystatus, \
             BUILTIN.DF(j.entitystatus) AS statusname"
                .to_owned();
        if one_world {
            select.push_str(", j.subsidiary");
        }
        select.push_str(&format!(", {}", lastmodified("j")));
        Self {
            table: "job",
            from: "job j",
            key: "j.id",
            select,
            filter,
        }
    }

    /// Customer-subsidiary relationship rows.
    pub fn links(filter: Option<String>) -> Self {
        let select = format!(
            "r.id, r.entity, r.subsidiary, r.isprimarysub, {}",
            lastmodified("r")
        );
        Self {
            table: "customersubsidiaryrelationship",
            from: "customersubsidiaryrelationship r",
            key: "r.id",
            select,
            filter,
        }
    }

    /// Deleted customers and projects. `recordid` is the keyset key: customers and projects
    /// share NetSuite's entity id space.
    pub fn deletions(filter: String) -> Self {
        let select = format!(
            "d.recordid AS id, d.recordtypeid, d.type, TO_CHAR(d.deleteddate, '{DATETIME_FORMAT_SQL}') AS deleted"
        );
        Self {
            table: "deletedrecord",
            from: "deletedrecord d",
            key: "d.recordid",
            select,
            filter: Some(format!(
                "d.recordtypeid IN ('customer', 'job') AND {filter}"
            )),
        }
    }
}

/// The subsidiaries query (small: one plain read, elimination subsidiaries left out).
pub(crate) const SUBSIDIARIES: &str =
    "SELECT s.id, s.name, s.fullname, s.parent, s.isinactive, s.iselimination \
     FROM subsidiary s WHERE s.iselimination = 'F' ORDER BY s.id";

pub(crate) fn customer(row: &RawRow, ctx: DecodeCtx) -> Result<Customer, RowError> {
    Ok(Customer {
        id: RecordId(row.required_id("id")?),
        entity_id: row.required_text("entityid")?,
        company_name: row.text("companyname")?,
        is_person: row.flag("isperson")?,
        first_name: row.text("firstname")?,
        middle_name: row.text("middlename")?,
        last_name: row.text("lastname")?,
        is_inactive: row.flag("isinactive")?,
        parent: row.id("parent")?.map(RecordId),
        primary_subsidiary: row.id("subsidiary")?.map(SubsidiaryId),
        stage: row.text("searchstage")?,
        status: row.id("entitystatus")?,
        last_modified: row.required_datetime("lastmodified", ctx.tz)?,
    })
}

pub(crate) fn project(row: &RawRow, ctx: DecodeCtx) -> Result<Project, RowError> {
    Ok(Project {
        id: RecordId(row.required_id("id")?),
        entity_id: row.required_text("entityid")?,
        name: row.text("companyname")?,
        parent: row.id("parent")?.map(RecordId),
        customer: row.id("customer")?.map(RecordId),
        subsidiary: row.id("subsidiary")?.map(SubsidiaryId),
        is_inactive: row.flag("isinactive")?,
        status: row.id("entitystatus")?,
        status_name: row.text("statusname")?,
        last_modified: row.required_datetime("lastmodified", ctx.tz)?,
    })
}

/// The project statuses query (a short list: one page).
pub(crate) const PROJECT_STATUSES: &str =
    "SELECT es.key, es.name, es.inactive FROM entitystatus es \
     WHERE es.entitytype = 'JOB' ORDER BY es.key";

pub(crate) fn project_status(row: &RawRow) -> Result<ProjectStatus, RowError> {
    Ok(ProjectStatus {
        id: row.required_id("key")?,
        name: row.required_text("name")?,
        is_inactive: row.flag("inactive")?,
    })
}

pub(crate) fn link(row: &RawRow, ctx: DecodeCtx) -> Result<SubsidiaryLink, RowError> {
    Ok(SubsidiaryLink {
        customer: RecordId(row.required_id("entity")?),
        subsidiary: SubsidiaryId(row.required_id("subsidiary")?),
        is_primary: row.flag("isprimarysub")?,
        last_modified: row.datetime("lastmodified", ctx.tz)?,
    })
}

pub(crate) fn deletion(row: &RawRow, ctx: DecodeCtx) -> Result<Deletion, RowError> {
    let type_id = row
        .text("recordtypeid")?
        .unwrap_or_default()
        .to_ascii_lowercase();
    let label = row.text("type")?.unwrap_or_default().to_ascii_lowercase();
    let kind = match (type_id.as_str(), label.as_str()) {
        ("customer", _) | (_, "customer") => RecordKind::Customer,
        ("job", _) | (_, "project") | (_, "job") => RecordKind::Project,
        _ => return Err(row.error(format!("unknown deleted record type {type_id:?}"))),
    };
    Ok(Deletion {
        kind,
        id: RecordId(row.required_id("id")?),
        at: row.required_datetime("deleted", ctx.tz)?,
    })
}

pub(crate) fn subsidiary(row: &RawRow) -> Result<Subsidiary, RowError> {
    Ok(Subsidiary {
        id: SubsidiaryId(row.required_id("id")?),
        name: row.required_text("name")?,
        full_name: row.text("fullname")?,
        parent: row.id("parent")?.map(SubsidiaryId),
        is_inactive: row.flag("isinactive")?,
    })
}

/// One row of [`TableQuery::histogram`]; `None` if it cannot be read.
pub(crate) fn histogram_bucket(row: &RawRow) -> Option<Bucket> {
    let stats = id_stats(row)?;
    (stats.count > 0).then_some(Bucket {
        first: stats.min,
        last: stats.max,
        rows: stats.count,
    })
}

/// The row of [`TableQuery::stats`]. `None` when unreadable, which only costs parallelism: the
/// read then goes through everything as one range.
pub(crate) fn id_stats(row: &RawRow) -> Option<IdStats> {
    let count = row
        .text("total")
        .ok()
        .flatten()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(0);
    match (row.id("minid"), row.id("maxid")) {
        (Ok(Some(min)), Ok(Some(max))) => Some(IdStats { min, max, count }),
        _ if count == 0 => Some(IdStats {
            min: 0,
            max: 0,
            count: 0,
        }),
        _ => None,
    }
}
