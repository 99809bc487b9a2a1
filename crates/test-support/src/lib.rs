//! The one harness of `lyceum`'s test binaries (`tests/api`, `tests/browser`, `tests/crash`).
//!
//! - [`TestApp`] starts the real application (router, service, database, outbox) on
//!   127.0.0.1:0 with a fresh database: a SQLite file, or a PostgreSQL schema of its own when
//!   `LYCEUM_TEST_DATABASE_URL` is set ([`database`]). [`TestApp::init`] is a small builder
//!   (`TestApp::init().with_owner(…)`), in the spirit of the Rust registry's test harness.
//! - [`Client`] is a cookie-keeping HTTP client answering [`Resp`]s.
//! - The outbox readers ([`TestApp::outbox`], [`TestApp::mail_to`], [`TestApp::invitation_token`]).
//! - [`browser`]: one shared chromedriver and a headless Chromium per [`browser::Browser`].
//!
//! **Invariant**: [`server`] is the only file of this crate that names an item of the `lyceum`
//! library; when the server's modules move, it is the one file to change.
#![expect(clippy::unwrap_used, reason = "a test harness: a failed unwrap is a failed test")]

mod app;
pub mod browser;
mod client;
pub mod database;
mod outbox;
pub mod server;

pub use app::{Builder, Owner, TestApp};
pub use client::{Client, Resp};

/// Every account the harness signs up has this password.
pub const PASSWORD: &str = "correct horse battery staple";
