-- The automatic update's progress, NetSuite-triggered updates, and job leases that say
-- whether they took over an abandoned one.

-- Slots of the automatic update starting at or before this instant are done (or predate the
-- schedule): a slot is claimed by moving this forward, in the same transaction as its job.
ALTER TABLE integrations ADD COLUMN schedule_after_ms BIGINT NOT NULL DEFAULT 0;
-- The HMAC secret of NetSuite notifications, sealed like the credentials; NULL until made.
ALTER TABLE integrations ADD COLUMN hook_secret BYTEA;

-- Signatures of accepted notifications, kept while their timestamp is fresh, so a replay is
-- refused.
CREATE TABLE hook_deliveries (
    integration_id BIGINT  NOT NULL REFERENCES integrations (id),
    signature      TEXT    NOT NULL,
    received_at_ms BIGINT  NOT NULL,
    PRIMARY KEY (integration_id, signature)
);

-- When a job was last leased, and the status it had then: 'running' means an abandoned lease
-- was taken over.
ALTER TABLE jobs ADD COLUMN leased_at_ms BIGINT;
ALTER TABLE jobs ADD COLUMN leased_from TEXT;

-- The job a run was started for: a job whose run succeeded is done, even when its worker died
-- before saying so (the next worker finds the run and does not run it again).
ALTER TABLE runs ADD COLUMN job_id BIGINT;
CREATE INDEX runs_job ON runs (job_id) WHERE job_id IS NOT NULL;

-- De-duplication covers queued jobs only: a notification that arrives while an update runs
-- must queue the next one, or the change it reports could be missed.
DROP INDEX jobs_dedup;
CREATE UNIQUE INDEX jobs_dedup ON jobs (dedup_key) WHERE status = 'queued';
