//! Black-box tests of the HTTP API: each test spawns the real server on a random loopback port
//! with a fresh database (SQLite by default; a PostgreSQL schema of its own when
//! `LYCEUM_TEST_DATABASE_URL` is set) and talks to it as a client would. The harness is
//! `lyceum-test-support`; the tests are grouped by wing, as the server is.
//!
//! **Invariant**: `server_internals.rs` is the only file of this binary that names the server's
//! internals (its store, dataset generator, router, caches); everything else goes over HTTP or
//! through the harness.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod server_internals;

mod accounts;
mod audit;
mod credits;
mod learning;
mod matrix;
mod system;
mod tenancy;
