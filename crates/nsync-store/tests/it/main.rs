//! The store's contract suite: every test runs on SQLite and on PostgreSQL.
//!
//! PostgreSQL: `postgres://postgres@127.0.0.1:5432/test`, or `NSYNC_TEST_POSTGRES_URL`. Each
//! test gets a fresh schema, dropped at the end. When the server is unreachable, the
//! PostgreSQL half prints that it was skipped and why, unless `CI=true`, where it fails.

mod harness;

mod accounts;
mod audited;
mod feed;
mod integrations;
mod jobs;
mod kept;
mod locks;
mod options;
mod plans;
mod runs;
mod schedule;
mod slots;
