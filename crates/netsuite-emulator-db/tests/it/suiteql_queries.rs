use crate::{demo, rows, text};
use serde_json::json;

const KEYSET: &str = "SELECT c.id, c.companyname, TO_CHAR(c.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lastmodified
FROM customer c
WHERE c.id > ? AND EXISTS (SELECT 1 FROM customersubsidiaryrelationship r WHERE r.entity = c.id AND r.subsidiary = ?)
ORDER BY c.id FETCH FIRST 25 ROWS ONLY";

#[test]
fn keyset_pages_through_a_subsidiary_without_gaps_or_repeats() {
    let db = demo();
    let expected: Vec<String> = rows(&db, "SELECT DISTINCT entity FROM customersubsidiaryrelationship WHERE subsidiary = 2 ORDER BY entity")
        .iter()
        .map(|r| text(r, "entity").to_owned())
        .collect();
    let (mut last, mut seen) = ("0".to_owned(), Vec::new());
    loop {
        let page = db
            .suiteql(KEYSET, &[json!(last), json!("2")], 0, 1000)
            .expect("page");
        assert!(page.items.len() <= 25 && page.total_results == page.items.len());
        let Some(end) = page.items.last() else { break };
        last = text(end, "id").to_owned();
        seen.extend(page.items.iter().map(|r| text(r, "id").to_owned()));
    }
    assert!(expected.len() > 25, "several pages");
    assert_eq!(seen, expected);
}

#[test]
fn offset_paging_reports_the_total() {
    let db = demo();
    let all = db
        .suiteql("SELECT id FROM job ORDER BY id", &[], 0, 1000)
        .expect("all");
    let page = db
        .suiteql("SELECT id FROM job ORDER BY id", &[], 100, 50)
        .expect("page");
    assert_eq!(page.total_results, 300);
    assert_eq!(page.items, all.items[100..150]);
}

#[test]
fn group_by_with_count_min_and_max() {
    let db = demo();
    let got = rows(&db, "SELECT subsidiary, COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi FROM job GROUP BY subsidiary ORDER BY subsidiary");
    let total: i64 = got
        .iter()
        .map(|r| text(r, "n").parse::<i64>().expect("n"))
        .sum();
    assert_eq!(total, 300);
}

#[test]
fn builtin_df_shows_the_referenced_name() {
    let db = demo();
    let row = &rows(
        &db,
        "SELECT BUILTIN.DF(subsidiary) AS s FROM customer WHERE subsidiary = 1 ORDER BY id",
    )[0];
    assert_eq!(text(row, "s"), "Honeycomb Holdings Inc.");
    let row = &rows(&db, "SELECT j.id, BUILTIN.DF(j.parent) AS p, c.entitytitle FROM job j JOIN customer c ON c.id = j.parent ORDER BY j.id")[0];
    assert_eq!(text(row, "p"), text(row, "entitytitle"));
}

#[test]
fn supports_in_between_like_is_null_not_and_or() {
    let db = demo();
    let q =
        "SELECT id FROM customer WHERE (id BETWEEN 100 AND 200 OR id IN (SELECT parent FROM job))
             AND NOT isinactive = 'T' AND companyname LIKE '%a%' AND parent IS NULL ORDER BY id";
    assert!(!rows(&db, q).is_empty());
    let case_sensitive = rows(
        &db,
        "SELECT id FROM customer WHERE companyname LIKE 'acme%'",
    );
    assert!(case_sensitive.is_empty(), "Oracle's LIKE is case-sensitive");
}

#[test]
fn row_limits_rownum_top_and_fetch_first() {
    let db = demo();
    assert_eq!(
        rows(&db, "SELECT id FROM customer WHERE ROWNUM <= 7").len(),
        7
    );
    assert_eq!(
        rows(&db, "SELECT TOP 3 id FROM customer ORDER BY id DESC").len(),
        3
    );
    let page = db
        .suiteql(
            "SELECT id FROM customer ORDER BY id OFFSET 5 ROWS FETCH NEXT 10 ROWS ONLY",
            &[],
            0,
            4,
        )
        .expect("ok");
    assert_eq!((page.items.len(), page.total_results), (4, 10));
}

#[test]
fn union_and_order_by_alias() {
    let db = demo();
    let got = rows(
        &db,
        "SELECT id AS x FROM customer UNION ALL SELECT id FROM job ORDER BY x",
    );
    // 128 customer records (8 of them leads and prospects) and 300 projects.
    assert_eq!(got.len(), 428);
    let ids: Vec<i64> = got
        .iter()
        .map(|r| text(r, "x").parse().expect("id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn entity_and_deletedrecord_tables() {
    let db = demo();
    assert_eq!(rows(&db, "SELECT id FROM entity").len(), 428);
    let deleted = rows(&db, "SELECT recordid, recordtypeid, type, TO_CHAR(deleteddate, 'YYYY-MM-DD') AS d FROM deletedrecord ORDER BY recordid");
    assert_eq!(deleted.len(), 3);
    assert!(["customer", "job"].contains(&text(&deleted[0], "recordtypeid")));
}

#[test]
fn job_customer_is_the_top_level_customer() {
    let db = demo();
    let q =
        "SELECT j.id FROM job j JOIN customer c ON c.id = j.customer WHERE c.parent IS NOT NULL";
    assert!(rows(&db, q).is_empty());
}

#[test]
fn parameters_bind_as_strings_or_numbers() {
    let db = demo();
    let a = db
        .suiteql(
            "SELECT id FROM customer WHERE id BETWEEN ? AND ?",
            &[json!("100"), json!(150)],
            0,
            1000,
        )
        .expect("ok");
    assert!(!a.items.is_empty());
}
