//! The SuiteQL translator never panics, whatever the input (the fuzzing issue goes further).

use crate::demo;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SEEDS: &[&str] = &[
    "SELECT c.id, BUILTIN.DF(c.subsidiary) FROM customer c WHERE c.id > ? AND EXISTS (SELECT 1 FROM customersubsidiaryrelationship r WHERE r.entity = c.id) ORDER BY c.id FETCH FIRST 10 ROWS ONLY",
    "SELECT TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS t, COUNT(*) FROM job GROUP BY lastmodifieddate HAVING COUNT(*) > 1",
    "SELECT * FROM customer WHERE companyname LIKE '%a%' OR id IN (1, 2, 3) AND NOT (id BETWEEN 4 AND 5) UNION SELECT * FROM customer",
    "SELECT CASE WHEN isinactive = 'T' THEN 'x' ELSE 'y' END, -(-id) / 2 || 'z' FROM entity WHERE ROWNUM <= 3",
];

const PIECES: &[&str] = &[
    "(",
    ")",
    "'",
    "\"",
    "?",
    ",",
    ".",
    "*",
    "SELECT",
    "FROM",
    "WHERE",
    "--",
    "/*",
    "ROWNUM",
    "TO_DATE('2020', 'YYYY')",
    "TO_CHAR(id, 'FMDAY\"')",
    "NOT",
    "EXISTS",
    "(SELECT",
    "é",
    "🚀",
    "\u{0}",
    "FETCH FIRST 99999999999 ROWS ONLY",
    "1e999",
];

#[test]
fn the_translator_never_panics_on_mangled_queries() {
    let db = demo();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for seed in SEEDS {
        let chars: Vec<char> = seed.chars().collect();
        for cut in 0..chars.len() {
            let q: String = chars[..cut].iter().collect();
            let _ = db.suiteql(&q, &[], 0, 5);
        }
        for _ in 0..300 {
            let mut q: String = seed.to_string();
            for _ in 0..rng.gen_range(1..4) {
                let at = (0..=q.len())
                    .filter(|i| q.is_char_boundary(*i))
                    .nth(rng.gen_range(0..q.chars().count()))
                    .unwrap_or(0);
                q.insert_str(at, PIECES[rng.gen_range(0..PIECES.len())]);
            }
            let _ = db.suiteql(&q, &[serde_json::json!("1")], 0, 5);
        }
    }
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let db = demo();
    let deep = format!(
        "SELECT id FROM customer WHERE {}1{} = 1",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(db.suiteql(&deep, &[], 0, 5).is_err());
    let negs = format!("SELECT {}1 FROM customer", "- ".repeat(100_000));
    assert!(db.suiteql(&negs, &[], 0, 5).is_err());
    let chain = |n: usize| {
        format!(
            "SELECT id FROM customer WHERE {} 1 = 1",
            "1 = 1 OR ".repeat(n)
        )
    };
    assert!(db.suiteql(&chain(300), &[], 0, 5).is_ok());
    // Past SQLite's expression depth this is an error, but still no panic.
    let _ = db.suiteql(&chain(50_000), &[], 0, 5);
}
