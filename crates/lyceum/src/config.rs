//! Configuration: defaults, then `LYCEUM_*` environment variables, then command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where data lives.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Directory for the SQLite database and the outbox files.
    #[arg(long, env = "LYCEUM_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (`postgres://…`); when absent, SQLite in the data dir.
    #[arg(long, env = "LYCEUM_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// The database URL in force.
    pub fn url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| crate::kernel::db::sqlite_url_in(&self.data_dir))
    }
}

/// `lyceum serve` settings.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "LYCEUM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Public base URL, used in email links and for the Origin check (default: http://<listen>).
    #[arg(long, env = "LYCEUM_BASE_URL")]
    pub base_url: Option<String>,
    /// Seed a demo organisation on start (if not seeded yet).
    #[arg(long, env = "LYCEUM_DEMO")]
    pub demo: bool,
    /// Trust the first X-Forwarded-For address (only behind your own reverse proxy).
    #[arg(long, env = "LYCEUM_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// SMTP URL for outgoing mail (`smtp://host:port`); when absent, mail is written to <data dir>/outbox.
    #[arg(long, env = "LYCEUM_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The From address of outgoing mail.
    #[arg(long, env = "LYCEUM_MAIL_FROM", default_value = "Lyceum <no-reply@localhost>")]
    pub mail_from: String,
    /// How long an invitation stays valid, in hours.
    #[arg(long, env = "LYCEUM_INVITATION_TTL_HOURS", default_value_t = 168)]
    pub invitation_ttl_hours: i64,
    /// A session ends after this many idle hours.
    #[arg(long, env = "LYCEUM_SESSION_IDLE_HOURS", default_value_t = 72)]
    pub session_idle_hours: i64,
    /// A session ends after this many hours whatever its use.
    #[arg(long, env = "LYCEUM_SESSION_ABSOLUTE_HOURS", default_value_t = 720)]
    pub session_absolute_hours: i64,
    /// Login attempts per account per minute.
    #[arg(long, env = "LYCEUM_LOGIN_RATE_PER_ACCOUNT", default_value_t = 10)]
    pub login_rate_per_account: u32,
    /// Login attempts per client IP per minute.
    #[arg(long, env = "LYCEUM_LOGIN_RATE_PER_IP", default_value_t = 60)]
    pub login_rate_per_ip: u32,
    /// Signups per client IP per minute.
    #[arg(long, env = "LYCEUM_SIGNUP_RATE_PER_IP", default_value_t = 20)]
    pub signup_rate_per_ip: u32,
    /// Invitation requests per inviter per minute.
    #[arg(long, env = "LYCEUM_INVITE_RATE_PER_ACTOR", default_value_t = 60)]
    pub invite_rate_per_actor: u32,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "LYCEUM_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most addresses in one invitation request.
    #[arg(long, env = "LYCEUM_MAX_INVITATION_BATCH", default_value_t = 10_000)]
    pub max_invitation_batch: usize,
    /// Database connections in the pool.
    #[arg(long, env = "LYCEUM_DB_CONNECTIONS", default_value_t = 16)]
    pub db_connections: u32,
    /// Most members held in memory for member lists and search, across organisations (about
    /// 150 bytes each); the least recently listed organisations make room. 0 lists from the
    /// database only.
    #[arg(long, env = "LYCEUM_MEMBER_DIRECTORY_CAPACITY", default_value_t = 2_000_000)]
    pub member_directory_capacity: usize,
    /// An OpenAI-compatible base URL (`http://127.0.0.1:11434/v1` for Ollama); unset, Lyceum runs
    /// in its offline mode: scripted personas, scores awaiting review, no generation.
    #[arg(long, env = "LYCEUM_AI_BASE_URL")]
    pub ai_base_url: Option<String>,
    /// The provider's API key, sent as a bearer token; never logged.
    #[arg(long, env = "LYCEUM_AI_API_KEY", hide_env_values = true)]
    pub ai_api_key: Option<String>,
    /// The model used where a course or setting names none.
    #[arg(long, env = "LYCEUM_AI_DEFAULT_MODEL")]
    pub ai_default_model: Option<String>,
    /// Seconds a provider call may take, retries included (for a stream: to its first byte and
    /// between two chunks).
    #[arg(long, env = "LYCEUM_AI_TIMEOUT_S", default_value_t = 60)]
    pub ai_timeout_s: u64,
    /// Minor currency units one credit is worth (1 = USD 0.01).
    #[arg(long, env = "LYCEUM_CREDIT_VALUE_MINOR", default_value_t = 1, value_parser = clap::value_parser!(i64).range(1..))]
    pub credit_value_minor: i64,
    /// Seconds a credit reservation holds before it is released as abandoned (a call whose node
    /// died between reserve and settle); 0 derives it from the AI timeout (3× it + 30 s).
    #[arg(long, env = "LYCEUM_CREDIT_RESERVATION_TTL_S", default_value_t = 0)]
    pub credit_reservation_ttl_s: u64,
    /// Where media are stored: `s3://bucket[/prefix]` (credentials from the usual `AWS_*`
    /// variables) or `file:///path`; default a `media` directory in the data dir.
    #[arg(long, env = "LYCEUM_OBJECT_STORE_URL")]
    pub object_store_url: Option<String>,
    /// The largest upload (media, course imports) accepted, in bytes.
    #[arg(long, env = "LYCEUM_MAX_UPLOAD_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_upload_bytes: u64,
    /// The instance currency (ISO 4217) prices and costs are in.
    #[arg(long, env = "LYCEUM_CURRENCY", default_value = "USD")]
    pub currency: String,
}

/// `lyceum demo` settings: the server's, and a dataset size that turns the demo into a generator.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(flatten)]
    pub dataset: DatasetArgs,
}

/// `lyceum demo --scale …`: generate a dataset for performance work into an empty database, then exit.
#[derive(Debug, Clone, clap::Args)]
pub struct DatasetArgs {
    /// Generate a dataset of this size instead of seeding the small demo (small: 2,000 members;
    /// large: 100,000 members, 1,000 workspaces, 1,000,000 audit events).
    #[arg(long, value_enum)]
    pub scale: Option<crate::dataset::Scale>,
    /// Organisation members (overrides the scale's).
    #[arg(long, requires = "scale")]
    pub members: Option<usize>,
    /// Workspaces (overrides the scale's).
    #[arg(long, requires = "scale")]
    pub workspaces: Option<usize>,
    /// Pending invitations (overrides the scale's).
    #[arg(long, requires = "scale")]
    pub invitations: Option<usize>,
    /// Audit events (overrides the scale's).
    #[arg(long, requires = "scale")]
    pub audit_events: Option<usize>,
    /// Seed of the generator: one seed, one dataset shape.
    #[arg(long, default_value_t = 42, requires = "scale")]
    pub seed: u64,
}

impl DatasetArgs {
    /// The generation asked for, if any (`--scale` given).
    pub fn options(&self) -> Option<crate::dataset::Options> {
        let preset = self.scale?.sizes();
        Some(crate::dataset::Options {
            sizes: crate::dataset::Sizes {
                members: self.members.unwrap_or(preset.members),
                workspaces: self.workspaces.unwrap_or(preset.workspaces),
                invitations: self.invitations.unwrap_or(preset.invitations),
                audit_events: self.audit_events.unwrap_or(preset.audit_events),
            },
            seed: self.seed,
            progress: true,
        })
    }
}

impl ServeArgs {
    /// The AI provider's client, if one is configured.
    pub fn ai_client(&self) -> anyhow::Result<Option<lyceum_ai::Client>> {
        let Some(base_url) = self.ai_base_url.as_deref().filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let mut config = lyceum_ai::Config::new(base_url)?;
        config.api_key = self.ai_api_key.clone().filter(|k| !k.is_empty()).map(lyceum_ai::Secret::new);
        config.default_model = self.ai_default_model.clone().filter(|m| !m.is_empty());
        config.timeout = std::time::Duration::from_secs(self.ai_timeout_s.max(1));
        Ok(Some(lyceum_ai::Client::new(config)?))
    }

    /// The base URL in force, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone().unwrap_or_else(|| format!("http://{}", self.listen)).trim_end_matches('/').to_owned()
    }

    /// Defaults for a server on `listen` with data in `data_dir` (tests and tools).
    pub fn defaults(data_dir: PathBuf) -> ServeArgs {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: ServeArgs,
        }
        let mut args = Wrapper::parse_from(["lyceum"]).args;
        args.store.data_dir = data_dir;
        args
    }
}
