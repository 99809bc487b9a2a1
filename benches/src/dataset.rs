//! Where the rows come from: an existing Lyceum dataset (`LYCEUM_BENCH_DATA_DIR`, optionally with
//! `LYCEUM_BENCH_DATABASE_URL`), or one generated for this run into a temp dir by Lyceum's own
//! dataset generator (`lyceum demo --scale` as a library call) at `LYCEUM_BENCH_SCALE`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use lyceum::config::ServeArgs;
use lyceum::dataset::{Options, Scale, Sizes};
use lyceum::kernel::Lyceum;

/// An opened dataset. Holds a generated dataset's temp dir until dropped.
pub struct Dataset {
    pub lyceum: Arc<Lyceum>,
    /// Where the rows live, for the report.
    pub source: String,
    _temp: Option<tempfile::TempDir>,
}

/// A Lyceum on `data_dir` (SQLite there unless `database_url`), built the way `serve` builds it
/// (`app::build`: connect, migrate, wire the service with its grant cache).
pub async fn open(data_dir: &Path, database_url: Option<String>) -> anyhow::Result<Arc<Lyceum>> {
    let mut args = ServeArgs::defaults(data_dir.to_path_buf());
    args.store.database_url = database_url;
    let app =
        lyceum::app::build(&args).await.with_context(|| format!("opening the dataset in {}", data_dir.display()))?;
    Ok(app.state.lyceum)
}

/// The dataset the environment names — generated there first if that database has no
/// organisation yet, so a data dir can be filled once and reused — or, with neither variable
/// set, one generated into a temp dir for this run.
pub async fn from_env(quick: bool) -> anyhow::Result<Dataset> {
    let data_dir = std::env::var_os("LYCEUM_BENCH_DATA_DIR").map(PathBuf::from);
    let database_url = std::env::var("LYCEUM_BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty());
    let temp = if data_dir.is_none() { Some(tempfile::tempdir()?) } else { None };
    let dir = match (&data_dir, &temp) {
        (Some(dir), _) => dir.clone(),
        (None, Some(temp)) => temp.path().to_path_buf(),
        (None, None) => unreachable!("a temp dir is made when no data dir is given"),
    };
    let place = match &database_url {
        Some(url) => describe_url(url),
        None if data_dir.is_some() => format!("SQLite in {}", dir.display()),
        None => "SQLite in a temp dir".to_owned(),
    };
    let lyceum = open(&dir, database_url).await?;
    let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations").fetch_one(&lyceum.pool).await?;
    let source = if orgs == 0 {
        let scale = std::env::var("LYCEUM_BENCH_SCALE").unwrap_or_else(|_| "large".into());
        eprintln!("generating a {scale} dataset into {place}…");
        format!("generated ({}) into {place}", generate(&lyceum, &scale, quick).await?)
    } else {
        place
    };
    Ok(Dataset { lyceum, source, _temp: temp })
}

/// `postgres://user@host:port/db` without its password, or `SQLite …`.
fn describe_url(url: &str) -> String {
    let kind = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" };
    let place = url.rsplit_once('@').map_or(url, |(_, host)| host);
    format!("{kind} ({place})")
}

/// The generator's default seed (`lyceum demo --scale … --seed 42`): the same shape as a dataset
/// generated from the command line.
const SEED: u64 = 42;

/// Generates a dataset into `lyceum`'s empty database; returns its size for the report.
async fn generate(lyceum: &Lyceum, scale: &str, quick: bool) -> anyhow::Result<String> {
    let scale = match scale {
        "small" => Scale::Small,
        "large" => Scale::Large,
        other => anyhow::bail!("LYCEUM_BENCH_SCALE must be small or large, not {other:?}"),
    };
    let sizes = if quick {
        Sizes { members: 500, workspaces: 20, invitations: 0, audit_events: 0 }
    } else {
        // No audit trail: a permission check never reads it, and it is most of the generation time.
        Sizes { audit_events: 0, ..scale.sizes() }
    };
    let options = Options { sizes, seed: SEED, progress: true };
    let summary = lyceum::dataset::generate(&lyceum.pool, lyceum.backend, &options).await.context("generating")?;
    let scale = if quick { "quick".to_owned() } else { format!("{scale:?}").to_lowercase() };
    Ok(format!("{scale}: {} members, {} workspaces, seed {SEED}", summary.members, summary.workspaces))
}
