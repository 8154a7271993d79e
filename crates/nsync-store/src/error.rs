//! The one error type of the storage layer.

use nsync_core::{CustomFieldId, IntegrationId, OptionId, RunId, UpstreamKey};

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL's scheme is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://USER@HOST:PORT/DB")]
    UnsupportedUrl(String),
    /// The database refused or failed (connection, constraint, SQL).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Applying the migrations failed.
    #[error("migrating the database failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A value read back did not fit its domain type (a newer or damaged database).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// A domain rule refused the action (e.g. renaming an integrated option).
    #[error(transparent)]
    Rule(#[from] nsync_core::Error),
    /// No row with this id.
    #[error("{what} {id} not found")]
    NotFound {
        /// Which kind of row.
        what: &'static str,
        /// Its id.
        id: i64,
    },
    /// An option id that does not exist.
    #[error("option {0} not found")]
    OptionNotFound(OptionId),
    /// A plan that cannot be applied as given (nothing of it was written).
    #[error("the plan cannot be applied: {0}")]
    InvalidPlan(String),
    /// A plan refers to a parent record that has no option and comes nowhere earlier in it.
    #[error("the plan cannot be applied: the parent {0} of an option has no option")]
    MissingParent(UpstreamKey),
    /// Another run of this integration holds the lock.
    #[error("integration {integration} is busy: run {} is going on", .running.map_or_else(|| "(starting)".to_owned(), |r| r.to_string()))]
    Busy {
        /// The integration.
        integration: IntegrationId,
        /// The run going on, when it is already recorded.
        running: Option<RunId>,
    },
    /// The master key is missing, malformed, or not the one the credentials were sealed with.
    #[error("master key problem: {0}")]
    MasterKey(String),
    /// Encrypted credentials failed to open (wrong key, or tampered with).
    #[error("the credentials of integration {0} cannot be decrypted with this master key")]
    Decrypt(IntegrationId),
    /// A job lease that is no longer held (expired and taken by another worker, or finished).
    #[error("job {0} is not leased with this token any more")]
    LeaseLost(i64),
    /// A change feed read from before its oldest entry: what came between was pruned.
    #[error("the change feed of field {field} was pruned through entry {pruned_through}, after the cursor's entry {after}: read the options again and continue from the field's current cursor")]
    FeedPruned {
        /// The field.
        field: CustomFieldId,
        /// Where the reader stood.
        after: i64,
        /// The last entry pruned.
        pruned_through: i64,
    },
    /// A webhook secret failed to open (wrong key, or tampered with).
    #[error("the secret of webhook endpoint {0} cannot be decrypted with this master key")]
    WebhookSecret(i64),
    /// Hashing a password failed.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
}

impl StoreError {
    pub(crate) fn corrupt(err: impl std::fmt::Display) -> Self {
        Self::Corrupt(err.to_string())
    }
}
