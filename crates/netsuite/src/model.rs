//! The typed rows the client yields. Text is passed through as NetSuite sends it: nsync's own
//! naming rules live in nsync-core, not here.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A NetSuite internal id (customer, project, relationship row...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub i64);

/// A subsidiary's internal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SubsidiaryId(pub i64);

/// Why a string is not an internal id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a NetSuite internal id (a positive whole number)")]
pub struct IdError(pub String);

/// An internal id in the one form NetSuite writes it: decimal digits, no sign, no spaces, no
/// leading zero, within 64 bits. Anything else is not an id: read leniently, ` 12` or `012`
/// would be taken for record 12.
pub fn parse_netsuite_id(s: &str) -> Option<i64> {
    let digits = s.as_bytes();
    let well_formed = digits.first().is_some_and(|d| (b'1'..=b'9').contains(d))
        && digits.iter().all(u8::is_ascii_digit);
    well_formed.then(|| s.parse().ok()).flatten()
}

fn parse_id(s: &str) -> Result<i64, IdError> {
    parse_netsuite_id(s).ok_or_else(|| IdError(s.chars().take(40).collect()))
}

impl FromStr for RecordId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_id(s).map(Self)
    }
}

impl FromStr for SubsidiaryId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_id(s).map(Self)
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for SubsidiaryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which records a read covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Records associated with one subsidiary (OneWorld accounts).
    Subsidiary(SubsidiaryId),
    /// The whole account (non-OneWorld accounts, which have no subsidiaries).
    Account,
}

/// What `probe` learned about an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountFacts {
    /// The account the credentials reached.
    pub account: String,
    /// OneWorld accounts have subsidiaries; others are read without a subsidiary filter.
    pub one_world: bool,
    /// Whether the Projects feature is on (the `job` table exists).
    pub projects_enabled: bool,
    /// The account time zone that dates are converted from (IANA name).
    pub time_zone: String,
    /// Whether the role could read everything nsync needs (customers, and projects/subsidiaries
    /// where those exist, and deleted records).
    pub permissions_ok: bool,
    /// What is missing or off, each in words a person can act on.
    pub warnings: Vec<String>,
}

/// A subsidiary (elimination subsidiaries are never returned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subsidiary {
    /// Internal id.
    pub id: SubsidiaryId,
    /// Name.
    pub name: String,
    /// Name with its ancestors, `Parent : Child`, when NetSuite gives it.
    pub full_name: Option<String>,
    /// Parent subsidiary.
    pub parent: Option<SubsidiaryId>,
    /// Inactive in NetSuite.
    pub is_inactive: bool,
}

/// A customer (company or individual, top level or sub-customer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Internal id.
    pub id: RecordId,
    /// Customer ID as entered or auto-numbered.
    pub entity_id: String,
    /// Company name; `None` for individuals.
    pub company_name: Option<String>,
    /// An individual rather than a company.
    pub is_person: bool,
    /// First name (individuals).
    pub first_name: Option<String>,
    /// Middle name (individuals).
    pub middle_name: Option<String>,
    /// Last name (individuals).
    pub last_name: Option<String>,
    /// Inactive in NetSuite.
    pub is_inactive: bool,
    /// Parent customer of a sub-customer.
    pub parent: Option<RecordId>,
    /// Primary subsidiary (`None` in non-OneWorld accounts).
    pub primary_subsidiary: Option<SubsidiaryId>,
    /// `searchstage` as NetSuite sends it (`Lead`, `Prospect`, `Customer`); see [`Stage::parse`].
    pub stage: Option<String>,
    /// The customer status id (`entitystatus`).
    pub status: Option<i64>,
    /// Last modification, converted from the account's time zone.
    pub last_modified: DateTime<Utc>,
}

/// A project (NetSuite `job`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Internal id.
    pub id: RecordId,
    /// The project number (`entityid`).
    pub entity_id: String,
    /// The project name (`companyname`).
    pub name: Option<String>,
    /// Parent: the customer, or the parent project of a sub-project.
    pub parent: Option<RecordId>,
    /// The customer the project belongs to, when NetSuite gives it.
    pub customer: Option<RecordId>,
    /// The project's own subsidiary (`None` in non-OneWorld accounts).
    pub subsidiary: Option<SubsidiaryId>,
    /// Inactive in NetSuite.
    pub is_inactive: bool,
    /// The project status id (`entitystatus`): one of the account's [`ProjectStatus`]es.
    pub status: Option<i64>,
    /// The status's name (`BUILTIN.DF(entitystatus)`), so a run needs no list of statuses;
    /// `None` for an id the account does not have.
    pub status_name: Option<String>,
    /// Last modification, converted from the account's time zone.
    pub last_modified: DateTime<Utc>,
}

/// One of the account's project statuses (Closed, In Progress, ...: labels and ids are account
/// data), from SuiteQL's `entitystatus` with `entitytype = 'JOB'`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStatus {
    /// The id a project's `entitystatus` holds (`key`).
    pub id: i64,
    /// Its label.
    pub name: String,
    /// Inactive in NetSuite (no longer offered for new projects; projects may still have it).
    pub is_inactive: bool,
}

/// A customer record's stage. NetSuite keeps leads, prospects and customers in one record
/// type, `customer`, told apart by `searchstage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    /// Reads `searchstage`. Only `Customer` is in a capture; the match ignores case so that
    /// `CUSTOMER` (the form of the record's `stage` field) reads the same. `None` for a value
    /// nobody documented.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "LEAD" => Some(Self::Lead),
            "PROSPECT" => Some(Self::Prospect),
            "CUSTOMER" => Some(Self::Customer),
            _ => None,
        }
    }

    /// The upper-case form the read filter compares with.
    pub fn upper(self) -> &'static str {
        match self {
            Self::Lead => "LEAD",
            Self::Prospect => "PROSPECT",
            Self::Customer => "CUSTOMER",
        }
    }
}

/// Which stages a customer read includes: customers always, prospects and leads when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stages {
    /// Include prospects.
    pub prospects: bool,
    /// Include leads.
    pub leads: bool,
}

impl Stages {
    /// Customers only.
    pub const CUSTOMERS: Stages = Stages {
        prospects: false,
        leads: false,
    };

    /// Whether a record of `stage` is included.
    pub fn includes(self, stage: Stage) -> bool {
        match stage {
            Stage::Customer => true,
            Stage::Prospect => self.prospects,
            Stage::Lead => self.leads,
        }
    }

    /// Whether a read of these stages took every stage of `wanted` too.
    pub fn covers(self, wanted: Stages) -> bool {
        (self.prospects || !wanted.prospects) && (self.leads || !wanted.leads)
    }

    /// The SuiteQL condition on `{alias}.searchstage`: compared in upper case, so whichever case
    /// the account's SuiteQL renders the stage in, the filter holds.
    pub fn condition(self, alias: &str) -> String {
        let stages: Vec<String> = [Stage::Customer, Stage::Prospect, Stage::Lead]
            .into_iter()
            .filter(|s| self.includes(*s))
            .map(|s| format!("'{}'", s.upper()))
            .collect();
        format!("UPPER({alias}.searchstage) IN ({})", stages.join(", "))
    }
}

/// A customer's association with a subsidiary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubsidiaryLink {
    /// The customer.
    pub customer: RecordId,
    /// The subsidiary.
    pub subsidiary: SubsidiaryId,
    /// Whether this is the customer's primary subsidiary.
    pub is_primary: bool,
    /// Last modification when NetSuite gives it.
    pub last_modified: Option<DateTime<Utc>>,
}

/// The kind of a deleted record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// A customer.
    Customer,
    /// A project.
    Project,
}

/// A deleted customer or project from `deletedrecord`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    /// What was deleted.
    pub kind: RecordKind,
    /// Its internal id.
    pub id: RecordId,
    /// When, converted from the account's time zone.
    pub at: DateTime<Utc>,
}

/// One changed record from `changes_since`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Change {
    /// A customer created or modified since the cursor.
    Customer(Customer),
    /// A project created or modified since the cursor.
    Project(Project),
    /// A subsidiary link created or modified since the cursor.
    Link(SubsidiaryLink),
}

impl Change {
    /// When the change was made, if known.
    pub fn last_modified(&self) -> Option<DateTime<Utc>> {
        match self {
            Change::Customer(c) => Some(c.last_modified),
            Change::Project(p) => Some(p.last_modified),
            Change::Link(l) => l.last_modified,
        }
    }
}
