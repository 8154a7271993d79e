//! Collection paging as NetSuite enforces it: `limit` 1..1000 (default 1000), `offset` a
//! multiple of `limit`, at most 1000 pages and 100,000 rows reachable, and the envelope's
//! `links`/`count`/`hasMore`/`offset`/`totalResults`.

use serde_json::{json, Value};

use crate::errors::NsError;

/// Most rows one query can reach by offset.
pub(crate) const MAX_REACH: usize = 100_000;
/// Largest page.
pub(crate) const MAX_LIMIT: usize = 1000;

/// A valid page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    pub(crate) limit: usize,
    pub(crate) offset: usize,
}

impl Paging {
    /// Parses `limit` and `offset` from a raw query string.
    pub(crate) fn parse(query: Option<&str>) -> Result<Self, NsError> {
        let (mut limit, mut offset) = (None, None);
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "limit" => limit = Some(v.into_owned()),
                "offset" => offset = Some(v.into_owned()),
                _ => {}
            }
        }
        let limit = match limit {
            None => MAX_LIMIT,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(NsError::invalid_parameter("limit", format!(
                    "Invalid value for the 'limit' query parameter: {text}. The value must be an integer between 1 and {MAX_LIMIT}."
                ))),
            },
        };
        let offset = match offset {
            None => 0,
            Some(text) => text.parse::<usize>().map_err(|_| {
                NsError::invalid_parameter("offset", format!("Invalid value for the 'offset' query parameter: {text}. The value must be a non-negative integer."))
            })?,
        };
        if offset % limit != 0 {
            return Err(NsError::invalid_parameter("offset", format!(
                "Invalid value for the 'offset' query parameter: {offset}. The offset must be divisible by the limit ({limit})."
            )));
        }
        Ok(Self { limit, offset })
    }

    /// Rows reachable by offset paging with this page size: at most 1000 pages, 100,000 rows.
    pub(crate) fn reach(&self) -> usize {
        MAX_REACH.min(MAX_LIMIT * self.limit)
    }

    /// The error for a page that starts past the reach.
    pub(crate) fn past_reach(&self) -> NsError {
        NsError::invalid_parameter("offset", format!(
            "Invalid value for the 'offset' query parameter: {}. A query can return at most {} results; use a narrower query.",
            self.offset,
            self.reach()
        ))
    }

    /// How many rows to fetch for this page (none past the reach).
    pub(crate) fn rows_to_fetch(&self) -> usize {
        self.limit.min(self.reach().saturating_sub(self.offset))
    }
}

/// Envelope fields of one served page.
pub(crate) struct PageMeta {
    pub(crate) count: usize,
    pub(crate) has_more: bool,
    pub(crate) total_results: usize,
}

impl PageMeta {
    /// `hasMore` stops at the reach: beyond it no page can be asked for.
    pub(crate) fn new(paging: &Paging, count: usize, total_results: usize) -> Self {
        let reachable = total_results.min(paging.reach());
        Self {
            count,
            has_more: paging.offset + count < reachable,
            total_results,
        }
    }
}

/// `links` of a collection page: `first`/`prev`/`next`/`last` where they exist, then `self`.
///
/// `extra` is the rest of the query (`q=...&`) that each link must repeat.
pub(crate) fn links(url: &str, extra: &str, paging: &Paging, meta: &PageMeta) -> Value {
    let href = |offset: usize| format!("{url}?{extra}limit={}&offset={offset}", paging.limit);
    let mut links = Vec::new();
    if paging.offset > 0 {
        links.push(json!({"rel": "first", "href": href(0)}));
        links
            .push(json!({"rel": "prev", "href": href(paging.offset.saturating_sub(paging.limit))}));
    }
    if meta.has_more {
        links.push(json!({"rel": "next", "href": href(paging.offset + paging.limit)}));
        let reachable = meta.total_results.min(paging.reach());
        let last = (reachable.saturating_sub(1) / paging.limit) * paging.limit;
        links.push(json!({"rel": "last", "href": href(last)}));
    }
    links.push(json!({"rel": "self", "href": href(paging.offset)}));
    Value::Array(links)
}
