//! Changes to an account's data, as the emulator's control API asks for them.

use crate::{RecordKind, Stage};
use serde::{Deserialize, Serialize};

/// Whether a write is checked against NetSuite's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Refuse what NetSuite refuses: names over the limits, empty names, control characters,
    /// missing or unsuitable parents and subsidiaries, parent cycles, deleting a record with children.
    #[default]
    Strict,
    /// Store whatever SQLite can store, to seed bad upstream data for tests.
    Raw,
}

/// A person's name (individual customers have no company name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    /// First name.
    pub first: String,
    /// Middle name.
    #[serde(default)]
    pub middle: Option<String>,
    /// Last name.
    pub last: String,
}

/// A customer to create: a company (`company_name`) or an individual (`person`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NewCustomer {
    /// Internal id; the next free entity id when `None`.
    #[serde(default)]
    pub id: Option<i64>,
    /// Customer ID (`entityid`); generated from the id when `None`.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Company Name (companies).
    #[serde(default)]
    pub company_name: Option<String>,
    /// First/middle/last name (individuals).
    #[serde(default)]
    pub person: Option<PersonName>,
    /// Parent customer (sub-customers).
    #[serde(default)]
    pub parent: Option<i64>,
    /// Primary subsidiary (OneWorld: required in strict mode).
    #[serde(default)]
    pub subsidiary: Option<i64>,
    /// Start inactive.
    #[serde(default)]
    pub is_inactive: bool,
    /// Lead, prospect or customer (customer when `None`).
    #[serde(default)]
    pub stage: Option<Stage>,
    /// Customer status id; the stage's default status when `None`. Strict mode wants a customer
    /// status of the record's stage.
    #[serde(default)]
    pub status: Option<i64>,
}

/// A project to create under a customer or another project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NewProject {
    /// Internal id; the next free entity id when `None`.
    #[serde(default)]
    pub id: Option<i64>,
    /// Project number (`entityid`); generated from the id when `None`.
    #[serde(default)]
    pub entity_id: Option<String>,
    /// Project Name (`companyname`).
    pub name: String,
    /// Parent customer or project.
    pub parent: i64,
    /// The project's subsidiary; the parent's when `None`.
    #[serde(default)]
    pub subsidiary: Option<i64>,
    /// Start inactive.
    #[serde(default)]
    pub is_inactive: bool,
    /// Project status id (In Progress when `None`).
    #[serde(default)]
    pub status: Option<i64>,
}

/// One change. Every change bumps `lastmodifieddate` of what it touches to the caller's `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Mutation {
    /// Create a customer.
    CreateCustomer(NewCustomer),
    /// Create a project.
    CreateProject(NewProject),
    /// Set a company customer's Company Name or a project's Project Name.
    Rename {
        /// Customer or project.
        kind: RecordKind,
        /// Its id.
        id: i64,
        /// The new name.
        name: String,
    },
    /// Set an individual customer's names.
    RenamePerson {
        /// The customer's id.
        id: i64,
        /// The new names.
        name: PersonName,
    },
    /// Make a record inactive or active again.
    SetInactive {
        /// Customer or project.
        kind: RecordKind,
        /// Its id.
        id: i64,
        /// `true` = inactive.
        inactive: bool,
    },
    /// Give a record a new parent (a project needs one; a customer may become top-level).
    Move {
        /// Customer or project.
        kind: RecordKind,
        /// Its id.
        id: i64,
        /// The new parent.
        parent: Option<i64>,
    },
    /// Delete a record; it shows up in `deletedrecord`.
    Delete {
        /// Customer or project.
        kind: RecordKind,
        /// Its id.
        id: i64,
    },
    /// Add a secondary subsidiary to a customer.
    LinkSubsidiary {
        /// The customer.
        customer: i64,
        /// The subsidiary.
        subsidiary: i64,
    },
    /// Remove a secondary subsidiary from a customer (strict mode refuses the primary one).
    UnlinkSubsidiary {
        /// The customer.
        customer: i64,
        /// The subsidiary.
        subsidiary: i64,
    },
    /// Change a customer's primary subsidiary (the old primary stays as a secondary link).
    SetPrimarySubsidiary {
        /// The customer.
        customer: i64,
        /// The subsidiary.
        subsidiary: i64,
    },
    /// Convert a lead or a prospect: it takes the stage and that stage's default status. Strict
    /// mode only goes forward (lead, prospect, customer), as NetSuite's conversions do.
    Convert {
        /// The customer record.
        id: i64,
        /// Its new stage.
        stage: Stage,
    },
    /// Set a customer's or a project's status (`entitystatus`). A customer status carries its
    /// stage, so a customer takes the status's stage too. Strict mode wants a status of the
    /// record's kind; raw mode stores any id, known or not (the stage then stays).
    SetStatus {
        /// Customer or project.
        kind: RecordKind,
        /// Its id.
        id: i64,
        /// The status id.
        status: i64,
    },
    /// Move a project to another subsidiary.
    SetProjectSubsidiary {
        /// The project.
        project: i64,
        /// The subsidiary.
        subsidiary: i64,
    },
    /// Make a subsidiary inactive or active again (OneWorld).
    SetSubsidiaryInactive {
        /// The subsidiary.
        subsidiary: i64,
        /// `true` = inactive.
        inactive: bool,
    },
    /// Delete a subsidiary (OneWorld). Strict mode refuses one that customers, projects,
    /// customer links or child subsidiaries still point at; raw mode leaves them dangling.
    DeleteSubsidiary {
        /// The subsidiary.
        subsidiary: i64,
    },
}

/// What a successful change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The id of the record created or changed.
    pub id: i64,
}
