//! The paging planner: which id ranges a read covers. Pure, so it is tested without NetSuite.
//!
//! SuiteQL answers at most 100,000 rows per query and offset paging past that fails, while
//! unordered paging skips or repeats rows. Every read therefore pages by id (`WHERE id > :last
//! ORDER BY id`), and a large read is cut into id ranges, sized from one `MIN/MAX/COUNT` query so
//! that each holds about one page: the ranges are independent, so `budget` of them are always in
//! flight, and each costs one request when ids are dense.

/// What the `MIN/MAX/COUNT` query says about a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdStats {
    /// Smallest id.
    pub min: i64,
    /// Largest id.
    pub max: i64,
    /// Number of rows.
    pub count: u64,
}

/// Ids in `(after, upto]`. The last range of a plan is open (`upto == i64::MAX`), so rows created
/// during the read past the old maximum are read too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    /// Exclusive lower bound.
    pub after: i64,
    /// Inclusive upper bound.
    pub upto: i64,
}

impl IdRange {
    /// Every id.
    pub const ALL: IdRange = IdRange {
        after: 0,
        upto: i64::MAX,
    };
}

/// How full a range is planned when ids have gaps: a little under a page, so that the uneven
/// spread of ids rarely spills a range into a second request.
const SPARSE_FILL: f64 = 0.9;

/// Cuts the id space described by `stats` into ranges of about `page_size` rows each.
pub fn plan(stats: Option<IdStats>, page_size: u32) -> Vec<IdRange> {
    let page = u64::from(page_size.max(1));
    let Some(stats) = stats else {
        return vec![IdRange::ALL];
    };
    if stats.count == 0 {
        return vec![IdRange::ALL];
    }
    if stats.count <= page || stats.max <= stats.min {
        return vec![IdRange::ALL];
    }
    let span = u64::try_from(stats.max - stats.min)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let width = if stats.count >= span {
        page
    } else {
        let w = page as f64 * SPARSE_FILL * span as f64 / stats.count as f64;
        (w.floor() as u64).max(1)
    };
    let width = i64::try_from(width).unwrap_or(i64::MAX);
    let mut ranges = Vec::new();
    let mut after = stats.min - 1;
    while after.saturating_add(width) < stats.max {
        ranges.push(IdRange {
            after,
            upto: after + width,
        });
        after += width;
    }
    ranges.push(IdRange {
        after,
        upto: i64::MAX,
    });
    ranges
}
