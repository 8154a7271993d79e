-- Where a running run is (phase, NetSuite pages read and planned), as JSON written about once a
-- second by the process running it, so that a page served by any process can show it. NULL once
-- the run has ended.
ALTER TABLE runs ADD COLUMN progress TEXT;
