//! A fresh, migrated database per test: a SQLite file by default, or a schema of its own in the
//! PostgreSQL database named by `LYCEUM_TEST_DATABASE_URL`.

use std::time::SystemTime;

use lyceum_mail::{backlog, enqueue, Envelope};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Executor};

/// A fresh, migrated database for one test; a PostgreSQL schema is dropped when it goes away.
pub struct TestDb {
    pub pool: AnyPool,
    pub url: String,
    _pg_schema: Option<PgSchema>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub async fn new() -> TestDb {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        match std::env::var("LYCEUM_TEST_DATABASE_URL") {
            Ok(admin_url) => {
                let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
                let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
                admin.execute(&*format!("CREATE SCHEMA {schema}")).await.unwrap();
                admin.close().await.unwrap();
                let pg_schema = PgSchema { admin_url: admin_url.clone(), schema: schema.clone() };
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
                let pool = Self::connect(&url).await;
                let (search_path,): (String,) =
                    sqlx::query_as("SELECT CAST(current_schema() AS TEXT)").fetch_one(&pool).await.unwrap();
                assert_eq!(search_path, schema, "the options URL parameter must set search_path");
                sqlx::migrate!("../../migrations/postgres").run(&pool).await.unwrap();
                TestDb { pool, url, _pg_schema: Some(pg_schema), _dir: dir }
            }
            Err(_) => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                let pool = Self::connect(&url).await;
                sqlx::query("PRAGMA journal_mode=WAL").execute(&pool).await.unwrap();
                sqlx::migrate!("../../migrations/sqlite").run(&pool).await.unwrap();
                TestDb { pool, url, _pg_schema: None, _dir: dir }
            }
        }
    }

    /// Another pool on the same database, as a second server instance would have.
    pub async fn connect(url: &str) -> AnyPool {
        let sqlite = url.starts_with("sqlite:");
        AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if sqlite {
                        conn.execute("PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await
            .unwrap()
    }

    pub async fn enqueue_committed(&self, envelope: &Envelope) -> String {
        let mut tx = self.pool.begin().await.unwrap();
        let id = enqueue(&mut tx, envelope, now_ms()).await.unwrap();
        tx.commit().await.unwrap();
        id
    }

    pub async fn row(&self, id: &str) -> Row {
        sqlx::query_as(
            "SELECT attempts, run_at AS next_attempt_at, done_at AS sent_at, failed_at, last_error FROM jobs WHERE id = $1",
        )
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Makes every pending message due now, as if its backoff or lease had run out.
    pub async fn time_passes(&self) {
        sqlx::query("UPDATE jobs SET run_at = 0, leased_until = NULL WHERE done_at IS NULL AND failed_at IS NULL")
            .execute(&self.pool)
            .await
            .unwrap();
    }

    pub async fn backlog(&self) -> i64 {
        backlog(&self.pool).await.unwrap()
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct Row {
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

struct PgSchema {
    admin_url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, schema) = (self.admin_url.clone(), self.schema.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = sqlx::AnyConnection::connect(&url).await?;
                admin.execute(&*format!("DROP SCHEMA {schema} CASCADE")).await?;
                admin.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}: {dropped:?}", self.schema);
        }
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as i64
}
