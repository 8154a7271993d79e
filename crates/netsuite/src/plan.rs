//! The paging planner: which id ranges a read covers. Pure, so it is tested without NetSuite.
//!
//! SuiteQL answers at most 100,000 rows per query and offset paging past that fails, while
//! unordered paging skips or repeats rows. Every read therefore pages by id (`WHERE id > :last
//! ORDER BY id`), and a large read is cut into id ranges of about one page each: the ranges are
//! independent, so `budget` of them are always in flight, and each costs one request.
//!
//! Ids are rarely dense in a read that filters (a subsidiary's customers are a third of the
//! account's), and a range sized from the average density spills into a second request whenever
//! its stretch of ids holds more than its share. So a read is sized by a histogram (one `GROUP
//! BY` query: rows, first and last id per bucket of ids, in the round trip a plain sizing query
//! would take) and cut where the counted rows add up to a page ([`plan_histogram`]). Without a
//! histogram (no span of ids known yet to size its buckets, or NetSuite refuses the query) one
//! `MIN/MAX/COUNT` query sizes even ranges a little under a page ([`plan`]).

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

/// One bucket of a histogram of ids: `rows` rows, with ids from `first` to `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bucket {
    /// Smallest id in the bucket.
    pub first: i64,
    /// Largest id in the bucket.
    pub last: i64,
    /// Rows in the bucket.
    pub rows: u64,
}

/// Cuts the ids counted by `buckets` (disjoint, in any order) into ranges of about `page_size`
/// rows each.
///
/// Rows are taken as spread evenly between a bucket's first and last id, so a range can end
/// inside a bucket: a table whose ids are dense is cut into ranges of exactly a page. Where a
/// bucket has gaps, its rows may sit anywhere in it, so each range is planned a few rows under a
/// page: three standard deviations of the count of half of a typical bucket (the 90th
/// percentile), at each end of the range. A range then rarely spills into a second request.
pub fn plan_histogram(buckets: &[Bucket], page_size: u32) -> Vec<IdRange> {
    let page = u64::from(page_size.max(1));
    let mut buckets: Vec<Bucket> = buckets
        .iter()
        .copied()
        .filter(|b| b.rows > 0 && b.first <= b.last)
        .collect();
    buckets.sort_unstable();
    let total: u64 = buckets.iter().map(|b| b.rows).sum();
    let Some(first) = buckets.first().map(|b| b.first) else {
        return vec![IdRange::ALL];
    };
    if total <= page {
        return vec![IdRange::ALL];
    }
    let ids_in = |b: &Bucket| (b.last - b.first).saturating_add(1) as f64;
    // Half of a bucket of `n` rows among `w` ids holds n/2 rows, give or take
    // sqrt(n (w - n) / 4w) (sampling without replacement); a range has two such ends.
    let mut spreads: Vec<f64> = buckets
        .iter()
        .map(|b| {
            let w = ids_in(b);
            let n = (b.rows as f64).min(w);
            (n * (w - n) / (4.0 * w)).sqrt()
        })
        .collect();
    spreads.sort_unstable_by(f64::total_cmp);
    let spread = spreads[spreads.len() * 9 / 10];
    let margin = ((3.0 * std::f64::consts::SQRT_2 * spread).ceil() as u64).min(page / 10);
    let target = (page - margin) as f64;

    let mut ranges = Vec::new();
    let mut after = first.saturating_sub(1);
    // Rows the current range still takes.
    let mut need = target;
    for bucket in &buckets {
        let density = (bucket.rows as f64 / ids_in(bucket)).min(1.0);
        // The part of the bucket not yet in a range.
        let mut from = bucket.first.max(after.saturating_add(1));
        while from <= bucket.last {
            let left = (bucket.last - from + 1) as f64 * density;
            if left < need {
                need -= left;
                break;
            }
            let ids = ((need / density).ceil() as i64).max(1);
            let upto = from.saturating_add(ids - 1).min(bucket.last);
            ranges.push(IdRange { after, upto });
            after = upto;
            need = target;
            from = upto.saturating_add(1);
        }
    }
    // The last range stays open, so rows created during the read past the old maximum are read;
    // when the last bucket ended exactly on a range, that range is the open one.
    match ranges.last_mut() {
        Some(last) if need >= target => last.upto = i64::MAX,
        _ => ranges.push(IdRange {
            after,
            upto: i64::MAX,
        }),
    }
    ranges
}

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

/// The buckets of ids above `last`: a bucket that `last` cuts keeps the share of its rows above
/// it (rows are taken as spread evenly, as in [`plan_histogram`]). For a read whose first page
/// went out beside its histogram and ended at `last`.
pub fn buckets_above(buckets: &[Bucket], last: i64) -> Vec<Bucket> {
    buckets
        .iter()
        .filter(|b| b.last > last && b.rows > 0 && b.first <= b.last)
        .map(|b| {
            if b.first > last {
                return *b;
            }
            let ids = (b.last - b.first).saturating_add(1) as f64;
            let above = (b.last - last) as f64;
            Bucket {
                first: last + 1,
                last: b.last,
                rows: ((b.rows as f64 * above / ids).ceil() as u64).max(1),
            }
        })
        .collect()
}

/// `ranges` (contiguous, in order, the last one open) cut down to the ids above `last`: what is
/// left to read once a first page ended at `last`. Still contiguous, and still ending open.
pub fn ranges_above(ranges: Vec<IdRange>, last: i64) -> Vec<IdRange> {
    let mut out: Vec<IdRange> = ranges
        .into_iter()
        .filter(|r| r.upto > last)
        .map(|r| IdRange {
            after: r.after.max(last),
            upto: r.upto,
        })
        .collect();
    if out.is_empty() {
        out.push(IdRange {
            after: last,
            upto: i64::MAX,
        });
    }
    out
}
