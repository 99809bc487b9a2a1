//! The database: connecting to SQLite (default) or PostgreSQL by URL, the per-connection SQLite
//! settings, migrations, and the two helpers every query uses (ids and clock).

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

/// Which engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!("unsupported database URL scheme (use sqlite:// or postgres://)")
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

/// The SQLite URL of the default database file inside a data dir.
pub fn sqlite_url_in(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("lyceum.db").display())
}

/// Opens a pool. SQLite connections get WAL, foreign keys, `synchronous=FULL` (credits, seats and
/// the audit trail must survive power loss) and a generous busy timeout, since writers queue.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<(AnyPool, Backend)> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of_url(url)?;
    let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        // No ping before every acquire (a database round trip per request): a connection that
        // broke is detected by the query that uses it, fails that request, and is discarded.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute(
                        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; \
                         PRAGMA synchronous = FULL;",
                    )
                    .await?;
                } else {
                    // Statements are prepared once and run many times. PostgreSQL's generic plans
                    // ignore the values bound: a member search's pattern could not use the trigram
                    // indexes, and a 500-id `IN` list filtered a 45k-member workspace row by row
                    // (10,000 removals: 24 s). Planning with the values costs far less.
                    conn.execute("SET plan_cache_mode = force_custom_plan").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    if backend == Backend::Sqlite {
        sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
    }
    Ok((pool, backend))
}

/// Applies the migrations of the backend that are not applied yet.
pub async fn migrate(pool: &AnyPool, backend: Backend) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite => sqlx::migrate!("../../migrations/sqlite").run(pool).await?,
        Backend::Postgres => sqlx::migrate!("../../migrations/postgres").run(pool).await?,
    }
    Ok(())
}

/// Now, in Unix milliseconds (the unit of every time column).
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// A new opaque id: a UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Formats Unix milliseconds as RFC 3339 UTC.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Parses RFC 3339 into Unix milliseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// `n` placeholders `$start, $start+1, …` for an `IN (…)` list.
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trips() {
        let ms = 1_790_000_000_123;
        assert_eq!(parse_rfc3339(&rfc3339(ms)), Some(ms));
        assert_eq!(placeholders(2, 3), "$2, $3, $4");
    }
}
