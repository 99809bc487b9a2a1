//! The ceiling for Lyceum's HTTP figures: a bare axum server on the same runtime as `lyceum serve`
//! (tokio's default multi-threaded runtime, one worker per core), measured by `scripts/bench` in
//! the same run as Lyceum.
//!
//! - `GET /` answers `hello`;
//! - `POST /check` parses a check-shaped JSON body (`{user_id, permission, workspace_id?}`) and
//!   answers a check-shaped one (`{allowed, via}`), so the JSON POST ceiling has the work of
//!   Lyceum's `POST /api/v1/orgs/{org}/check` minus the permission decision and the middleware.
//!
//! ```sh
//! cargo build --release -p lyceum --example hello_ceiling
//! target/release/examples/hello_ceiling --listen 127.0.0.1:18081
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Parser;
use serde::{Deserialize, Serialize};

#[derive(Parser)]
#[command(about = "axum hello-world: the ceiling for Lyceum's HTTP benchmarks")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:18081")]
    listen: SocketAddr,
}

#[derive(Deserialize)]
struct CheckBody {
    user_id: String,
    permission: String,
    workspace_id: Option<String>,
}

#[derive(Serialize)]
struct CheckAnswer {
    allowed: bool,
    via: Vec<String>,
}

async fn hello() -> &'static str {
    "hello"
}

/// A decision that depends on the body, so the parse cannot be skipped.
async fn check(Json(b): Json<CheckBody>) -> Json<CheckAnswer> {
    let allowed = !b.user_id.is_empty() && b.permission.contains('.');
    let via = match (allowed, b.workspace_id) {
        (true, Some(_)) => vec!["workspace:learner".to_owned()],
        (true, None) => vec!["org:viewer".to_owned()],
        (false, _) => Vec::new(),
    };
    Json(CheckAnswer { allowed, via })
}

fn main() -> ExitCode {
    let args = Args::parse();
    // The same runtime as `lyceum serve` (cli.rs): `Runtime::new()`, multi-threaded, default workers.
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let app = Router::new().route("/", get(hello)).route("/check", post(check));
        eprintln!("hello_ceiling listening on {}", args.listen);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
