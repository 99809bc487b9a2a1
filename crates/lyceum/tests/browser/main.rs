//! End-to-end tests in a real headless Chromium: each test starts the real application with a
//! fresh database and clicks through the pages as a person would, against the DOM contract of
//! `docs/ui.md`. Screenshots of the main pages land in `target/screenshots/`.
//!
//! Needs `chromium` and `chromedriver` (Debian packages); without them the tests print
//! `SKIPPED` and pass, except in CI (`CI=true`) where they fail. The harness is
//! `lyceum-test-support` (`TestApp`, `browser::Browser`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod ai_cost;
mod content;
mod members;
mod onboarding;
mod org_pages;
