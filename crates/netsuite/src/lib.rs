//! NetSuite client: account ids, authentication (TBA and OAuth 2.0 client credentials), the one
//! request path (budget, timeouts, retries, error classification), SuiteQL paging by id and the
//! typed reads nsync needs (customers, projects, subsidiaries, links, changes, deletions).
//!
//! It knows nothing about options, the database or nsync's naming rules: text is passed through
//! as NetSuite sends it (bounded in size), and a row that cannot be decoded is reported on its
//! own without ending the read. It only ever calls `https://<account>.suitetalk.api.netsuite.com`
//! unless an operator sets [`ClientConfig::base_url_override`] (the emulator).
//!
//! ```no_run
//! # async fn demo() -> Result<(), netsuite::Error> {
//! use futures::StreamExt;
//! use netsuite::{AccountId, Auth, Client, ClientConfig, Scope, SubsidiaryId, TbaCredentials};
//! let auth = Auth::Tba(TbaCredentials {
//!     consumer_key: "ck".into(), consumer_secret: "cs".into(),
//!     token_id: "t".into(), token_secret: "ts".into(),
//! });
//! let client = Client::new(ClientConfig::new(AccountId::parse("1234567_SB1")?, auth))?;
//! let facts = client.probe().await?;
//! let mut customers = client.customers(Scope::Subsidiary(SubsidiaryId(1))).await?;
//! while let Some(row) = customers.next().await {
//!     match row? {
//!         Ok(customer) => println!("{}", customer.entity_id),
//!         Err(bad_row) => eprintln!("{bad_row}"),
//!     }
//! }
//! # let _ = facts; Ok(()) }
//! ```

pub mod account;
pub mod auth;
mod client;
pub mod clock;
pub mod cursor;
pub mod decode;
pub mod error;
// Exists only for the cargo-fuzz targets in `fuzz/`; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
mod governance;
pub mod model;
mod observe;
pub mod plan;
mod read;
mod records;
pub mod retry;
mod transport;

pub use account::{AccountId, AccountIdError};
pub use auth::{Auth, ClientCredentials, TbaCredentials};
pub use client::{Client, ClientConfig};
pub use clock::{Clock, SystemClock};
pub use cursor::Cursor;
pub use decode::RowError;
pub use error::Error;
pub use governance::{http_client, SharedBudget, SharedSlot};
pub use model::{
    AccountFacts, Change, Customer, Deletion, Project, ProjectStatus, RecordId, RecordKind, Scope,
    Stage, Stages, Subsidiary, SubsidiaryId, SubsidiaryLink,
};
pub use observe::{Observer, Outcome};
pub use read::RowStream;
pub use retry::RetryPolicy;
