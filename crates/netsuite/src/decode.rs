//! Decoding SuiteQL rows: every value a string, `T`/`F`, NULL columns missing, key case not relied
//! on, datetimes in the account's time zone. A row that cannot be decoded becomes a [`RowError`]
//! for that row only.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

/// The one format every date and datetime is requested in, through `TO_CHAR`.
pub const DATETIME_FORMAT_SQL: &str = "YYYY-MM-DD HH24:MI:SS";
const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The longest text value accepted; NetSuite's own limits are far lower, so anything longer is
/// not a real name.
pub const MAX_TEXT_CHARS: usize = 4000;

/// Why one row could not be decoded. The read goes on with the next row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("NetSuite row {row_id} of `{table}` could not be read: {reason}")]
pub struct RowError {
    /// The table (`customer`, `job`, ...).
    pub table: &'static str,
    /// The row's id as sent (possibly not numeric), or `?` when missing.
    pub row_id: String,
    /// What is wrong with it.
    pub reason: String,
}

/// One SuiteQL result row with lower-cased keys and every scalar as text.
#[derive(Debug, Clone)]
pub(crate) struct RawRow {
    table: &'static str,
    values: HashMap<String, String>,
}

impl RawRow {
    /// Lower-cases keys and turns scalars into text; `null`s and the `links` array are dropped.
    pub(crate) fn new(table: &'static str, item: serde_json::Map<String, Value>) -> Self {
        let values = item
            .into_iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => if b { "T" } else { "F" }.to_owned(),
                    _ => return None,
                };
                Some((k.to_ascii_lowercase(), text))
            })
            .collect();
        Self { table, values }
    }

    pub(crate) fn error(&self, reason: impl Into<String>) -> RowError {
        RowError {
            table: self.table,
            row_id: self
                .values
                .get("id")
                .map_or("?".to_owned(), |v| v.chars().take(40).collect()),
            reason: reason.into(),
        }
    }

    /// Optional text, bounded in size.
    pub(crate) fn text(&self, key: &str) -> Result<Option<String>, RowError> {
        match self.values.get(key) {
            Some(v) if v.chars().count() > MAX_TEXT_CHARS => Err(self.error(format!(
                "`{key}` is longer than {MAX_TEXT_CHARS} characters"
            ))),
            Some(v) => Ok(Some(v.clone())),
            None => Ok(None),
        }
    }

    /// Required text.
    pub(crate) fn required_text(&self, key: &str) -> Result<String, RowError> {
        self.text(key)?
            .ok_or_else(|| self.error(format!("`{key}` is missing")))
    }

    /// Optional id, in NetSuite's own form only (see [`crate::model::parse_netsuite_id`]).
    pub(crate) fn id(&self, key: &str) -> Result<Option<i64>, RowError> {
        match self.values.get(key) {
            None => Ok(None),
            Some(v) => match crate::model::parse_netsuite_id(v) {
                Some(n) => Ok(Some(n)),
                None => Err(self.error(format!(
                    "`{key}` is not an id: {:?}",
                    v.chars().take(40).collect::<String>()
                ))),
            },
        }
    }

    /// Required positive integer id.
    pub(crate) fn required_id(&self, key: &str) -> Result<i64, RowError> {
        self.id(key)?
            .ok_or_else(|| self.error(format!("`{key}` is missing")))
    }

    /// `T`/`F` flag; missing means false, as NetSuite leaves out NULLs.
    pub(crate) fn flag(&self, key: &str) -> Result<bool, RowError> {
        match self.values.get(key).map(|v| v.trim().to_ascii_uppercase()) {
            None => Ok(false),
            Some(v) if v == "T" || v == "TRUE" => Ok(true),
            Some(v) if v == "F" || v == "FALSE" => Ok(false),
            Some(v) => Err(self.error(format!("`{key}` is not T or F: {v:?}"))),
        }
    }

    /// A datetime rendered by `TO_CHAR(.., DATETIME_FORMAT_SQL)` in `tz`, as UTC.
    pub(crate) fn datetime(&self, key: &str, tz: Tz) -> Result<Option<DateTime<Utc>>, RowError> {
        let Some(v) = self.values.get(key) else {
            return Ok(None);
        };
        let local = NaiveDateTime::parse_from_str(v.trim(), DATETIME_FORMAT).map_err(|_| {
            self.error(format!(
                "`{key}` is not a datetime: {:?}",
                v.chars().take(40).collect::<String>()
            ))
        })?;
        Ok(Some(local_to_utc(local, tz)))
    }

    /// Required datetime.
    pub(crate) fn required_datetime(&self, key: &str, tz: Tz) -> Result<DateTime<Utc>, RowError> {
        self.datetime(key, tz)?
            .ok_or_else(|| self.error(format!("`{key}` is missing")))
    }
}

/// Converts a wall-clock time of the account to UTC. In the repeated hour after a daylight-saving
/// change the earlier instant is taken, so a cursor built from it errs towards re-reading; a time
/// inside the skipped hour (which NetSuite never renders) is read as the instant after the gap. A
/// time the zone cannot place at all (the ends of the calendar, never NetSuite's) is read as UTC.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    if let Some(at) = tz.from_local_datetime(&local).earliest() {
        return at.with_timezone(&Utc);
    }
    // Checked: at the end of the calendar there is no hour after, and a panic here would end the
    // reading task, which ends the caller's stream early without an error.
    let after_gap = local
        .checked_add_signed(Duration::hours(1))
        .and_then(|later| tz.from_local_datetime(&later).earliest())
        .and_then(|at| {
            at.with_timezone(&Utc)
                .checked_sub_signed(Duration::hours(1))
        });
    after_gap.unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// Renders a UTC instant as the account's wall-clock time for `TO_DATE`. In the repeated hour
/// after a daylight-saving change the rendered text is ambiguous, and NetSuite may read it as the
/// later instant; an hour is taken off then, so no edit in between is missed.
pub fn utc_to_local_text(at: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz).naive_local();
    let ambiguous = matches!(
        tz.from_local_datetime(&local),
        chrono::LocalResult::Ambiguous(..)
    );
    let local = if ambiguous {
        local - Duration::hours(1)
    } else {
        local
    };
    local.format(DATETIME_FORMAT).to_string()
}
