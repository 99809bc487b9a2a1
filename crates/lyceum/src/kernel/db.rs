//! The database: connecting to SQLite (default) or PostgreSQL by URL, the per-connection SQLite
//! settings and migrations. The backend, ids and the clock every query uses are `lyceum-sql`'s,
//! re-exported here.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use lyceum_sql::{new_id, now_ms, parse_rfc3339, placeholders, rfc3339, Backend};

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
