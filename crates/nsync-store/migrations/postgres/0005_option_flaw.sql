-- Why an integrated option's NetSuite record is flawed (a bad name, an unknown status), when it
-- is: the option keeps the last good value of the bad field and shows this reason until NetSuite
-- mends the record. NULL for a sound record and for manual options.
ALTER TABLE options ADD COLUMN flaw TEXT;
