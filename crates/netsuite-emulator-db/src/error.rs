//! One error type per operation family; each knows NetSuite's code, status and detail text,
//! so the HTTP layer only copies them into NetSuite's error envelope.

/// The prefix NetSuite puts before every SuiteQL error detail.
pub const SUITEQL_PREFIX: &str = "Invalid search query. Detailed unprocessed description follows. ";

/// Failures of the database itself (opening, loading): never NetSuite-visible.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused something the emulator asked of it.
    #[error("emulator database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A dataset row that does not fit the account (e.g. a job row in an account without Projects).
    #[error("dataset does not fit the account: {0}")]
    Dataset(String),
}

/// A SuiteQL request NetSuite would answer with 400 `INVALID_PARAMETER` (`o:errorQueryParam: "q"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuiteQlError {
    /// `FROM` names a table the account does not have.
    #[error("{SUITEQL_PREFIX}Invalid search type: {0}.")]
    UnknownTable(String),
    /// A column or alias that is not in scope; `available` is NetSuite's `{alias=table, ...}` list.
    #[error("{SUITEQL_PREFIX}Search error occurred: Unknown identifier '{name}'. Available identifiers are: {{{available}}}.")]
    UnknownIdentifier {
        /// The identifier as written in the query.
        name: String,
        /// `alias=table` pairs, comma-separated, in the order the query names them.
        available: String,
    },
    /// Syntax NetSuite's parser refuses, or a construct it does not support.
    #[error("{SUITEQL_PREFIX}Search error occurred: Invalid or unsupported search.")]
    Invalid {
        /// Why, for the emulator's log only (NetSuite does not say).
        reason: String,
    },
    /// The number of `?` placeholders and of `params` differ.
    #[error("{SUITEQL_PREFIX}Search error occurred: Invalid number of parameters. Expected {expected}, got {got}.")]
    ParamCount {
        /// Placeholders in the query.
        expected: usize,
        /// Values in `params`.
        got: usize,
    },
    /// The query was valid but failed while running (bad `TO_DATE` input, too slow...).
    #[error("{SUITEQL_PREFIX}Search error occurred: {0}")]
    Runtime(String),
}

impl SuiteQlError {
    /// The text of `o:errorDetails[0].detail`.
    pub fn detail(&self) -> String {
        self.to_string()
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::Invalid {
            reason: reason.into(),
        }
    }
}

/// A record API request NetSuite would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// 404 `NONEXISTENT_ID`.
    #[error("Record does not exist.")]
    NotFound,
    /// The record type is unknown or disabled in this account: 400 `INVALID_PARAMETER`... see `http_status`.
    #[error("Record type '{0}' does not exist.")]
    UnknownRecordType(String),
    /// A bad `q` filter: 400 `INVALID_PARAMETER` with `o:errorQueryParam: "q"`.
    #[error("{0}")]
    InvalidQuery(String),
}

impl RecordError {
    /// HTTP status NetSuite answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::UnknownRecordType(_) | Self::InvalidQuery(_) => 400,
        }
    }

    /// `o:errorCode`.
    pub fn error_code(&self) -> &'static str {
        match self {
            Self::NotFound => "NONEXISTENT_ID",
            Self::UnknownRecordType(_) | Self::InvalidQuery(_) => "INVALID_PARAMETER",
        }
    }

    /// The text of `o:errorDetails[0].detail`.
    pub fn detail(&self) -> String {
        self.to_string()
    }
}

/// A write NetSuite would refuse (strict mode), or that SQLite cannot store (raw mode).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MutationError {
    /// A text field over NetSuite's limit: 400 `USER_ERROR`.
    #[error("field {field} contained more than the maximum number ({max}) of characters")]
    TooLong {
        /// Field id (`companyname`).
        field: &'static str,
        /// NetSuite's limit in characters.
        max: usize,
    },
    /// A required field is empty: 400 `USER_ERROR`.
    #[error("Please enter value(s) for: {0}")]
    Missing(&'static str),
    /// Control characters in a name: 400 `USER_ERROR`.
    #[error("field {0} contains characters that are not allowed")]
    BadCharacters(&'static str),
    /// The record to change does not exist: 404 `NONEXISTENT_ID`.
    #[error("Record does not exist.")]
    NotFound,
    /// A reference to a missing or unsuitable record: 400 `INVALID_CONTENT`.
    #[error("Error while accessing resource: You have entered an Invalid Field Value {value} for the following field: {field}")]
    InvalidReference {
        /// Field id (`parent`, `subsidiary`).
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// The change would make a record its own ancestor: 400 `USER_ERROR`.
    #[error("You may not make a record its own ancestor.")]
    Cycle,
    /// Deleting a record that others still point at: 400 `USER_ERROR`.
    #[error("This record cannot be deleted because it has dependent records.")]
    HasDependents,
    /// The feature the change needs is off in this account: 400 `USER_ERROR`.
    #[error("The feature '{0}' is not enabled in this account.")]
    FeatureDisabled(&'static str),
    /// SQLite could not store it (raw mode: e.g. a duplicate id).
    #[error("the emulator database refused the change: {0}")]
    Storage(String),
}

impl MutationError {
    /// HTTP status NetSuite answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::Storage(_) => 500,
            _ => 400,
        }
    }

    /// `o:errorCode`.
    pub fn error_code(&self) -> &'static str {
        match self {
            Self::NotFound => "NONEXISTENT_ID",
            Self::InvalidReference { .. } => "INVALID_CONTENT",
            Self::Storage(_) => "UNEXPECTED_ERROR",
            _ => "USER_ERROR",
        }
    }

    /// The text of `o:errorDetails[0].detail`.
    pub fn detail(&self) -> String {
        self.to_string()
    }
}

impl From<rusqlite::Error> for MutationError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}
