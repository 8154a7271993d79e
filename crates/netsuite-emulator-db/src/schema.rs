//! The tables SuiteQL can see, their columns and value kinds, and the SQLite DDL behind them.
//!
//! SQLite always holds every table and column; the account's switches (OneWorld, Projects) only
//! decide what the SuiteQL translator and the record layer let a client see.

use crate::SchemaOptions;

/// How a column's values are stored and rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// INTEGER, rendered as a decimal string.
    Int,
    /// TEXT, rendered as is.
    Text,
    /// TEXT `T`/`F`, rendered as is (the record API turns it into a JSON boolean).
    Bool,
    /// TEXT `YYYY-MM-DD HH:MM:SS` in UTC; SuiteQL renders it date-only in the account's zone.
    DateTime,
    /// INTEGER id of a row of the named table.
    Ref(&'static str),
    /// An expression whose kind the translator does not track.
    Unknown,
}

/// One visible column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
    /// Visible only in OneWorld accounts.
    pub one_world: bool,
}

/// One visible table.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    pub needs_one_world: bool,
    pub needs_projects: bool,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        one_world: false,
    }
}

const fn ow(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        one_world: true,
    }
}

use Kind::{Bool, DateTime, Int, Ref, Text};

const SUBSIDIARY: Table = Table {
    name: "subsidiary",
    columns: &[
        col("id", Int),
        col("name", Text),
        col("fullname", Text),
        col("parent", Ref("subsidiary")),
        col("isinactive", Bool),
        col("iselimination", Bool),
        col("country", Text),
        col("lastmodifieddate", DateTime),
    ],
    needs_one_world: true,
    needs_projects: false,
};

const CUSTOMER: Table = Table {
    name: "customer",
    columns: &[
        col("id", Int),
        col("entityid", Text),
        col("companyname", Text),
        col("altname", Text),
        col("entitytitle", Text),
        col("isperson", Bool),
        col("firstname", Text),
        col("middlename", Text),
        col("lastname", Text),
        col("isinactive", Bool),
        col("parent", Ref("customer")),
        ow("subsidiary", Ref("subsidiary")),
        col("email", Text),
        col("searchstage", Text),
        col("entitystatus", Ref("entitystatus")),
        col("datecreated", DateTime),
        col("lastmodifieddate", DateTime),
    ],
    needs_one_world: false,
    needs_projects: false,
};

const JOB: Table = Table {
    name: "job",
    columns: &[
        col("id", Int),
        col("entityid", Text),
        col("companyname", Text),
        col("altname", Text),
        col("entitytitle", Text),
        col("parent", Ref("entity")),
        col("customer", Ref("customer")),
        ow("subsidiary", Ref("subsidiary")),
        col("isinactive", Bool),
        col("entitystatus", Ref("entitystatus")),
        col("datecreated", DateTime),
        col("lastmodifieddate", DateTime),
    ],
    needs_one_world: false,
    needs_projects: true,
};

const RELATIONSHIP: Table = Table {
    name: "customersubsidiaryrelationship",
    columns: &[
        col("id", Int),
        col("entity", Ref("customer")),
        col("subsidiary", Ref("subsidiary")),
        col("isprimarysub", Bool),
        col("name", Text),
        col("lastmodifieddate", DateTime),
    ],
    needs_one_world: true,
    needs_projects: false,
};

const ENTITY: Table = Table {
    name: "entity",
    columns: &[
        col("id", Int),
        col("entityid", Text),
        col("entitytitle", Text),
        col("altname", Text),
        col("type", Text),
        col("parent", Ref("entity")),
        col("toplevelparent", Ref("entity")),
        col("isperson", Bool),
        col("isinactive", Bool),
        col("customer", Ref("customer")),
        col("project", Ref("job")),
        col("datecreated", DateTime),
        col("lastmodifieddate", DateTime),
    ],
    needs_one_world: false,
    needs_projects: false,
};

const DELETED: Table = Table {
    name: "deletedrecord",
    columns: &[
        col("recordid", Int),
        col("recordtypeid", Text),
        col("type", Text),
        col("name", Text),
        col("deleteddate", DateTime),
        col("context", Text),
        col("deletedby", Int),
        col("iscustomlist", Bool),
        col("iscustomrecord", Bool),
    ],
    needs_one_world: false,
    needs_projects: false,
};

/// The account's customer and project statuses in one table, told apart by `entitytype`
/// (`CUSTOMER` or `JOB`), keyed by `key`, which `entitystatus` on a customer or a project holds
/// (docs/netsuite-emulator.md). Hidden when the role may not read status lists.
const ENTITYSTATUS: Table = Table {
    name: "entitystatus",
    columns: &[
        col("key", Int),
        col("name", Text),
        col("entitytype", Text),
        col("probability", Int),
        col("inactive", Bool),
        col("descr", Text),
    ],
    needs_one_world: false,
    needs_projects: false,
};

static TABLES: [&Table; 7] = [
    &SUBSIDIARY,
    &CUSTOMER,
    &JOB,
    &RELATIONSHIP,
    &ENTITY,
    &DELETED,
    &ENTITYSTATUS,
];

/// The visible part of the schema for one account.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    one_world: bool,
    projects: bool,
    statuses: bool,
}

impl Schema {
    pub fn new(opts: &SchemaOptions) -> Self {
        Self {
            one_world: opts.one_world,
            projects: opts.projects_enabled,
            statuses: opts.status_lists_readable,
        }
    }

    /// The table named `name` (any case), if this account has it.
    pub fn table(&self, name: &str) -> Option<&'static Table> {
        let table = TABLES.iter().find(|t| t.name.eq_ignore_ascii_case(name))?;
        let hidden = (table.needs_one_world && !self.one_world)
            || (table.needs_projects && !self.projects)
            || (std::ptr::eq(*table, &ENTITYSTATUS) && !self.statuses);
        (!hidden).then_some(*table)
    }

    /// The visible columns of `table`, in declaration order.
    pub fn columns(&self, table: &'static Table) -> impl Iterator<Item = &'static Column> + '_ {
        table
            .columns
            .iter()
            .filter(move |c| self.one_world || !c.one_world)
    }
}

/// SQLite tables (created before the load) and the entity view. Hidden columns:
/// `toplevelparent` on customer and job (kept up to date by every write).
pub(crate) const DDL: &str = "
CREATE TABLE subsidiary (id INTEGER PRIMARY KEY, name TEXT, fullname TEXT, parent INTEGER,
  isinactive TEXT NOT NULL DEFAULT 'F', iselimination TEXT NOT NULL DEFAULT 'F', country TEXT,
  lastmodifieddate TEXT);
CREATE TABLE customer (id INTEGER PRIMARY KEY, entityid TEXT, companyname TEXT, altname TEXT,
  entitytitle TEXT, isperson TEXT NOT NULL DEFAULT 'F', firstname TEXT, middlename TEXT, lastname TEXT,
  isinactive TEXT NOT NULL DEFAULT 'F', parent INTEGER, subsidiary INTEGER, email TEXT,
  searchstage TEXT, entitystatus INTEGER, datecreated TEXT, lastmodifieddate TEXT, toplevelparent INTEGER);
CREATE TABLE job (id INTEGER PRIMARY KEY, entityid TEXT, companyname TEXT, altname TEXT,
  entitytitle TEXT, parent INTEGER, customer INTEGER, subsidiary INTEGER,
  isinactive TEXT NOT NULL DEFAULT 'F', entitystatus INTEGER, datecreated TEXT, lastmodifieddate TEXT,
  toplevelparent INTEGER);
CREATE TABLE customersubsidiaryrelationship (id INTEGER PRIMARY KEY, entity INTEGER NOT NULL,
  subsidiary INTEGER NOT NULL, isprimarysub TEXT NOT NULL DEFAULT 'F', name TEXT, lastmodifieddate TEXT);
CREATE TABLE deletedrecord (recordid INTEGER, recordtypeid TEXT, type TEXT, name TEXT,
  deleteddate TEXT, context TEXT, deletedby INTEGER, iscustomlist TEXT, iscustomrecord TEXT);
CREATE TABLE entitystatus (key INTEGER PRIMARY KEY, name TEXT, entitytype TEXT NOT NULL,
  probability INTEGER, inactive TEXT NOT NULL DEFAULT 'F', descr TEXT, stage TEXT);
CREATE VIEW entity AS
  SELECT id, entityid, entitytitle, altname, 'CustJob' AS type, parent, toplevelparent, isperson,
    isinactive, id AS customer, NULL AS project, datecreated, lastmodifieddate FROM customer
  UNION ALL
  SELECT id, entityid, entitytitle, altname, 'Job', parent, toplevelparent, 'F', isinactive,
    NULL, id, datecreated, lastmodifieddate FROM job;
";

/// Indexes, created after a bulk load (cheaper than maintaining them row by row).
pub(crate) const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS customer_parent ON customer(parent);
CREATE INDEX IF NOT EXISTS customer_subsidiary ON customer(subsidiary, id);
CREATE INDEX IF NOT EXISTS customer_lastmodified ON customer(lastmodifieddate);
CREATE INDEX IF NOT EXISTS job_parent ON job(parent);
CREATE INDEX IF NOT EXISTS job_subsidiary ON job(subsidiary, id);
CREATE INDEX IF NOT EXISTS job_customer ON job(customer);
CREATE INDEX IF NOT EXISTS job_lastmodified ON job(lastmodifieddate);
CREATE INDEX IF NOT EXISTS csr_subsidiary_entity ON customersubsidiaryrelationship(subsidiary, entity);
CREATE INDEX IF NOT EXISTS csr_entity_subsidiary ON customersubsidiaryrelationship(entity, subsidiary);
CREATE INDEX IF NOT EXISTS deleted_date ON deletedrecord(deleteddate);
ANALYZE;
";
