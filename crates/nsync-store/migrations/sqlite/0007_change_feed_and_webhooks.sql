-- The change feed: every change to a field's options, numbered per field in commit order.
-- `feed_seq` is the last number handed out; taking numbers updates the field's row, so two
-- writers to one field queue on its row lock and commit in the order of their numbers.
ALTER TABLE custom_fields ADD COLUMN feed_seq INTEGER NOT NULL DEFAULT 0;
-- Entries up to this number were pruned: a cursor before it cannot be served.
ALTER TABLE custom_fields ADD COLUMN feed_pruned_through INTEGER NOT NULL DEFAULT 0;

-- One row per entry of an action by hand; one row per run for all of the run's entries,
-- `seq` to `last_seq`: they are its change list (`run_changes`) but the rejections, which the
-- store numbers last, so entry `seq + k` is the run's change `k`. A run writes its change list
-- once, not twice.
CREATE TABLE field_changes (
    field_id      INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    last_seq      INTEGER NOT NULL,
    option_id     INTEGER,
    upstream_kind TEXT,
    upstream_id   INTEGER,
    -- A change's kind, or `run` for a run's row.
    kind          TEXT   NOT NULL,
    old_value     TEXT,
    new_value     TEXT,
    reason        TEXT,
    -- What caused it: a run, or an administrator's action (with who, when a person).
    run_id        INTEGER,
    action        TEXT,
    actor_user_id INTEGER,
    at_ms         INTEGER NOT NULL,
    PRIMARY KEY (field_id, seq)
) WITHOUT ROWID;

CREATE TABLE webhook_endpoints (
    id                    INTEGER PRIMARY KEY,
    company_id            INTEGER  NOT NULL REFERENCES companies (id),
    url                   TEXT    NOT NULL,
    -- Event types, comma-separated, with a comma before and after: `,field.changed,run.failed,`.
    event_types           TEXT    NOT NULL,
    -- Sealed under the master key, bound to the company and the endpoint.
    secret                BLOB   NOT NULL,
    previous_secret       BLOB,
    previous_until_ms     INTEGER,
    enabled               INTEGER NOT NULL DEFAULT 1,
    disabled_reason       TEXT,
    failing_since_ms      INTEGER,
    lease_token           TEXT,
    leased_until_ms       INTEGER,
    created_at_ms         INTEGER  NOT NULL
);
CREATE INDEX webhook_endpoints_by_company ON webhook_endpoints (company_id, id);

CREATE TABLE webhook_events (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    event_type    TEXT   NOT NULL,
    payload       TEXT   NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    id             INTEGER PRIMARY KEY,
    endpoint_id    INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id       INTEGER NOT NULL REFERENCES webhook_events (id),
    status         TEXT   NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_try_at_ms INTEGER NOT NULL,
    last_status    INTEGER,
    last_error     TEXT,
    created_at_ms  INTEGER NOT NULL,
    finished_at_ms INTEGER
);
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, status, id);
