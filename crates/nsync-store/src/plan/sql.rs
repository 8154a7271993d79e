//! The statements of `apply_plan`, per backend. Options travel as bound rows (see
//! `options.rs`); the rest as JSON arrays, where the backends differ only in how an array
//! becomes rows (`json_each` and typed `->>` on SQLite; `jsonb_array_elements` and casts on
//! PostgreSQL).
//!
//! JSON row shapes, by position:
//! - mirror: kind, id, parent kind, parent id, display name, deleted, record JSON;
//! - removal: kind, id;
//! - change: seq, kind, id, change kind, old value, new value, reason.

use crate::store::Backend;

pub(super) struct Statements {
    pub field_owner: &'static str,
    pub run_owner: &'static str,
    pub mirror_upsert: &'static str,
    pub mirror_remove: &'static str,
    pub change_insert: &'static str,
    pub run_finish: &'static str,
    pub cursor_update: &'static str,
}

impl Statements {
    pub(super) fn for_backend(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => SQLITE,
            Backend::Postgres => POSTGRES,
        }
    }
}

/// The columns an option upsert writes, in the order of each backend's rows.
pub(super) const OPTION_INSERT: &str =
    "INSERT INTO options (field_id, parent_id, level, name, search_key, number, active, \
     inactive_reason, removed_here, upstream_kind, upstream_id)";

/// PostgreSQL's rows of an option upsert: `$1` is the field, then one array per column.
pub(super) const POSTGRES_OPTION_ROWS: &str =
    "SELECT $1, * FROM UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], \
     $7::boolean[], $8::text[], $9::boolean[], $10::text[], $11::bigint[])";

/// Only rows where a column differs are written; `IS DISTINCT FROM` treats NULLs as values.
pub(super) const OPTION_CONFLICT: &str =
    "ON CONFLICT (field_id, upstream_kind, upstream_id) DO UPDATE SET \
     parent_id = excluded.parent_id, level = excluded.level, name = excluded.name, \
     search_key = excluded.search_key, number = excluded.number, active = excluded.active, \
     inactive_reason = excluded.inactive_reason, removed_here = excluded.removed_here \
     WHERE options.parent_id IS DISTINCT FROM excluded.parent_id \
        OR options.level IS DISTINCT FROM excluded.level \
        OR options.name IS DISTINCT FROM excluded.name \
        OR options.number IS DISTINCT FROM excluded.number \
        OR options.active IS DISTINCT FROM excluded.active \
        OR options.inactive_reason IS DISTINCT FROM excluded.inactive_reason \
        OR options.removed_here IS DISTINCT FROM excluded.removed_here";

/// One page of a field's integrated options, keyset-paged along `options_upstream`.
pub(super) const STORED_OPTIONS: &str =
    "SELECT id, upstream_kind, upstream_id, parent_id, level, name, number, active, \
     inactive_reason, removed_here FROM options \
     WHERE field_id = $1 AND upstream_kind IS NOT NULL AND (upstream_kind, upstream_id) > ($2, $3) \
     ORDER BY upstream_kind, upstream_id LIMIT $4";

macro_rules! mirror_conflict {
    () => {
        " ON CONFLICT (integration_id, kind, record_id) DO UPDATE SET \
         parent_kind = excluded.parent_kind, parent_id = excluded.parent_id, \
         display_name = excluded.display_name, deleted = excluded.deleted, record = excluded.record \
         WHERE mirror_records.record IS DISTINCT FROM excluded.record"
    };
}

const FIELD_OWNER: &str = "SELECT integration_id FROM custom_fields WHERE id = $1";
const RUN_OWNER: &str = "SELECT integration_id FROM runs WHERE id = $1";

const RUN_FINISH: &str =
    "UPDATE runs SET status = $2, finished_at_ms = $3, added = $4, renamed = $5, \
     moved = $6, deactivated = $7, reactivated = $8, rejected = $9, unchanged = $10, \
     netsuite_requests = $11, error = $12, pending_plan = NULL \
     WHERE id = $1 AND (status IS DISTINCT FROM $2 OR finished_at_ms IS DISTINCT FROM $3 \
        OR added IS DISTINCT FROM $4 OR renamed IS DISTINCT FROM $5 OR moved IS DISTINCT FROM $6 \
        OR deactivated IS DISTINCT FROM $7 OR reactivated IS DISTINCT FROM $8 \
        OR rejected IS DISTINCT FROM $9 OR unchanged IS DISTINCT FROM $10 \
        OR netsuite_requests IS DISTINCT FROM $11 OR error IS DISTINCT FROM $12)";

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
    change_insert: "INSERT INTO run_changes (run_id, seq, option_id, upstream_kind, upstream_id, kind, old_value, new_value, reason) \
         SELECT $1, j.value ->> 0, o.id, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6 \
         FROM json_each($3) AS j LEFT JOIN options AS o \
           ON o.field_id = $2 AND o.upstream_kind = j.value ->> 1 AND o.upstream_id = j.value ->> 2 \
         WHERE true ON CONFLICT (run_id, seq) DO NOTHING",
    run_finish: RUN_FINISH,
    cursor_update: CURSOR_UPDATE,
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
    change_insert: "INSERT INTO run_changes (run_id, seq, option_id, upstream_kind, upstream_id, kind, old_value, new_value, reason) \
         SELECT $1, (j.value ->> 0)::bigint, o.id, j.value ->> 1, (j.value ->> 2)::bigint, j.value ->> 3, j.value ->> 4, \
                j.value ->> 5, j.value ->> 6 \
         FROM jsonb_array_elements($3::jsonb) AS j (value) LEFT JOIN options AS o \
           ON o.field_id = $2 AND o.upstream_kind = j.value ->> 1 AND o.upstream_id = (j.value ->> 2)::bigint \
         ON CONFLICT (run_id, seq) DO NOTHING",
    run_finish: RUN_FINISH,
    cursor_update: CURSOR_UPDATE,
};
