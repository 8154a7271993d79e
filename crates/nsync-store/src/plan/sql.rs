//! The statements of `apply_plan`, per backend. Options travel as bound rows (see
//! `options.rs`); the rest as JSON arrays, where the backends differ only in how an array
//! becomes rows (`json_each` and typed `->>` on SQLite; `jsonb_array_elements` and casts on
//! PostgreSQL).
//!
//! JSON row shapes, by position:
//! - mirror: kind, id, parent kind, parent id, display name, deleted, record JSON;
//! - removal: kind, id.

use crate::store::Backend;

pub(super) struct Statements {
    pub field_owner: &'static str,
    pub run_owner: &'static str,
    pub mirror_upsert: &'static str,
    pub mirror_remove: &'static str,
    pub run_finish: &'static str,
    pub cursor_update: &'static str,
    /// Run first in the transaction.
    pub session: &'static [&'static str],
    /// Refreshes the planner's statistics of `options` after a bulk write.
    pub analyze_options: Option<&'static str>,
}

impl Statements {
    pub(super) fn for_backend(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => SQLITE,
            Backend::Postgres => POSTGRES,
        }
    }
}

/// The columns of an option row as bound, in order (`v` in the upserts below).
const OPTION_ROW: &str = "kind, id, parent_kind, parent_upstream_id, level, name, search_key, \
     number, active, inactive_reason, removed_here, flaw, content_hash";

/// A row passes when it is new or differs from the stored one. A parent key without an
/// option (`p.id` NULL) always passes, so that the check for it sees the row.
macro_rules! option_changed {
    () => {
        "o.id IS NULL OR (v.parent_kind IS NOT NULL AND p.id IS NULL) \
         OR o.parent_id IS DISTINCT FROM p.id OR o.level IS DISTINCT FROM v.level \
         OR o.name IS DISTINCT FROM v.name OR o.number IS DISTINCT FROM v.number \
         OR o.active IS DISTINCT FROM v.active \
         OR o.inactive_reason IS DISTINCT FROM v.inactive_reason \
         OR o.removed_here IS DISTINCT FROM v.removed_here \
         OR o.flaw IS DISTINCT FROM v.flaw"
    };
}

macro_rules! option_columns {
    () => {
        "INSERT INTO options (field_id, parent_id, level, name, search_key, number, active, \
         inactive_reason, removed_here, flaw, upstream_kind, upstream_id, content_hash) "
    };
}

/// Only rows where a column differs are written; `IS DISTINCT FROM` treats NULLs as values.
macro_rules! option_conflict {
    () => {
        " ON CONFLICT (field_id, upstream_kind, upstream_id) DO UPDATE SET \
         parent_id = excluded.parent_id, level = excluded.level, name = excluded.name, \
         search_key = excluded.search_key, number = excluded.number, active = excluded.active, \
         inactive_reason = excluded.inactive_reason, removed_here = excluded.removed_here, \
         flaw = excluded.flaw, content_hash = excluded.content_hash \
         WHERE options.parent_id IS DISTINCT FROM excluded.parent_id \
            OR options.level IS DISTINCT FROM excluded.level \
            OR options.name IS DISTINCT FROM excluded.name \
            OR options.number IS DISTINCT FROM excluded.number \
            OR options.active IS DISTINCT FROM excluded.active \
            OR options.inactive_reason IS DISTINCT FROM excluded.inactive_reason \
            OR options.removed_here IS DISTINCT FROM excluded.removed_here \
            OR options.flaw IS DISTINCT FROM excluded.flaw"
    };
}

/// The columns of a written option that the database decided, as the upserts return them: its
/// id and its parent's id (the rest it stored as bound). A copy in memory takes the database's
/// word for these instead of replaying the SQL.
macro_rules! option_returning {
    () => {
        "id, parent_id, upstream_kind, upstream_id"
    };
}

/// PostgreSQL's option upsert: `$1` is the field, then one array per column of a row.
/// Returns the rows it wrote (`option_returning!`), or, writing nothing, one row naming the
/// first parent key without an option (`missing_kind`, `missing_id`). Chunks are large, so
/// hash joins over the field's options beat a probe of the unique index per row.
pub(super) const POSTGRES_OPTION_UPSERT: &str = concat!(
    "WITH v AS (SELECT * FROM UNNEST($2::text[], $3::bigint[], $4::text[], $5::bigint[], \
       $6::bigint[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[], $12::boolean[], \
       $13::text[], $14::bigint[]) \
       AS v (kind, id, parent_kind, parent_upstream_id, level, name, search_key, number, active, \
       inactive_reason, removed_here, flaw, content_hash)), \
     r AS (SELECT v.*, p.id AS parent_id FROM v \
       LEFT JOIN options AS p ON p.field_id = $1 AND p.upstream_kind = v.parent_kind \
         AND p.upstream_id = v.parent_upstream_id \
       LEFT JOIN options AS o ON o.field_id = $1 AND o.upstream_kind = v.kind AND o.upstream_id = v.id \
       WHERE ",
    option_changed!(),
    "), \
     missing AS (SELECT parent_kind, parent_upstream_id FROM r \
       WHERE parent_kind IS NOT NULL AND parent_id IS NULL LIMIT 1), \
     written AS (",
    option_columns!(),
    "SELECT $1, parent_id, level, name, search_key, number, active, inactive_reason, removed_here, flaw, kind, id, \
       content_hash \
       FROM r WHERE NOT EXISTS (SELECT 1 FROM missing)",
    option_conflict!(),
    " RETURNING ",
    option_returning!(),
    ") \
     SELECT w.*, NULL::text AS missing_kind, NULL::bigint AS missing_id FROM written AS w \
     UNION ALL SELECT NULL::bigint, NULL::bigint, NULL::text, NULL::bigint, \
       parent_kind, parent_upstream_id FROM missing"
);

/// PostgreSQL's insert into a field that had no options: `$1` is the field, `$2` the parents'
/// ids, then one array per column in the order of `option_columns!` (level to flaw, then the
/// upstream kinds and ids).
pub(super) const POSTGRES_OPTION_INSERT: &str = concat!(
    option_columns!(),
    "SELECT $1, v.* FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], \
       $7::boolean[], $8::text[], $9::boolean[], $10::text[], $11::text[], $12::bigint[], \
       $13::bigint[]) AS v \
     RETURNING ",
    option_returning!()
);

/// PostgreSQL: the 1-based positions of the rows that are new or differ, over a whole plan in
/// one statement: `$1` the field, then the records' kinds, ids and content hashes (see
/// `content_hash` in `options.rs`). A row whose stored hash equals its own is as the plan
/// wants it; any other (new, changed, or stored without a hash) goes on to the upsert, which
/// compares every column. One narrow hash join over the field's options: re-applying a large
/// plan writes nothing and reads little.
pub(super) const POSTGRES_OPTIONS_CHANGED: &str =
    "SELECT v.ord FROM UNNEST($2::text[], $3::bigint[], $4::bigint[]) \
       WITH ORDINALITY AS v (kind, id, content_hash, ord) \
     LEFT JOIN options AS o ON o.field_id = $1 AND o.upstream_kind = v.kind AND o.upstream_id = v.id \
     WHERE o.content_hash IS DISTINCT FROM v.content_hash";

/// `(?, ?), (?, ?)`: `rows` rows of `columns` parameters. Anonymous on purpose: SQLite finds
/// a numbered parameter's name by a linear search, so binding thousands of them is quadratic.
pub(super) fn sqlite_rows(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; rows].join(", ")
}

/// SQLite's option upsert of `rows` rows. A parent key without an option resolves to
/// parent id 0, which no option has: the foreign key then fails the statement, and the
/// caller asks `sqlite_missing_parent` which key it was.
pub(super) fn sqlite_option_upsert(rows: usize) -> String {
    format!(
        "WITH f (field) AS (SELECT ?), v ({OPTION_ROW}) AS (VALUES {}), \
         r AS (SELECT v.*, CASE WHEN v.parent_kind IS NULL THEN NULL ELSE coalesce(p.id, 0) END AS parent_id \
           FROM v CROSS JOIN f LEFT JOIN options AS p ON p.field_id = f.field \
           AND p.upstream_kind = v.parent_kind AND p.upstream_id = v.parent_upstream_id) \
         {}SELECT f.field, v.parent_id, v.level, v.name, v.search_key, v.number, v.active, \
           v.inactive_reason, v.removed_here, v.flaw, v.kind, v.id, v.content_hash \
         FROM r AS v CROSS JOIN f LEFT JOIN options AS o ON o.field_id = f.field \
           AND o.upstream_kind = v.kind AND o.upstream_id = v.id \
         WHERE o.id IS NULL OR o.parent_id IS NOT v.parent_id OR o.level IS NOT v.level \
           OR o.name IS NOT v.name OR o.number IS NOT v.number OR o.active IS NOT v.active \
           OR o.inactive_reason IS NOT v.inactive_reason OR o.removed_here IS NOT v.removed_here \
           OR o.flaw IS NOT v.flaw\
         {} RETURNING {}",
        sqlite_rows(rows, 13),
        option_columns!(),
        option_conflict!(),
        option_returning!()
    )
}

/// SQLite's insert of `rows` rows into a field that had no options, each row bound in the
/// order of `option_columns!`.
pub(super) fn sqlite_option_insert(rows: usize) -> String {
    format!(
        "{}VALUES {} RETURNING {}",
        option_columns!(),
        sqlite_rows(rows, 13),
        option_returning!()
    )
}

/// The first of `parents` parent keys without an option in the field (bound first).
pub(super) fn sqlite_missing_parent(parents: usize) -> String {
    format!(
        "WITH f (field) AS (SELECT ?), v (kind, id) AS (VALUES {}) SELECT kind, id FROM v \
         CROSS JOIN f WHERE NOT EXISTS (SELECT 1 FROM options AS p WHERE p.field_id = f.field \
           AND p.upstream_kind = v.kind AND p.upstream_id = v.id) LIMIT 1",
        sqlite_rows(parents, 2)
    )
}

macro_rules! mirror_conflict {
    () => {
        " ON CONFLICT (integration_id, kind, record_id) DO UPDATE SET \
         parent_kind = excluded.parent_kind, parent_id = excluded.parent_id, \
         display_name = excluded.display_name, deleted = excluded.deleted, record = excluded.record \
         WHERE mirror_records.record IS DISTINCT FROM excluded.record"
    };
}

const FIELD_OWNER: &str = "SELECT integration_id, company_id FROM custom_fields WHERE id = $1";
const RUN_OWNER: &str = "SELECT integration_id FROM runs WHERE id = $1";

const RUN_FINISH: &str =
    "UPDATE runs SET status = $2, finished_at_ms = $3, added = $4, renamed = $5, \
     moved = $6, deactivated = $7, reactivated = $8, rejected = $9, unchanged = $10, \
     netsuite_requests = $11, error = $12, pending_plan = NULL, progress = NULL, \
     restored = $13, deleted = $14 \
     WHERE id = $1 AND (status IS DISTINCT FROM $2 OR finished_at_ms IS DISTINCT FROM $3 \
        OR added IS DISTINCT FROM $4 OR renamed IS DISTINCT FROM $5 OR moved IS DISTINCT FROM $6 \
        OR deactivated IS DISTINCT FROM $7 OR reactivated IS DISTINCT FROM $8 \
        OR rejected IS DISTINCT FROM $9 OR unchanged IS DISTINCT FROM $10 \
        OR netsuite_requests IS DISTINCT FROM $11 OR error IS DISTINCT FROM $12 \
        OR restored IS DISTINCT FROM $13 OR deleted IS DISTINCT FROM $14)";

const CURSOR_UPDATE: &str =
    "UPDATE integrations SET cursor = $2 WHERE id = $1 AND cursor IS DISTINCT FROM $2";

const SQLITE: Statements = Statements {
    field_owner: FIELD_OWNER,
    run_owner: RUN_OWNER,
    // `WHERE true` tells SQLite's parser that the `ON` after the `SELECT` is the upsert's.
    mirror_upsert: concat!(
        "INSERT INTO mirror_records (integration_id, kind, record_id, parent_kind, parent_id, display_name, deleted, record) \
         SELECT $1, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6 \
         FROM json_each($2) AS j WHERE true",
        mirror_conflict!()
    ),
    mirror_remove: "DELETE FROM mirror_records WHERE integration_id = $1 AND (kind, record_id) IN \
         (SELECT j.value ->> 0, j.value ->> 1 FROM json_each($2) AS j)",
    run_finish: RUN_FINISH,
    cursor_update: CURSOR_UPDATE,
    session: &[],
    // SQLite's plans for `options` do not depend on statistics (search fixes its join order).
    analyze_options: None,
};

const POSTGRES: Statements = Statements {
    field_owner: FIELD_OWNER,
    run_owner: RUN_OWNER,
    mirror_upsert: concat!(
        "INSERT INTO mirror_records (integration_id, kind, record_id, parent_kind, parent_id, display_name, deleted, record) \
         SELECT $1, j.value ->> 0, (j.value ->> 1)::bigint, j.value ->> 2, (j.value ->> 3)::bigint, j.value ->> 4, \
                (j.value ->> 5)::boolean, j.value ->> 6 \
         FROM jsonb_array_elements($2::jsonb) AS j (value)",
        mirror_conflict!()
    ),
    mirror_remove: "DELETE FROM mirror_records WHERE integration_id = $1 AND (kind, record_id) IN \
         (SELECT j.value ->> 0, (j.value ->> 1)::bigint FROM jsonb_array_elements($2::jsonb) AS j (value))",
    run_finish: RUN_FINISH,
    cursor_update: CURSOR_UPDATE,
    // A chunk's estimated cost crosses the JIT threshold, and compiling it costs more than it
    // saves; its hash joins over a field's options need more than the default 4 MB.
    session: &["SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'"],
    // Autovacuum cannot see the rows before commit, nor analyse them at once after it: without
    // this the searches and children pages that follow an import plan for an empty table.
    analyze_options: Some("ANALYZE options"),
};
