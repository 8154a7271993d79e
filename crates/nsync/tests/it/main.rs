//! The `nsync` binary, black box: several processes over one PostgreSQL database, and processes
//! killed at random moments on either backend.

mod support;

mod crash;
mod processes;
mod webhook_takeover;
