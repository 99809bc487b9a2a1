//! Black-box tests of the HTTP API: each test spawns the real server on a random loopback port
//! with a fresh database (SQLite by default; a PostgreSQL schema of its own when
//! `LYCEUM_TEST_DATABASE_URL` is set) and talks to it as a client would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod access;
mod accounts;
mod audit;
mod cli;
mod dataset;
mod fuzz_regressions;
mod grant_cache;
mod invitations;
mod keys;
mod leave;
mod matrix;
mod member_directory;
mod members;
mod orgs;
mod protocol;
mod secrets;
mod ui_members;
mod ui_settings;
