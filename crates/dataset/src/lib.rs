//! Generated datasets for performance work (`lyceum demo --scale small|large`): one enterprise
//! organisation with many members, power-law workspaces, pending invitations and a long,
//! verifiable audit trail, written straight into an empty database with multi-row INSERTs.
//!
//! The seed fixes the dataset's shape — names, roles, workspace sizes and memberships, invitation
//! scopes and tokens, the audit trail's actions — while ids (UUIDv7) and times come from the
//! clock: two runs with one seed describe the same organisation under different ids.
//!
//! It writes rows as the server would, through `lyceum-sql` (multi-row statements, the audit
//! event row and its chain hash); how secrets are hashed is the server's policy and comes in
//! through [`Secrets`], so this crate never depends on the server.

mod audit_trail;
mod bulk;
mod names;
mod plan;
mod rows;

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sqlx::{AnyPool, Connection};

use lyceum_sql::{now_ms, Backend, Conn};
use plan::Plan;

/// The known owner's address.
pub const OWNER_EMAIL: &str = "owner@example.test";
/// The known owner's password — and every generated account's (see [`Secrets`]).
pub const OWNER_PASSWORD: &str = "lyceum dataset password";

/// A preset size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    Small,
    Large,
}

/// How much to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Organisation members (and accounts), the known owner included.
    pub members: usize,
    pub workspaces: usize,
    /// Pending invitations.
    pub invitations: usize,
    pub audit_events: usize,
}

impl Scale {
    pub fn sizes(self) -> Sizes {
        match self {
            Scale::Small => Sizes { members: 2_000, workspaces: 50, invitations: 200, audit_events: 20_000 },
            Scale::Large => Sizes { members: 100_000, workspaces: 1_000, invitations: 10_000, audit_events: 1_000_000 },
        }
    }
}

/// A generation run.
#[derive(Debug, Clone)]
pub struct Options {
    pub sizes: Sizes,
    pub seed: u64,
    /// Progress bars on stderr (drawn only when it is a terminal).
    pub progress: bool,
}

/// How the server stores secrets, which the generated rows must follow (people sign in to a
/// dataset through the server's own checks).
#[derive(Debug, Clone)]
pub struct Secrets {
    /// The stored hash of [`OWNER_PASSWORD`], given to every generated account: hashing one
    /// password per account (100,000 argon2id hashes) would take most of an hour and tells
    /// nothing about what these datasets are for (member lists, searches, permission checks, the
    /// audit trail).
    pub password_hash: String,
    /// The at-rest hash of a token, applied to the invitations' (random, never shown) tokens.
    pub hash_token: fn(&str) -> String,
}

/// What was generated, for people and for scripts (the CLI prints it as one JSON line).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub org_id: String,
    pub owner_email: String,
    pub owner_password: String,
    /// The five largest workspaces, largest first.
    pub workspace_ids_sample: Vec<String>,
    pub largest_workspace_id: String,
    pub members: usize,
    pub workspaces: usize,
    pub workspace_memberships: usize,
    pub invitations: usize,
    pub audit_events: usize,
    pub seconds: f64,
    /// SQLite: the database file and its WAL; PostgreSQL: the current schema's tables with their
    /// indexes and TOAST.
    pub db_bytes: u64,
    pub backend: &'static str,
    #[serde(skip)]
    workspace_sizes: (usize, usize),
}

impl Summary {
    /// A few lines for people.
    pub fn describe(&self) -> String {
        let (largest, median) = self.workspace_sizes;
        format!(
            "generated organisation {org} ({backend}) in {secs:.1} s, {mib:.1} MiB on disk:\n  \
             {members} members, {workspaces} workspaces ({memberships} memberships; largest {largest}, median {median}),\n  \
             {invitations} pending invitations, {events} audit events\n  \
             sign in as {email} with the password '{password}' (every generated account uses it)",
            org = self.org_id,
            backend = self.backend,
            secs = self.seconds,
            mib = self.db_bytes as f64 / (1024.0 * 1024.0),
            members = self.members,
            workspaces = self.workspaces,
            memberships = self.workspace_memberships,
            invitations = self.invitations,
            events = self.audit_events,
            email = self.owner_email,
            password = self.owner_password,
        )
    }
}

/// Tables the generator fills, analysed afterwards.
const TABLES: &[&str] = &[
    "users",
    "organizations",
    "workspaces",
    "credit_ledgers",
    "org_members",
    "workspace_members",
    "invitations",
    "audit_heads",
    "audit_events",
];

/// Generates a dataset into a migrated database that has no organisation yet (refused otherwise).
pub async fn generate(
    pool: &AnyPool,
    backend: Backend,
    options: &Options,
    secrets: &Secrets,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let sizes = options.sizes;
    anyhow::ensure!(
        sizes.members >= 1 && sizes.workspaces >= 1,
        "a dataset needs at least one member and one workspace"
    );
    let mut conn = pool.acquire().await?;
    let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations").fetch_one(&mut *conn).await?;
    anyhow::ensure!(
        orgs == 0,
        "the database already has {orgs} organisation(s); generate a dataset into an empty database \
         (a new --data-dir, or a new PostgreSQL database or schema)"
    );
    let bars = Bars::new(options.progress);
    let now = now_ms();
    let plan = Arc::new(Plan::new(&sizes, options.seed, secrets, now));

    let mut tx = conn.begin().await?;
    bulk::insert(&mut tx, backend, std::slice::from_ref(&plan.org), &ProgressBar::hidden()).await?;
    bars.insert(&mut tx, backend, "users", &plan.users).await?;
    bars.insert(&mut tx, backend, "org members", &plan.org_members).await?;
    bars.insert(&mut tx, backend, "workspaces", &plan.workspaces).await?;
    // Every workspace has its credit ledger, as `lyceum` opens one with each workspace (its
    // period starts at the first use).
    sqlx::query(
        "INSERT INTO credit_ledgers (workspace_id, org_id, limit_micro, used_micro, period_anchor, period_start, updated_at) \
         SELECT w.id, w.org_id, w.credit_limit * 1000000, 0, o.created_at, 0, w.updated_at \
         FROM workspaces w JOIN organizations o ON o.id = w.org_id",
    )
    .execute(&mut *tx)
    .await
    .context("opening the workspaces' credit ledgers")?;
    bars.insert(&mut tx, backend, "workspace members", &plan.memberships).await?;
    bars.insert(&mut tx, backend, "invitations", &plan.invitations).await?;
    tx.commit().await.context("committing the organisation")?;

    let bar = bars.phase("audit events", sizes.audit_events);
    audit_trail::write(&mut conn, backend, Arc::clone(&plan), sizes.audit_events, options.seed, now, &bar).await?;
    bar.finish();

    let bar = bars.phase("analyze", TABLES.len());
    for table in TABLES {
        sqlx::query(&format!("ANALYZE {table}")).execute(&mut *conn).await?;
        bar.inc(1);
    }
    bar.finish();
    let db_bytes = db_bytes(&mut conn, backend).await?;

    let mut by_size: Vec<&plan::Workspace> = plan.workspaces.iter().collect();
    by_size.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.id.cmp(&b.id)));
    Ok(Summary {
        org_id: plan.org.id.clone(),
        owner_email: OWNER_EMAIL.to_owned(),
        owner_password: OWNER_PASSWORD.to_owned(),
        workspace_ids_sample: by_size.iter().take(5).map(|w| w.id.clone()).collect(),
        largest_workspace_id: by_size[0].id.clone(),
        members: plan.users.len(),
        workspaces: plan.workspaces.len(),
        workspace_memberships: plan.memberships.len(),
        invitations: plan.invitations.len(),
        audit_events: sizes.audit_events,
        seconds: started.elapsed().as_secs_f64(),
        db_bytes,
        backend: match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        },
        workspace_sizes: (by_size[0].size, by_size[by_size.len() / 2].size),
    })
}

/// The database's size on disk.
async fn db_bytes(conn: &mut Conn, backend: Backend) -> anyhow::Result<u64> {
    match backend {
        Backend::Sqlite => {
            // Fold the WAL back into the main file first, so the figure is the database's own.
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *conn).await?;
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'").fetch_one(conn).await?;
            let size = |path: &str| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            Ok(size(&file) + size(&format!("{file}-wal")))
        }
        Backend::Postgres => {
            let bytes: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS BIGINT) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')",
            )
            .fetch_one(conn)
            .await?;
            Ok(bytes.max(0) as u64)
        }
    }
}

/// One progress bar per phase, on stderr.
struct Bars(MultiProgress);

impl Bars {
    fn new(visible: bool) -> Bars {
        let target = if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        Bars(MultiProgress::with_draw_target(target))
    }

    fn phase(&self, name: &str, len: usize) -> ProgressBar {
        let style = ProgressStyle::with_template(
            "{prefix:>17} [{bar:32}] {human_pos:>9}/{human_len:9} {per_sec:>14} {elapsed:>4}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        self.0.add(ProgressBar::new(len as u64).with_style(style).with_prefix(name.to_owned()))
    }

    /// Inserts one table's rows under a bar of its own.
    async fn insert<R: bulk::Row>(
        &self,
        conn: &mut Conn,
        backend: Backend,
        name: &str,
        rows: &[R],
    ) -> sqlx::Result<()> {
        let bar = self.phase(name, rows.len());
        bulk::insert(conn, backend, rows, &bar).await?;
        bar.finish();
        Ok(())
    }
}
