//! The harness's one door into the `lyceum` library: every item of it that the harness (and the
//! crash and browser binaries) use is named here and nowhere else, so that moving the server's
//! modules changes this file only.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use sqlx::AnyPool;

pub use lyceum::config::ServeArgs;
pub use lyceum::web::AppState;

/// A built application, not yet serving.
pub struct Built {
    pub router: axum::Router,
    pub state: AppState,
    pub mailer: lyceum_mail::Worker,
}

/// Connects, migrates and wires the application configured by `args`.
pub async fn build(args: &ServeArgs) -> Built {
    let app = lyceum::app::build(args).await.unwrap();
    Built { router: app.router, state: app.state, mailer: app.mailer }
}

/// A test server's settings: the defaults with data dir `data_dir` and 8 connections. Tests sign
/// many people up from one address; the rate limit tests lower these again.
pub fn test_args(data_dir: PathBuf) -> ServeArgs {
    let mut args = ServeArgs::defaults(data_dir);
    args.db_connections = 8;
    args.signup_rate_per_ip = 10_000;
    args.login_rate_per_ip = 10_000;
    args.login_rate_per_account = 10_000;
    args.invite_rate_per_actor = 10_000;
    args
}

/// Listens on `addr`; the public URL is `http://addr` unless one is set already.
pub fn bind(args: &mut ServeArgs, addr: SocketAddr) {
    args.listen = addr;
    args.base_url.get_or_insert_with(|| format!("http://{addr}"));
}

/// The configured database URL; `None` is SQLite in the data dir.
pub fn database_url(args: &ServeArgs) -> Option<&str> {
    args.store.database_url.as_deref()
}

pub fn set_database_url(args: &mut ServeArgs, url: String) {
    args.store.database_url = Some(url);
}

pub fn data_dir(args: &ServeArgs) -> &Path {
    &args.store.data_dir
}

pub fn set_data_dir(args: &mut ServeArgs, dir: PathBuf) {
    args.store.data_dir = dir;
}

/// The application's connection pool.
pub fn pool(state: &AppState) -> &AnyPool {
    &state.lyceum.pool
}

/// A pool on `url` with at most `max_connections`, migrated (the crash test's own connections).
pub async fn migrated_pool(url: &str, max_connections: u32) -> AnyPool {
    let (pool, backend) = lyceum::kernel::db::connect(url, max_connections).await.unwrap();
    lyceum::kernel::db::migrate(&pool, backend).await.unwrap();
    pool
}

/// The URL of the SQLite database the server keeps in `data_dir`.
pub fn sqlite_url_in(data_dir: &Path) -> String {
    lyceum::kernel::db::sqlite_url_in(data_dir)
}

/// The server's clock: milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    lyceum::kernel::db::now_ms()
}
