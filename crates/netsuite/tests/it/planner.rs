//! The paging planner: id ranges that cover every row exactly once.

use netsuite::plan::{plan, IdRange, IdStats};

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
