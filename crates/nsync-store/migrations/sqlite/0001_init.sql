-- nsync schema, SQLite. Timestamps are milliseconds since the Unix epoch (INTEGER), JSON is TEXT.

CREATE TABLE companies (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    time_zone     TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    user_id       INTEGER REFERENCES users (id),
    name          TEXT    NOT NULL,
    token_sha256  TEXT    NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);

CREATE TABLE integrations (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    account_id    TEXT    NOT NULL,
    auth_kind     TEXT    NOT NULL,
    -- 12-byte nonce followed by the AES-256-GCM ciphertext and tag.
    credentials   BLOB    NOT NULL,
    subsidiary_id INTEGER,
    settings      TEXT    NOT NULL,
    cursor        TEXT,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE custom_fields (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id),
    name           TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    integration_id INTEGER UNIQUE REFERENCES integrations (id)
);

CREATE TABLE options (
    id              INTEGER PRIMARY KEY,
    field_id        INTEGER NOT NULL REFERENCES custom_fields (id),
    parent_id       INTEGER REFERENCES options (id),
    level           INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    search_key      TEXT    NOT NULL,
    number          TEXT,
    active          INTEGER NOT NULL,
    inactive_reason TEXT,
    removed_here    INTEGER NOT NULL DEFAULT 0,
    upstream_kind   TEXT,
    upstream_id     INTEGER
);
CREATE UNIQUE INDEX options_upstream ON options (field_id, upstream_kind, upstream_id);
CREATE INDEX options_children ON options (field_id, parent_id, name, id);

-- Substring search: a trigram index over the folded name, kept in step by triggers. Each key
-- is indexed with two trailing spaces, so that every occurrence of a one- or two-character
-- query begins some trigram: such a query becomes the terms it begins (options_fts_terms).
-- Queries are trimmed, so the padding never matches one of three characters or more.
CREATE VIRTUAL TABLE options_fts USING fts5 (
    search_key, content = 'options', content_rowid = 'id', tokenize = 'trigram'
);
CREATE VIRTUAL TABLE options_fts_terms USING fts5vocab (options_fts, 'row');
CREATE TRIGGER options_fts_insert AFTER INSERT ON options BEGIN
    INSERT INTO options_fts (rowid, search_key) VALUES (new.id, new.search_key || '  ');
END;
CREATE TRIGGER options_fts_delete AFTER DELETE ON options BEGIN
    INSERT INTO options_fts (options_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key || '  ');
END;
CREATE TRIGGER options_fts_update AFTER UPDATE OF search_key ON options BEGIN
    INSERT INTO options_fts (options_fts, rowid, search_key) VALUES ('delete', old.id, old.search_key || '  ');
    INSERT INTO options_fts (rowid, search_key) VALUES (new.id, new.search_key || '  ');
END;

CREATE TABLE mirror_records (
    integration_id INTEGER NOT NULL REFERENCES integrations (id),
    kind           TEXT    NOT NULL,
    record_id      INTEGER NOT NULL,
    parent_kind    TEXT,
    parent_id      INTEGER,
    display_name   TEXT    NOT NULL,
    deleted        INTEGER NOT NULL,
    -- The whole record as JSON: what is compared to decide whether an upsert writes.
    record         TEXT    NOT NULL,
    PRIMARY KEY (integration_id, kind, record_id)
);
CREATE INDEX mirror_children ON mirror_records (integration_id, parent_kind, parent_id);

CREATE TABLE runs (
    id                INTEGER PRIMARY KEY,
    integration_id    INTEGER NOT NULL REFERENCES integrations (id),
    kind              TEXT    NOT NULL,
    triggered_by      TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    started_at_ms     INTEGER NOT NULL,
    finished_at_ms    INTEGER,
    added             INTEGER NOT NULL DEFAULT 0,
    renamed           INTEGER NOT NULL DEFAULT 0,
    moved             INTEGER NOT NULL DEFAULT 0,
    deactivated       INTEGER NOT NULL DEFAULT 0,
    reactivated       INTEGER NOT NULL DEFAULT 0,
    rejected          INTEGER NOT NULL DEFAULT 0,
    unchanged         INTEGER NOT NULL DEFAULT 0,
    netsuite_requests INTEGER NOT NULL DEFAULT 0,
    error             TEXT,
    pending_plan      TEXT
);
CREATE INDEX runs_by_integration ON runs (integration_id, id);

CREATE TABLE run_changes (
    run_id        INTEGER NOT NULL REFERENCES runs (id),
    seq           INTEGER NOT NULL,
    option_id     INTEGER REFERENCES options (id),
    upstream_kind TEXT    NOT NULL,
    upstream_id   INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    old_value     TEXT,
    new_value     TEXT,
    reason        TEXT,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id),
    actor_user_id INTEGER REFERENCES users (id),
    action        TEXT    NOT NULL,
    target        TEXT,
    detail        TEXT,
    at_ms         INTEGER NOT NULL
);
CREATE INDEX audit_by_company ON audit_log (company_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    dedup_key       TEXT,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    run_at_ms       INTEGER NOT NULL,
    lease_token     TEXT,
    leased_until_ms INTEGER,
    last_error      TEXT,
    created_at_ms   INTEGER NOT NULL,
    finished_at_ms  INTEGER
);
CREATE UNIQUE INDEX jobs_dedup ON jobs (dedup_key) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_ready ON jobs (status, run_at_ms, id);
