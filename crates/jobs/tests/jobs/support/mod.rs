//! A fresh, migrated database per test: a SQLite file by default, or a schema of its own in the
//! PostgreSQL database named by `LYCEUM_TEST_DATABASE_URL`.

use std::path::Path;
use std::time::SystemTime;

use lyceum_jobs::{enqueue, Enqueued, NewJob};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
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
        let db = TestDb::empty().await;
        db.migrate(None).await;
        db
    }

    /// Applies the migrations, or only those older than `before` (a version).
    pub async fn migrate(&self, before: Option<i64>) {
        let backend = if self._pg_schema.is_some() { "postgres" } else { "sqlite" };
        let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations").join(backend);
        let dir = match before {
            None => all,
            Some(version) => {
                let dir = self._dir.path().join(format!("migrations-before-{version}"));
                std::fs::create_dir_all(&dir).unwrap();
                for entry in std::fs::read_dir(&all).unwrap() {
                    let path = entry.unwrap().path();
                    let name = path.file_name().unwrap().to_str().unwrap().to_owned();
                    if name.split('_').next().unwrap().parse::<i64>().unwrap() < version {
                        std::fs::copy(&path, dir.join(name)).unwrap();
                    }
                }
                dir
            }
        };
        Migrator::new(dir).await.unwrap().run(&self.pool).await.unwrap();
    }

    /// A fresh database without tables.
    pub async fn empty() -> TestDb {
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
                TestDb { pool, url, _pg_schema: Some(pg_schema), _dir: dir }
            }
            Err(_) => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                let pool = Self::connect(&url).await;
                sqlx::query("PRAGMA journal_mode=WAL").execute(&pool).await.unwrap();
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

    /// Enqueues `job` in a transaction of its own, committed.
    pub async fn enqueue_committed(&self, job: &NewJob) -> Enqueued {
        let mut tx = self.pool.begin().await.unwrap();
        let enqueued = enqueue(&mut tx, job).await.unwrap();
        tx.commit().await.unwrap();
        enqueued
    }

    pub async fn row(&self, id: &str) -> Row {
        sqlx::query_as(
            "SELECT attempts, run_at, leased_until, lease_owner, done_at, failed_at, last_error FROM jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Makes every pending job due now, as if its backoff had run out (leases are left alone).
    pub async fn backoff_passes(&self) {
        sqlx::query("UPDATE jobs SET run_at = 0 WHERE done_at IS NULL AND failed_at IS NULL")
            .execute(&self.pool)
            .await
            .unwrap();
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct Row {
    pub attempts: i64,
    pub run_at: i64,
    pub leased_until: Option<i64>,
    pub lease_owner: Option<String>,
    pub done_at: Option<i64>,
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
