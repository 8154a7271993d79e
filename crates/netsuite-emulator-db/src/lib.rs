//! The emulated NetSuite *database* of one account: the SQLite schema behind `customer`, `job`,
//! `subsidiary`, `customersubsidiaryrelationship`, `entity` and `deletedrecord` (with the
//! OneWorld and Projects switches), the deterministic data generator, the SuiteQL to SQLite
//! translator with NetSuite's exact error details, NetSuite's encoding of result rows, the REST
//! record layer (list with `q`, get by id) and the writes the emulator's control API performs.
//!
//! It must not know about HTTP, authentication, governance or async: the `netsuite-emulator`
//! crate owns those and calls this one from a blocking pool. Time is always the caller's
//! emulated clock, passed in ([`AccountData::apply`], [`AccountData::set_clock`]).
//!
//! ```
//! use netsuite_emulator_db::{AccountData, Dataset, SchemaOptions};
//! let db = AccountData::new(SchemaOptions::default()).unwrap();
//! db.load(&Dataset::demo(7)).unwrap();
//! let page = db.suiteql("SELECT id, isinactive FROM customer ORDER BY id", &[], 0, 10).unwrap();
//! assert_eq!(page.items.len(), 10);
//! assert_eq!(page.items[0]["isinactive"].as_str().map(|s| s == "T" || s == "F"), Some(true));
//! ```

mod churn;
mod dataset;
mod encode;
mod error;
mod functions;
mod load;
mod mutate;
mod mutation;
mod options;
mod records;
mod schema;
mod store;
mod suiteql;
mod time;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

pub use churn::{ChurnReport, ChurnSpec, KindChurn};
pub use dataset::{
    default_clock_start, CustomerRow, Dataset, DeletedRow, GeneratorSpec, ProjectRow, RecordKind,
    RelationshipRow, Stage, StatusRow, SubsidiaryRow, CUSTOMER_STATUSES, PROJECT_CLOSED,
    PROJECT_STATUSES,
};
pub use error::{DbError, MutationError, RecordError, SuiteQlError, SUITEQL_PREFIX};
pub use mutation::{Applied, Mode, Mutation, NewCustomer, NewProject, PersonName};
pub use options::{BadDateFormat, DateFormat, SchemaOptions};

/// NetSuite's customer Company Name limit, in characters.
pub const COMPANY_NAME_MAX: usize = 83;
/// The emulator's Project Name limit, in characters (NetSuite's is not documented).
pub const PROJECT_NAME_MAX: usize = 256;

/// One page of a SuiteQL result, rows already encoded as NetSuite sends them.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPage {
    /// Rows: lowercase keys, string values, NULL columns left out (no `links`: the HTTP layer adds them).
    pub items: Vec<Map<String, Value>>,
    /// Rows of the whole query (before offset and limit).
    pub total_results: usize,
}

/// One page of a record list: ids only, as NetSuite's collection endpoints return them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdPage {
    /// Record ids of this page.
    pub ids: Vec<i64>,
    /// Records matching the filter.
    pub total_results: usize,
}

/// One account's tables. `Send + Sync`: reads run concurrently on a small pool of SQLite
/// connections to one shared in-memory database; writes take the single writer connection.
pub struct AccountData {
    store: store::Store,
    schema: schema::Schema,
    opts: SchemaOptions,
}

impl std::fmt::Debug for AccountData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountData")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl AccountData {
    /// An empty account with these switches.
    pub fn new(opts: SchemaOptions) -> Result<Self, DbError> {
        let store = store::Store::open(&opts)?;
        Ok(Self {
            store,
            schema: schema::Schema::new(&opts),
            opts,
        })
    }

    /// The account's switches.
    pub fn options(&self) -> &SchemaOptions {
        &self.opts
    }

    /// Adds a dataset's rows (one transaction), then builds the indexes, moves the pages into
    /// the database file and frees the writer's page cache (readers map the file instead).
    pub fn load(&self, dataset: &Dataset) -> Result<(), DbError> {
        self.store
            .write(|conn| load::load(conn, dataset, &self.opts))?;
        self.store.settle()?;
        self.store.bump_version();
        Ok(())
    }

    /// Sets the emulated "now" that `SYSDATE`/`CURRENT_DATE` return.
    pub fn set_clock(&self, now: DateTime<Utc>) {
        self.store.set_clock(now);
    }

    /// A number that changes whenever the data changes (for caches above this crate).
    pub fn version(&self) -> u64 {
        self.store.version()
    }

    /// Runs a SuiteQL query and returns rows `offset..offset+limit` and the total row count.
    /// Paging rules (limit range, offset multiple, 100k reach) are the HTTP layer's to enforce.
    pub fn suiteql(
        &self,
        q: &str,
        params: &[Value],
        offset: usize,
        limit: usize,
    ) -> Result<QueryPage, SuiteQlError> {
        let plan = suiteql::translate(q, &self.schema)?;
        if plan.params != params.len() {
            return Err(SuiteQlError::ParamCount {
                expected: plan.params,
                got: params.len(),
            });
        }
        suiteql::run(&self.store, &self.opts, &plan, params, offset, limit)
    }

    /// Lists ids of one record type (`customer`, `job`, `subsidiary`,
    /// `customersubsidiaryrelationship`), filtered by NetSuite's `q` syntax, ordered by id.
    pub fn list_records(
        &self,
        record_type: &str,
        q: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<IdPage, RecordError> {
        records::list(self, record_type, q, offset, limit)
    }

    /// One record as the REST record API returns it: camelCase fields, JSON booleans,
    /// ISO UTC datetimes, references as `{id, refName}` (the HTTP layer adds `links`).
    pub fn get_record(&self, record_type: &str, id: i64) -> Result<Value, RecordError> {
        records::get(self, record_type, id)
    }

    /// Applies one change at the emulated time `now` (which also becomes the SQL clock).
    pub fn apply(
        &self,
        change: Mutation,
        now: DateTime<Utc>,
        mode: Mode,
    ) -> Result<Applied, MutationError> {
        self.store.set_clock(now);
        let applied = self
            .store
            .write(|conn| mutate::apply(conn, &self.opts, change, now, mode))?;
        self.store.bump_version();
        Ok(applied)
    }

    /// Changes about `spec.fraction` of the customers and of the projects at the emulated time
    /// `now`, in one transaction, each change through the strict write path (so it bumps
    /// `lastmodifieddate` as [`AccountData::apply`] does). Mostly renames, some records made
    /// inactive or active again; the same spec on the same data makes the same changes.
    pub fn churn(&self, spec: ChurnSpec, now: DateTime<Utc>) -> Result<ChurnReport, MutationError> {
        self.store.set_clock(now);
        let report = self
            .store
            .write(|conn| churn::churn(conn, &self.opts, spec, now))?;
        self.store.bump_version();
        self.store
            .shrink_writer()
            .map_err(|e| MutationError::Storage(e.to_string()))?;
        Ok(report)
    }
}

/// Fails to compile if `AccountData` stops being shareable across threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AccountData>();
};
