//! Which engine a database URL or a connection is: SQLite or PostgreSQL.

/// Which engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL of neither engine.
#[derive(Debug, thiserror::Error)]
#[error("unsupported database URL scheme (use sqlite:// or postgres://)")]
pub struct UnsupportedUrl;

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend, UnsupportedUrl> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(UnsupportedUrl)
        }
    }

    /// The engine behind a connection (a pool only ever opens the two).
    pub fn of_conn(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name() == "SQLite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(Backend::of_url("sqlite://x.db?mode=rwc").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgresql://h/db").ok(), Some(Backend::Postgres));
        assert!(Backend::of_url("mysql://h/db").is_err());
    }
}
