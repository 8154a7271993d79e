//! The sync engine, black box: an in-process NetSuite emulator on one side, the store on the
//! other (SQLite, and PostgreSQL when reachable; required when `CI=true`).

mod harness;

mod histories;
mod rules;
