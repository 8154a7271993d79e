//! The accounts file (`netsuite-emulator --accounts-file FILE`): many generated accounts for
//! one emulator process, as a JSON array of
//! `{"account": "1000001", "customers": 300, "projects": 700, "subsidiaries": 2, "seed": 7,
//! "concurrency": 5}`. Only `account` is required; the others default as the single-account
//! flags do (`customers`, `projects`, `leads_and_prospects`: 0; `subsidiaries`: 3; `seed`: the
//! emulator seed; `concurrency`: 5). Unknown fields are refused, so a typo does not silently
//! give an account the defaults.

use serde::Deserialize;

use crate::account_id::{AccountId, BadAccountId};
use crate::config::{AccountConfig, DatasetChoice};
use netsuite_emulator_db::GeneratorSpec;

/// One entry of the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    account: String,
    #[serde(default)]
    customers: usize,
    #[serde(default)]
    projects: usize,
    #[serde(default)]
    leads_and_prospects: usize,
    #[serde(default = "default_subsidiaries")]
    subsidiaries: usize,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default = "default_concurrency")]
    concurrency: usize,
}

fn default_subsidiaries() -> usize {
    3
}

fn default_concurrency() -> usize {
    5
}

/// Why an accounts file was refused. Entries are counted from 1.
#[derive(Debug, thiserror::Error)]
pub enum AccountsFileError {
    /// Not JSON, not an array of objects, a field of the wrong type or an unknown field.
    #[error("{0} (expected a JSON array like [{{\"account\": \"1000001\", \"customers\": 300, \"projects\": 700, \"subsidiaries\": 2, \"seed\": 7, \"concurrency\": 5}}])")]
    Json(#[source] serde_json::Error),
    /// The array is empty.
    #[error("the file lists no accounts")]
    Empty,
    /// An account id NetSuite could not have.
    #[error("entry {entry}: {source}")]
    BadAccountId {
        /// Which entry.
        entry: usize,
        /// The id's problem.
        #[source]
        source: BadAccountId,
    },
    /// One account twice (in any spelling: `1234567_SB1` and `1234567-sb1` are one).
    #[error("entry {entry}: account {account} is already entry {first}")]
    Duplicate {
        /// Which entry.
        entry: usize,
        /// The canonical id.
        account: String,
        /// The entry that has it first.
        first: usize,
    },
    /// A concurrency limit of 0 would refuse every request.
    #[error("entry {entry}: account {account} has concurrency 0; it must be at least 1")]
    ZeroConcurrency {
        /// Which entry.
        entry: usize,
        /// The canonical id.
        account: String,
    },
}

/// Parses an accounts file into account configurations, in file order. `default_seed` seeds
/// the entries without a `seed` (data and secrets, as `--seed` does for one account).
pub fn parse_accounts_file(
    text: &str,
    default_seed: u64,
) -> Result<Vec<AccountConfig>, AccountsFileError> {
    let entries: Vec<Entry> = serde_json::from_str(text).map_err(AccountsFileError::Json)?;
    if entries.is_empty() {
        return Err(AccountsFileError::Empty);
    }
    let mut seen = std::collections::HashMap::with_capacity(entries.len());
    let mut accounts = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let n = i + 1;
        let id = AccountId::parse(&entry.account)
            .map_err(|source| AccountsFileError::BadAccountId { entry: n, source })?;
        if let Some(first) = seen.insert(id.clone(), n) {
            return Err(AccountsFileError::Duplicate {
                entry: n,
                account: id.to_string(),
                first,
            });
        }
        if entry.concurrency == 0 {
            return Err(AccountsFileError::ZeroConcurrency {
                entry: n,
                account: id.to_string(),
            });
        }
        let seed = entry.seed.unwrap_or(default_seed);
        let spec = GeneratorSpec {
            customers: entry.customers,
            leads_and_prospects: entry.leads_and_prospects,
            projects: entry.projects,
            subsidiaries: entry.subsidiaries,
            seed,
        };
        let mut account =
            AccountConfig::with_dataset(id.as_str(), seed, DatasetChoice::Generated(spec));
        account.concurrency_limit = entry.concurrency;
        accounts.push(account);
    }
    Ok(accounts)
}
