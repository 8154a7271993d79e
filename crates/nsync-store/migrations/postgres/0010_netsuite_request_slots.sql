-- NetSuite's concurrency limit is per account, and every process of a deployment reads through
-- it: a request in flight holds one of its account's rows (`holder` set, `held_until_ms` ahead),
-- so the processes together never send more than the limit. The row of a holder that died
-- frees itself once `held_until_ms` has passed.
CREATE TABLE netsuite_request_slots (
    account       TEXT    NOT NULL,
    slot          INTEGER NOT NULL,
    holder        TEXT,
    held_until_ms BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (account, slot)
);
