-- A digest of what an option row holds besides its record's key (see `content_hash` in
-- `plan/options.rs`), written with the row by every plan. A re-applied plan compares it
-- alone to find the rows it need not touch. NULL (rows written before, or changed here since)
-- means unknown: such a row is compared column by column.
ALTER TABLE options ADD COLUMN content_hash BIGINT;
