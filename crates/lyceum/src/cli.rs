//! The command line: `serve`, `migrate`, `admin create`, `demo`, `audit verify`, `ai try`.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{DemoArgs, ServeArgs, StoreArgs};

#[derive(Parser)]
#[command(name = "lyceum", version, about = "Lyceum: organisations, workspaces and training teams, self-hosted.")]
struct Cli {
    /// Log format.
    #[arg(long, env = "LYCEUM_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the JSON API.
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate(StoreArgs),
    /// Manage instance administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Seed a demo organisation (workspaces, members in every role, pending invitations); with
    /// --scale, generate a large dataset into an empty database instead.
    Demo(Box<DemoArgs>),
    /// Audit trail tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// AI provider tools.
    Ai {
        #[command(subcommand)]
        command: AiCommand,
    },
}

#[derive(Subcommand)]
enum AiCommand {
    /// Send one prompt to the configured provider through the credit ledger of a workspace (as
    /// every AI feature does: reserve, call, settle) and print the reply and its charge: the
    /// way to check an `--ai-base-url` setup end to end.
    Try {
        #[command(flatten)]
        serve: Box<ServeArgs>,
        /// The workspace whose credits pay for the call.
        #[arg(long)]
        workspace: String,
        #[arg(long, default_value = "Say hello in one short sentence.")]
        prompt: String,
        #[arg(long, default_value_t = 64)]
        max_tokens: u32,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an instance administrator (or promote an existing account).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash chain and report any break.
    Verify(StoreArgs),
}

/// Runs the command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _logging = crate::logging::init(match cli.log_format {
        LogFormat::Text => crate::logging::Format::Text,
        LogFormat::Json => crate::logging::Format::Json,
    });
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => crate::app::serve(*args).await?,
        Command::Migrate(store) => {
            std::fs::create_dir_all(&store.data_dir)?;
            let (pool, backend) = crate::kernel::db::connect(&store.url(), 2).await?;
            crate::kernel::db::migrate(&pool, backend).await?;
            println!("migrations applied ({backend:?})");
        }
        Command::Admin { command: AdminCommand::Create { store, email, name, password_stdin: _ } } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let app = crate::app::build(&ServeArgs { store, ..ServeArgs::defaults(Default::default()) }).await?;
            let id = app.state.lyceum.accounts().create_instance_admin(&email, &name, password).await?;
            println!("instance administrator {email} ({id}) is ready");
        }
        Command::Demo(args) => match args.dataset.options() {
            Some(options) => generate_dataset(&args.serve.store, &options).await?,
            None => {
                let app = crate::app::build(&args.serve).await?;
                crate::demo::seed_if_empty(&app.state.lyceum).await?;
                app.mailer.deliver_due().await?;
            }
        },
        Command::Ai { command: AiCommand::Try { serve, workspace, prompt, max_tokens } } => {
            let app = crate::app::build(&serve).await?;
            let workspace_id =
                lyceum_domain::id::WorkspaceId::parse(&workspace).context("--workspace is not a workspace id")?;
            let call = crate::credits::gateway::AiCall {
                workspace_id,
                feature: lyceum_domain::credits::Feature::External,
                model: None,
                messages: vec![lyceum_ai::Message::new(lyceum_ai::Role::User, prompt)],
                max_tokens,
                temperature: None,
                json: false,
                course_id: None,
                user_id: None,
                attempt_id: None,
            };
            let mut stream = crate::credits::Credits::stream(app.state.lyceum.clone(), call)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            use std::io::Write as _;
            while let Some(item) = stream.next().await {
                match item.map_err(|e| anyhow::anyhow!("{e}"))? {
                    crate::credits::gateway::AiChunk::Delta(text) => {
                        print!("{text}");
                        std::io::stdout().flush().ok();
                    }
                    crate::credits::gateway::AiChunk::Done(answer) => {
                        let usage = answer.completion.usage;
                        println!(
                            "\n-- {} in + {} out tokens{}, cost {} minor units of {}, {} credits",
                            usage.input_tokens,
                            usage.output_tokens,
                            if usage.estimated { " (estimated: the provider reported none)" } else { "" },
                            answer.charge.cost.decimal(),
                            serve.currency,
                            answer.charge.credits.decimal()
                        );
                    }
                }
            }
        }
        Command::Audit { command: AuditCommand::Verify(store) } => {
            let (pool, backend) = crate::kernel::db::connect(&store.url(), 2).await?;
            crate::kernel::db::migrate(&pool, backend).await?;
            let mut conn = pool.acquire().await?;
            let (checked, breaks) = crate::kernel::audit_chain::verify(&mut conn).await?;
            if breaks.is_empty() {
                // The heads, to record outside the database: a later verify against a recorded
                // head also catches a rewrite of a chain's tail.
                let heads: Vec<(String, i64, String)> =
                    sqlx::query_as("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")
                        .fetch_all(&mut *conn)
                        .await?;
                for (chain, seq, hash) in heads {
                    let name = if chain.is_empty() { "instance".to_owned() } else { format!("organisation {chain}") };
                    println!("{name}: {seq} events, head {hash}");
                }
                println!("audit trail intact: {checked} events verified");
            } else {
                for b in &breaks {
                    println!("BROKEN chain {:?} at seq {}: {}", b.chain, b.seq, b.reason);
                }
                println!("audit trail BROKEN: {} problem(s) in {checked} events", breaks.len());
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `demo --scale`: generates, then tells people (stderr) and scripts (the last line of stdout, JSON).
async fn generate_dataset(store: &StoreArgs, options: &crate::dataset::Options) -> anyhow::Result<()> {
    std::fs::create_dir_all(&store.data_dir).with_context(|| format!("creating {}", store.data_dir.display()))?;
    let (pool, backend) = crate::kernel::db::connect(&store.url(), 2).await.context("connecting to the database")?;
    crate::kernel::db::migrate(&pool, backend).await.context("applying migrations")?;
    let summary = crate::dataset::generate(&pool, backend, options).await?;
    eprintln!("{}", summary.describe());
    println!("{}", serde_json::to_string(&summary)?);
    pool.close().await;
    Ok(())
}
