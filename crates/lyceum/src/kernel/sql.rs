//! The SQL helpers every wing's store uses. Each wing's queries are written once in SQL that
//! SQLite and PostgreSQL both run (`$n` placeholders, BIGINT/TEXT columns, times in Unix ms;
//! batches go through `kernel::multi_row`, which gives SQLite anonymous `?` instead). Store
//! functions take the caller's connection so a use case can run several of them in one
//! transaction.

pub use lyceum_sql::Conn;

/// Whether an error is a unique-constraint violation (e.g. an email already taken).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
