//! End-to-end tests in a real headless Chromium: each test starts the real application with a
//! fresh database and clicks through the pages as a person would, against the DOM contract of
//! `docs/ui.md`. Screenshots of the main pages land in `target/screenshots/`.
//!
//! Needs `chromium` and `chromedriver` (Debian packages); without them the tests print
//! `SKIPPED` and pass, except in CI (`CI=true`) where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The API suite's harness (the app under test, its outbox, a JSON client to set the scene).
#[path = "../api/support/mod.rs"]
#[allow(dead_code)]
mod api_support;
mod support;

mod members;
mod onboarding;
mod org_pages;
