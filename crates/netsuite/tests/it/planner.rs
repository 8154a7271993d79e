//! The paging planner: id ranges that cover every row exactly once.

use netsuite::plan::{buckets_above, plan, plan_histogram, ranges_above, Bucket, IdRange, IdStats};

fn covers_exactly(ranges: &[IdRange], ids: &[i64]) {
    for id in ids {
        let n = ranges
            .iter()
            .filter(|r| *id > r.after && *id <= r.upto)
            .count();
        assert_eq!(n, 1, "id {id} is in {n} ranges");
    }
    for pair in ranges.windows(2) {
        assert_eq!(pair[0].upto, pair[1].after, "ranges must be contiguous");
    }
    assert_eq!(
        ranges.last().unwrap().upto,
        i64::MAX,
        "the last range stays open"
    );
}

#[test]
fn dense_ids_are_cut_into_one_page_per_range() {
    let ranges = plan(
        Some(IdStats {
            min: 1,
            max: 101_000,
            count: 101_000,
        }),
        1000,
    );
    assert_eq!(ranges.len(), 101);
    assert!(ranges[..100].iter().all(|r| r.upto - r.after == 1000));
    covers_exactly(&ranges, &[1, 1000, 1001, 100_999, 101_000, 101_001]);
}

#[test]
fn sparse_ids_get_wider_ranges_a_little_under_a_page() {
    let ranges = plan(
        Some(IdStats {
            min: 10,
            max: 300_009,
            count: 100_000,
        }),
        1000,
    );
    let width = ranges[0].upto - ranges[0].after;
    assert_eq!(width, 2700);
    covers_exactly(&ranges, &[10, 2709, 2710, 300_009]);
}

#[test]
fn small_and_empty_tables_are_one_open_range() {
    assert_eq!(
        plan(
            Some(IdStats {
                min: 5,
                max: 900,
                count: 800
            }),
            1000
        ),
        vec![IdRange::ALL]
    );
    assert_eq!(
        plan(
            Some(IdStats {
                min: 0,
                max: 0,
                count: 0
            }),
            1000
        ),
        vec![IdRange::ALL]
    );
    assert_eq!(plan(None, 1000), vec![IdRange::ALL]);
}

#[test]
fn a_smaller_page_size_makes_more_ranges() {
    let ranges = plan(
        Some(IdStats {
            min: 1,
            max: 2500,
            count: 2500,
        }),
        100,
    );
    assert_eq!(ranges.len(), 25);
    covers_exactly(&ranges, &(1..=2500).collect::<Vec<_>>());
}

/// Rows per range of a plan, from the ids that exist.
fn rows_per_range(ranges: &[IdRange], ids: &[i64]) -> Vec<usize> {
    ranges
        .iter()
        .map(|r| {
            ids.iter()
                .filter(|id| **id > r.after && **id <= r.upto)
                .count()
        })
        .collect()
}

/// What the histogram query answers: rows, first and last id per bucket of `width` ids.
fn histogram_of(ids: &[i64], width: i64) -> Vec<Bucket> {
    let mut buckets = std::collections::BTreeMap::<i64, Bucket>::new();
    for &id in ids {
        let b = buckets.entry(id / width).or_insert(Bucket {
            first: id,
            last: id,
            rows: 0,
        });
        b.first = b.first.min(id);
        b.last = b.last.max(id);
        b.rows += 1;
    }
    buckets.into_values().collect()
}

#[test]
fn a_histogram_cuts_sparse_uneven_ids_into_nearly_full_pages() {
    // A third of the ids, unevenly: dense stretches and empty ones, as a subsidiary's records are.
    let ids: Vec<i64> = (1..=300_000)
        .filter(|id| match id / 20_000 % 3 {
            0 => id % 2 == 0,
            1 => id % 7 == 0,
            _ => id % 3 == 0 && id % 11 != 0,
        })
        .collect();
    let ranges = plan_histogram(&histogram_of(&ids, 300), 1000);
    covers_exactly(&ranges, &ids);
    let rows = rows_per_range(&ranges, &ids);
    // Nearly every range within a few rows of a page; a bucket that straddles a change of
    // density may spill a range by a row or so.
    let minimum = ids.len().div_ceil(1000);
    assert!(
        ranges.len() <= minimum + minimum * 3 / 100,
        "{} ranges for {} rows",
        ranges.len(),
        ids.len()
    );
    let spilled = rows.iter().filter(|n| **n > 1000).count();
    assert!(spilled <= 2, "{rows:?}");
    // The average-density plan of the same ids needs many more, or spills.
    let uniform = plan(
        Some(IdStats {
            min: ids[0],
            max: *ids.last().unwrap(),
            count: ids.len() as u64,
        }),
        1000,
    );
    let spilling = rows_per_range(&uniform, &ids)
        .iter()
        .filter(|n| **n > 1000)
        .count();
    assert!(uniform.len() + spilling > ranges.len() + spilled + 5);
}

#[test]
fn dense_ids_in_a_histogram_are_cut_into_exactly_full_pages() {
    let ids: Vec<i64> = (50_001..=300_000).collect();
    let ranges = plan_histogram(&histogram_of(&ids, 278), 1000);
    covers_exactly(&ranges, &ids);
    assert_eq!(ranges.len(), 250);
    assert!(rows_per_range(&ranges, &ids).iter().all(|n| *n == 1000));
}

#[test]
fn a_bucket_of_more_than_a_page_is_cut_evenly() {
    // 5,000 rows spread over the first bucket's 10,000 ids, 500 in the next.
    let ids: Vec<i64> = (1..=5000).map(|i| i * 2).chain(10_001..=10_500).collect();
    let ranges = plan_histogram(&histogram_of(&ids, 10_000), 1000);
    covers_exactly(&ranges, &ids);
    let rows = rows_per_range(&ranges, &ids);
    assert!(rows.iter().all(|n| *n <= 1000), "{rows:?}");
    assert!(ranges.len() <= 7, "{rows:?}");
}

#[test]
fn a_histogram_of_one_page_or_none_is_one_open_range() {
    assert_eq!(plan_histogram(&[], 1000), vec![IdRange::ALL]);
    let small = [
        Bucket {
            first: 30,
            last: 39,
            rows: 4,
        },
        Bucket {
            first: 90,
            last: 5000,
            rows: 996,
        },
    ];
    assert_eq!(plan_histogram(&small, 1000), vec![IdRange::ALL]);
}

#[test]
fn a_last_bucket_of_more_than_a_page_leaves_the_last_range_open() {
    let ids: Vec<i64> = (1..=500).chain(1001..=3000).collect();
    let ranges = plan_histogram(&histogram_of(&ids, 1000), 1000);
    covers_exactly(&ranges, &ids);
    assert!(rows_per_range(&ranges, &ids).iter().all(|n| *n > 0));
}

#[test]
fn after_a_first_page_the_plan_covers_exactly_the_ids_above_it() {
    // Ids 1..=10_000 in buckets of 278, the first page read ids up to 1_000.
    let ids: Vec<i64> = (1..=10_000).collect();
    let buckets: Vec<Bucket> = ids
        .chunks(278)
        .map(|c| Bucket {
            first: c[0],
            last: *c.last().unwrap(),
            rows: c.len() as u64,
        })
        .collect();
    let last = 1_000;
    let above = buckets_above(&buckets, last);
    assert_eq!(
        above[0].first,
        last + 1,
        "the cut bucket starts above the page"
    );
    assert_eq!(above.iter().map(|b| b.rows).sum::<u64>(), 9_000);
    let ranges = ranges_above(plan_histogram(&above, 1000), last);
    assert_eq!(ranges[0].after, last);
    covers_exactly(&ranges, &ids[last as usize..]);
    assert!(ranges.len() <= 10, "{} ranges for 9,000 ids", ranges.len());
    assert!(
        ranges.iter().all(|r| r.upto > last),
        "nothing at or below the first page is read again"
    );
}

#[test]
fn ranges_above_a_page_past_every_range_leave_one_open_range() {
    let ranges = ranges_above(vec![IdRange::ALL], 500);
    assert_eq!(
        ranges,
        vec![IdRange {
            after: 500,
            upto: i64::MAX
        }]
    );
    let cut = ranges_above(
        vec![
            IdRange {
                after: 0,
                upto: 100,
            },
            IdRange {
                after: 100,
                upto: 200,
            },
            IdRange {
                after: 200,
                upto: i64::MAX,
            },
        ],
        150,
    );
    assert_eq!(
        cut,
        vec![
            IdRange {
                after: 150,
                upto: 200
            },
            IdRange {
                after: 200,
                upto: i64::MAX
            },
        ]
    );
}
