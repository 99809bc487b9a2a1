//! A fresh database per test: a SQLite file in the test's own directory by default; when
//! `LYCEUM_TEST_DATABASE_URL` names a PostgreSQL database, a schema of its own in it
//! ([`PgSchema`]), dropped when the test ends.

use sqlx::{Connection, Executor};

/// The variable naming the PostgreSQL database the tests run on (unset: SQLite).
pub const DATABASE_URL_VAR: &str = "LYCEUM_TEST_DATABASE_URL";

/// The PostgreSQL database to make test schemas in, when the tests run on PostgreSQL.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(DATABASE_URL_VAR).ok()
}

/// A PostgreSQL schema of one test, dropped (with everything in it) when this goes away.
pub struct PgSchema {
    admin_url: String,
    name: String,
}

impl PgSchema {
    /// Creates a schema named `<prefix><a fresh uuid>` in the database at `admin_url`.
    pub async fn create(admin_url: &str, prefix: &str) -> PgSchema {
        sqlx::any::install_default_drivers();
        let name = format!("{prefix}{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::AnyConnection::connect(admin_url).await.unwrap();
        admin.execute(&*format!("CREATE SCHEMA {name}")).await.unwrap();
        admin.close().await.unwrap();
        PgSchema { admin_url: admin_url.to_owned(), name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A URL whose connections work in this schema (`search_path`), with these other settings
    /// (`-c name=value` each, e.g. `("synchronous_commit", "off")`).
    pub fn url(&self, settings: &[(&str, &str)]) -> String {
        let sep = if self.admin_url.contains('?') { '&' } else { '?' };
        let mut url = format!("{}{sep}options=-c%20search_path%3D{}", self.admin_url, self.name);
        for (name, value) in settings {
            url.push_str(&format!("%20-c%20{name}%3D{value}"));
        }
        url
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, schema) = (self.admin_url.clone(), self.name.clone());
        // Its own thread and runtime: drop may run inside (or outside) the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                if let Ok(mut c) = sqlx::AnyConnection::connect(&url).await {
                    let _ = c.execute(&*format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
                }
            });
        })
        .join();
    }
}
