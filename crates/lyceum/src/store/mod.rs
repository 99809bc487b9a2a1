//! Queries, one module per resource, written once in SQL that SQLite and PostgreSQL both run
//! (`$n` placeholders, BIGINT/TEXT columns, times in Unix ms; batches go through `multi_row`,
//! which gives SQLite anonymous `?` instead). Functions take the caller's connection so a use
//! case can run several of them in one transaction.

pub mod api_keys;
pub mod audit;
pub mod invitations;
pub mod members;
pub mod multi_row;
pub mod orgs;
pub mod sessions;
pub mod users;

/// A connection or transaction of either backend.
pub type Conn = sqlx::AnyConnection;

/// Whether an error is a unique-constraint violation (e.g. an email already taken).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
