-- The foreign keys from options to their field and parent, and from a change to its option,
-- are checked by the statements that write those rows instead: `apply_plan` refuses a field
-- that is not the integration's and a parent without an option (writing nothing), inside the
-- same transaction; a manual option is added under a parent of its own field only; a change
-- takes its option id from a join with `options`. Fields and options are never deleted, so no
-- reference can dangle later.
--
-- PostgreSQL checks a foreign key row by row, locking the referenced row each time: measured
-- at 11-16 µs a row, more than half of an import of 300,000 options (`bench/store.sh`). SQLite
-- keeps its foreign keys: they cost it little, and its upsert relies on one to find a missing
-- parent.
ALTER TABLE options DROP CONSTRAINT IF EXISTS options_field_id_fkey;
ALTER TABLE options DROP CONSTRAINT IF EXISTS options_parent_id_fkey;
ALTER TABLE run_changes DROP CONSTRAINT IF EXISTS run_changes_option_id_fkey;
