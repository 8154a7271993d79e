//! The rows an account starts with: hand-made or generated (deterministic by seed).

mod generator;
pub(crate) mod names;

use chrono::{DateTime, TimeZone, Utc};

pub use generator::GeneratorSpec;

/// A subsidiary (OneWorld only).
#[derive(Debug, Clone, PartialEq)]
pub struct SubsidiaryRow {
    /// Internal id.
    pub id: i64,
    /// Name (the `fullname` column is built from the parents' names).
    pub name: String,
    /// Parent subsidiary; `None` for the root.
    pub parent: Option<i64>,
    /// Inactive flag.
    pub is_inactive: bool,
    /// Elimination subsidiaries are bookkeeping devices, not trading entities.
    pub is_elimination: bool,
    /// ISO country code.
    pub country: String,
    /// Last change.
    pub last_modified: DateTime<Utc>,
}

/// A customer: a company (`company_name`) or a person (first/middle/last name, no company name).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    /// Internal id (customers and projects share one id space, as entities do in NetSuite).
    pub id: i64,
    /// Customer ID as shown in NetSuite (`entityid`).
    pub entity_id: String,
    /// Company Name; `None` for individuals.
    pub company_name: Option<String>,
    /// Individual (`T`) or company (`F`).
    pub is_person: bool,
    /// Individuals' first name.
    pub first_name: Option<String>,
    /// Individuals' middle name.
    pub middle_name: Option<String>,
    /// Individuals' last name.
    pub last_name: Option<String>,
    /// Inactive flag.
    pub is_inactive: bool,
    /// Parent customer of a sub-customer.
    pub parent: Option<i64>,
    /// Primary subsidiary (OneWorld only); also listed in the relationship rows.
    pub subsidiary: Option<i64>,
    /// E-mail address.
    pub email: Option<String>,
    /// Lead, prospect or customer (`searchstage`).
    pub stage: Stage,
    /// Customer status id (`entitystatus`): one of [`CUSTOMER_STATUSES`] of the same stage.
    pub status: i64,
    /// Creation time.
    pub date_created: DateTime<Utc>,
    /// Last change.
    pub last_modified: DateTime<Utc>,
}

/// A project (`job`): its parent is a customer or another project.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRow {
    /// Internal id (shared id space with customers).
    pub id: i64,
    /// The project number (`entityid`).
    pub entity_id: String,
    /// Project Name (`companyname`).
    pub name: String,
    /// Parent customer or project.
    pub parent: i64,
    /// The project's own subsidiary (OneWorld only).
    pub subsidiary: Option<i64>,
    /// Inactive flag.
    pub is_inactive: bool,
    /// Project status id: one of [`PROJECT_STATUSES`] (1 is Closed).
    pub entity_status: i64,
    /// Creation time.
    pub date_created: DateTime<Utc>,
    /// Last change.
    pub last_modified: DateTime<Utc>,
}

/// A `customersubsidiaryrelationship` row: customer `entity` may be used in `subsidiary`.
#[derive(Debug, Clone, PartialEq)]
pub struct RelationshipRow {
    /// Internal id.
    pub id: i64,
    /// The customer.
    pub entity: i64,
    /// The subsidiary.
    pub subsidiary: i64,
    /// Whether this is the customer's primary subsidiary.
    pub is_primary: bool,
    /// Last change.
    pub last_modified: DateTime<Utc>,
}

/// A customer record's stage in the sales cycle. NetSuite keeps leads, prospects and customers
/// in one record type; `searchstage` says which (Oracle, "Understanding Leads, Prospects, and
/// Customers", section_N394436; capture `"searchstage": "Customer"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// A lead.
    Lead,
    /// A prospect.
    Prospect,
    /// A customer.
    Customer,
}

impl Stage {
    /// The `searchstage` text: `Lead`, `Prospect`, `Customer` (only `Customer` is seen in a
    /// capture; the other two follow the same form: docs/netsuite-emulator.md).
    pub fn text(self) -> &'static str {
        match self {
            Self::Lead => "Lead",
            Self::Prospect => "Prospect",
            Self::Customer => "Customer",
        }
    }

    /// The status a record converted to this stage gets when none is named.
    pub fn default_status(self) -> i64 {
        match self {
            Self::Lead => 6,
            Self::Prospect => 8,
            Self::Customer => 13,
        }
    }

    /// The order of the sales cycle: a lead becomes a prospect, a prospect a customer.
    pub fn rank(self) -> u8 {
        match self {
            Self::Lead => 0,
            Self::Prospect => 1,
            Self::Customer => 2,
        }
    }
}

/// One row of the account's status lists (SuiteQL `entitystatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRow {
    /// The status id (`key`), what `entitystatus` on a customer or project holds.
    pub key: i64,
    /// Its label.
    pub name: &'static str,
    /// The customer stage it belongs to; `None` for a project status.
    pub stage: Option<Stage>,
    /// The probability in percent (customer statuses).
    pub probability: u8,
}

const fn customer_status(key: i64, name: &'static str, stage: Stage, probability: u8) -> StatusRow {
    StatusRow {
        key,
        name,
        stage: Some(stage),
        probability,
    }
}

const fn project_status(key: i64, name: &'static str) -> StatusRow {
    StatusRow {
        key,
        name,
        stage: None,
        probability: 0,
    }
}

/// NetSuite's default customer statuses (Setup > Sales > Customer Statuses), ids as a new
/// account numbers them: 13 is "Closed Won" with stage Customer (capture); the others are
/// account data whose ids vary (docs/netsuite-emulator.md).
pub const CUSTOMER_STATUSES: &[StatusRow] = &[
    customer_status(6, "Unqualified", Stage::Lead, 10),
    customer_status(7, "Qualified", Stage::Lead, 20),
    customer_status(8, "In Discussion", Stage::Prospect, 30),
    customer_status(9, "Identified Decision Makers", Stage::Prospect, 40),
    customer_status(10, "Proposal", Stage::Prospect, 50),
    customer_status(11, "In Negotiation", Stage::Prospect, 75),
    customer_status(12, "Purchasing", Stage::Prospect, 90),
    customer_status(13, "Closed Won", Stage::Customer, 100),
    customer_status(15, "Renewal", Stage::Customer, 100),
    customer_status(16, "Lost Customer", Stage::Customer, 0),
];

/// NetSuite's default project statuses (REST `job.entityStatus`, enum ids 1 to 5; labels are
/// account data).
pub const PROJECT_STATUSES: &[StatusRow] = &[
    project_status(1, "Closed"),
    project_status(2, "In Progress"),
    project_status(3, "Not Awarded"),
    project_status(4, "Pending"),
    project_status(5, "Awarded"),
];

/// The project status id of "Closed".
pub const PROJECT_CLOSED: i64 = 1;

/// Which kind of entity a row of `deletedrecord` or a mutation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// `customer`.
    Customer,
    /// `job` (a project).
    Project,
}

impl RecordKind {
    /// NetSuite's record type id: `customer` or `job`.
    pub fn type_id(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Project => "job",
        }
    }

    /// NetSuite's label: `Customer` or `Project`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Customer => "Customer",
            Self::Project => "Project",
        }
    }
}

/// A `deletedrecord` row.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedRow {
    /// The deleted record's id.
    pub record_id: i64,
    /// Its kind.
    pub kind: RecordKind,
    /// Its name when deleted.
    pub name: String,
    /// When it was deleted.
    pub deleted: DateTime<Utc>,
}

/// Everything an account holds when it starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// Subsidiaries (ignored by non-OneWorld accounts).
    pub subsidiaries: Vec<SubsidiaryRow>,
    /// Customers, parents before children.
    pub customers: Vec<CustomerRow>,
    /// Projects, parents before children (ignored when Projects is off).
    pub projects: Vec<ProjectRow>,
    /// Customer-subsidiary links, primary and secondary.
    pub relationships: Vec<RelationshipRow>,
    /// Deleted records.
    pub deleted: Vec<DeletedRow>,
}

impl Dataset {
    /// A few hundred records over five subsidiaries (one of them an elimination subsidiary),
    /// with every awkward shape of the large dataset plus an HTML-injection name.
    pub fn demo(seed: u64) -> Self {
        generator::generate(&GeneratorSpec::demo(seed))
    }

    /// 50,000 customers and 250,000 projects over 3 subsidiaries.
    pub fn large(seed: u64) -> Self {
        generator::generate(&GeneratorSpec::large(seed))
    }

    /// Any size.
    pub fn generate(spec: &GeneratorSpec) -> Self {
        generator::generate(spec)
    }

    /// The latest time any generated row was created, modified or deleted: an emulated clock
    /// should start after it (generated data ends before 2025-07-01T00:00:00Z).
    pub fn latest_change(&self) -> DateTime<Utc> {
        let times = self.customers.iter().map(|c| c.last_modified);
        let times = times.chain(self.projects.iter().map(|p| p.last_modified));
        let times = times.chain(self.deleted.iter().map(|d| d.deleted));
        times
            .max()
            .unwrap_or_else(|| Utc.timestamp_opt(0, 0).single().unwrap_or_default())
    }
}

/// The instant generated data ends; a good emulated "now" for a freshly loaded account.
pub fn default_clock_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}
