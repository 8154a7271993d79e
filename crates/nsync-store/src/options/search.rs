//! Typeahead search over a field's active options, ignoring case and accents: FTS5 on SQLite,
//! trigrams on PostgreSQL.

use nsync_core::{fold_for_search, CustomFieldId, Level, OptionId};

use super::SearchHit;
use crate::row::Cols;
use crate::store::Pool;
use crate::{Store, StoreError};

/// The share of the options table's pages a PostgreSQL search scans before it turns to the
/// trigram index: about a millisecond's worth at 300,000 options.
const SEARCH_SAMPLE_PERCENT: f32 = 2.0;

/// An FTS5 phrase matching `text` literally.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Escapes LIKE wildcards so user text matches literally (backslash is the escape).
fn like_pattern(folded: &str) -> String {
    let mut pattern = String::with_capacity(folded.len() + 2);
    pattern.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Store {
    /// Typeahead: active options of a field whose name contains `query`, ignoring case and
    /// accents; at most `limit`, ordered by full path label.
    pub async fn search(
        &self,
        field: CustomFieldId,
        query: &str,
        limit: u32,
    ) -> Result<Vec<SearchHit>, StoreError> {
        // No option name holds a control character (names are checked on the way in), and a
        // NUL breaks both backends' queries (FTS5 cuts the phrase short, PostgreSQL refuses the
        // text): such a query matches nothing.
        let query = query.trim();
        if query.chars().any(char::is_control) {
            return Ok(Vec::new());
        }
        let folded = fold_for_search(query);
        if folded.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // A trigram phrase needs three characters; see the SQLite migration for shorter ones.
        let long = folded.chars().count() >= 3;
        // Some matches may sit under an inactive option and are dropped below: ask for more.
        let wanted = limit;
        let limit = limit.saturating_mul(2).min(1000);
        let found: Vec<(i64, i64)> = match &self.pool {
            Pool::Sqlite(pool) => {
                let expr = if long {
                    fts_phrase(&folded)
                } else {
                    // Shorter than a trigram: match any indexed trigram it begins.
                    let terms: Vec<String> = sqlx::query_scalar(
                        "SELECT term FROM options_fts_terms WHERE term >= $1 AND term < $2",
                    )
                    .bind(&folded)
                    .bind(format!("{folded}{}", char::MAX))
                    .fetch_all(pool)
                    .await?;
                    if terms.is_empty() {
                        return Ok(Vec::new());
                    }
                    terms
                        .iter()
                        .map(|t| fts_phrase(t))
                        .collect::<Vec<_>>()
                        .join(" OR ")
                };
                // CROSS JOIN keeps the trigram index as the outer loop: otherwise SQLite may
                // walk the field's options and run the MATCH once per option.
                let sql = "SELECT o.id, o.level FROM options_fts f CROSS JOIN options o ON o.id = f.rowid \
                           WHERE options_fts MATCH $2 AND o.field_id = $1 AND o.active AND NOT o.removed_here LIMIT $3";
                let rows = sqlx::query(sql)
                    .bind(field.get())
                    .bind(expr)
                    .bind(i64::from(limit))
                    .fetch_all(pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.int("id")?, r.int("level")?)))
                    .collect::<Result<_, StoreError>>()?
            }
            Pool::Postgres(pool) => {
                // A common substring is found at once in a fixed sample of the table's pages
                // (the same sample every time, so the answer does not flicker); the trigram
                // index would first collect every row that holds its trigrams (tens of
                // milliseconds for a trigram in thousands of names). Only a substring too rare
                // for the sample goes to the index. Either way: matching options, in no set order.
                macro_rules! matching {
                    () => {
                        " WHERE field_id = $1 AND active AND NOT removed_here AND search_key LIKE $2 LIMIT $3"
                    };
                }
                let head = concat!(
                    "SELECT id, level FROM options TABLESAMPLE SYSTEM ($4) REPEATABLE (0)",
                    matching!()
                );
                let indexed = concat!("SELECT id, level FROM options", matching!());
                let pattern = like_pattern(&folded);
                let mut rows = sqlx::query(head)
                    .bind(field.get())
                    .bind(&pattern)
                    .bind(i64::from(limit))
                    .bind(SEARCH_SAMPLE_PERCENT)
                    .fetch_all(pool)
                    .await?;
                if rows.len() < limit as usize {
                    rows = sqlx::query(indexed)
                        .bind(field.get())
                        .bind(&pattern)
                        .bind(i64::from(limit))
                        .fetch_all(pool)
                        .await?;
                }
                rows.iter()
                    .map(|r| Ok((r.int("id")?, r.int("level")?)))
                    .collect::<Result<_, StoreError>>()?
            }
        };
        let ids: Vec<OptionId> = found
            .iter()
            .map(|(id, _)| OptionId::new(*id))
            .collect::<Result<_, _>>()
            .map_err(StoreError::corrupt)?;
        let paths = self.paths(&ids).await?;
        let mut hits: Vec<SearchHit> = paths
            .into_iter()
            .zip(found)
            // An active option under an inactive or removed one cannot be picked either.
            .filter(|((_, _, open), _)| *open)
            .take(wanted as usize)
            .map(|((id, label, _), (_, level))| {
                Ok(SearchHit {
                    id,
                    label,
                    level: Level::new(level).map_err(StoreError::corrupt)?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        hits.sort_by(|a, b| a.label.cmp(&b.label).then(a.id.cmp(&b.id)));
        Ok(hits)
    }
}
