-- A digest of what an option row holds besides its record's key (see `content_hash` in
-- `plan/options.rs`), written with the row by every plan, as on PostgreSQL, where a re-applied
-- plan compares it alone. NULL means unknown.
ALTER TABLE options ADD COLUMN content_hash INTEGER;
