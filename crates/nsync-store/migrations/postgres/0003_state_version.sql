-- Moves forward whenever an integration's mirror or the options of its field change, in the
-- same transaction as the change: a process that kept them in memory knows, with one read,
-- whether its copy is still what the database holds.
ALTER TABLE integrations ADD COLUMN state_version BIGINT NOT NULL DEFAULT 0;
