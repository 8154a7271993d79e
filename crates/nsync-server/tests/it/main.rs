//! The sync engine, black box: an in-process NetSuite emulator on one side, the store on the
//! other (SQLite, and PostgreSQL when reachable; required when `CI=true`).

#![recursion_limit = "256"]

mod api_harness;
mod harness;

mod api_access;
mod api_flows;
mod api_web;
mod automation;
mod credentials;
mod histories;
mod hostile_input;
mod interrupted_runs;
mod openapi_schemas;
mod pages;
mod password_change;
mod request_shapes;
mod rules;
mod secrets;
mod security_headers;
mod sessions;
mod soak;
mod stages;
mod state_changes;
mod webhooks;
