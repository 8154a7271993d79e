//! Entry points for the cargo-fuzz targets in `fuzz/` at the repository root. They exist only for
//! those targets: hidden from the docs, not part of the client's API, free to change with them.

use chrono_tz::Tz;

use crate::decode::RawRow;
use crate::error::{classify, Error};
use crate::plan::IdRange;
use crate::read::{decode_page, keyset_order, Decoder};
use crate::records::{self, DecodeCtx};
use crate::transport::{check_json, Page};

/// Rows are decoded in UTC, in a zone with daylight saving, and at both ends of the offsets,
/// where a datetime near the limits of the calendar could overflow.
const ZONES: [Tz; 4] = [
    Tz::UTC,
    Tz::America__Los_Angeles,
    Tz::Pacific__Kiritimati,
    Tz::Pacific__Pago_Pago,
];

/// Error statuses the client classifies differently.
const STATUSES: [u16; 7] = [400, 401, 403, 404, 429, 500, 503];

/// Handles `body` as the client handles any answer to a SuiteQL request: as a success (the JSON
/// check, the page, every row through every read's decoder in every zone, the next keyset id,
/// the statistics row, subsidiaries) and as an error body (classification, with `body` also as
/// the `WWW-Authenticate` header). Returns the page's error, if the page was refused.
pub fn suiteql_response(body: &[u8]) -> Result<(), Error> {
    let text = String::from_utf8_lossy(body);
    for status in STATUSES {
        let _ = classify(status, &text, Some(&text));
    }
    check_json(body)?;
    let page = Page::parse(body)?;
    for tz in ZONES {
        let ctx = DecodeCtx { tz };
        rows(&page, "customer", records::customer, ctx);
        rows(&page, "job", records::project, ctx);
        rows(&page, "customersubsidiaryrelationship", records::link, ctx);
        rows(&page, "deletedrecord", records::deletion, ctx);
    }
    for item in &page.items {
        let row = RawRow::new("subsidiary", item.clone());
        let _ = records::subsidiary(&row);
        let _ = records::id_stats(&row);
    }
    Ok(())
}

fn rows<T>(page: &Page, table: &'static str, decode: Decoder<T>, ctx: DecodeCtx) {
    let (decoded, ids) = decode_page(table, page.items.clone(), decode, ctx);
    let _ = keyset_order(&ids, IdRange::ALL);
    for row in decoded {
        // Messages are built lazily by some errors: render them too.
        if let Err(e) = row {
            let _ = e.to_string();
        }
    }
}
