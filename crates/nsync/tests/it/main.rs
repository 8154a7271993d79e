//! The `nsync` binary, black box: several processes over one PostgreSQL database.

mod crash;
mod processes;
