//! Black-box HTTP tests of the emulator: each starts one on 127.0.0.1:0 and talks to it
//! with a small hand-written client (reqwest + the signing helpers in `support`).

mod accounts_file;
mod auth_oauth2;
mod auth_tba;
mod control;
mod faults;
mod governance;
mod many_accounts;
mod records;
mod suiteql;
mod support;
