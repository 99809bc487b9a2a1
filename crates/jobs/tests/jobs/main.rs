//! The job queue end to end on a real database (SQLite by default, PostgreSQL when
//! `LYCEUM_TEST_DATABASE_URL` is set), in one test binary.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

mod queue;
mod support;
mod upgrade;
