//! Integration tests of the NetSuite client: pure parts directly, the request path against the
//! in-process emulator.

mod account;
mod auth;
mod errors;
mod faults;
mod features;
mod hostile;
mod incremental;
mod jwt;
mod overlap;
mod paging;
mod planner;
mod reads;
mod retry;
mod support;
mod tba;
