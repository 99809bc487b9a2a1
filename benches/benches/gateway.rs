//! `cd benches && CARGO_TARGET_DIR=../target cargo bench --bench gateway`
//!
//! The AI gateway's own cost (issue 11), against the faithful test provider on 127.0.0.1: the same
//! request sent straight through `lyceum_ai::Client` (the baseline, in the same run) and through
//! `Credits` — reserve credits on the ledger, call, settle into a usage event and its rollup —
//! plain and streamed. The difference is the gateway's overhead per call; sequential calls give
//! the ledger's reserve + settle pairs per second, and concurrent callers its throughput under
//! contention on one workspace's ledger row. Every settled call is checked: the ledger's spend
//! must equal the sum of the usage events it wrote.
//!
//! Environment: `LYCEUM_BENCH_DATABASE_URL` (a PostgreSQL database to use, else SQLite in a temp
//! dir), `LYCEUM_BENCH_QUICK=1` (few iterations: a CI smoke run, whose figures mean nothing).
//! Writes `target/bench/gateway.json`.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use futures_util::StreamExt;
use lyceum::config::ServeArgs;
use lyceum::credits::gateway::{AiCall, AiChunk};
use lyceum::credits::Credits;
use lyceum::kernel::Lyceum;
use lyceum_ai::{ChatRequest, Message, Role, StreamEvent};
use lyceum_ai_testprovider::TestProvider;
use lyceum_domain::credits::Feature;
use lyceum_domain::id::WorkspaceId;
use serde_json::json;

const MODEL: &str = "bench-model";

struct Setup {
    lyceum: Arc<Lyceum>,
    client: lyceum_ai::Client,
    ws: WorkspaceId,
    _provider: TestProvider,
    _temp: tempfile::TempDir,
}

async fn setup() -> anyhow::Result<Setup> {
    let provider = TestProvider::start().await;
    let temp = tempfile::tempdir()?;
    let mut args = ServeArgs::defaults(temp.path().to_path_buf());
    args.store.database_url = std::env::var("LYCEUM_BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty());
    args.ai_base_url = Some(provider.base_url());
    args.ai_default_model = Some(MODEL.into());
    let app = lyceum::app::build(&args).await.context("building the app")?;
    let lyceum = app.state.lyceum.clone();
    lyceum::demo::seed_if_empty(&lyceum).await.context("seeding the demo organisation")?;
    let (org, ws): (String, String) = sqlx::query_as(
        "SELECT w.org_id, w.id FROM workspaces w JOIN organizations o ON o.id = w.org_id \
         WHERE o.name = 'Acme Training' AND w.name = 'Sales Academy'",
    )
    .fetch_one(&lyceum.pool)
    .await?;
    // One cent per million tokens: every call is charged (a few millionths of a credit), so
    // every reservation and settlement does real arithmetic, and the limit is never reached.
    sqlx::query(
        "INSERT INTO ai_models (org_id, name, input_price_micro, output_price_micro, enabled, updated_at) \
         VALUES ($1, $2, 1000000, 1000000, 1, 0)",
    )
    .bind(&org)
    .bind(MODEL)
    .execute(&lyceum.pool)
    .await?;
    let mut config = lyceum_ai::Config::new(&provider.base_url())?;
    config.default_model = Some(MODEL.into());
    let client = lyceum_ai::Client::new(config)?;
    let ws = WorkspaceId::parse(&ws).context("a workspace id")?;
    Ok(Setup { lyceum, client, ws, _provider: provider, _temp: temp })
}

fn messages() -> Vec<Message> {
    vec![
        Message::new(Role::System, "You are Dana, a procurement lead. Stay in character."),
        Message::new(Role::User, "Our price reflects the hours your team saved this year."),
    ]
}

fn request() -> ChatRequest {
    ChatRequest { model: Some(MODEL.into()), messages: messages(), max_tokens: 64, temperature: None, json: false }
}

fn call(ws: &WorkspaceId) -> AiCall {
    AiCall {
        workspace_id: ws.clone(),
        feature: Feature::Simulation,
        model: None,
        messages: messages(),
        max_tokens: 64,
        temperature: None,
        json: false,
        course_id: None,
        user_id: None,
        attempt_id: None,
    }
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    p50_us: f64,
    p99_us: f64,
    mean_us: f64,
    n: usize,
}

fn stats(mut us: Vec<f64>) -> Stats {
    us.sort_by(f64::total_cmp);
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    Stats { p50_us: at(0.5), p99_us: at(0.99), mean_us: us.iter().sum::<f64>() / us.len() as f64, n: us.len() }
}

async fn time<F, Fut>(n: usize, mut f: F) -> anyhow::Result<Stats>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    // Warm up: connections, the tokenizer, the statement caches.
    for _ in 0..(n / 10).max(5) {
        f().await?;
    }
    let mut us = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await?;
        us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    Ok(stats(us))
}

fn main() -> anyhow::Result<()> {
    let quick = std::env::var("LYCEUM_BENCH_QUICK").is_ok_and(|v| v == "1");
    let n = if quick { 50 } else { 2_000 };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(run(n, quick))
}

async fn run(n: usize, quick: bool) -> anyhow::Result<()> {
    let s = setup().await?;
    let backend = format!("{:?}", s.lyceum.backend).to_lowercase();
    let direct = time(n, || async {
        s.client.complete(&request()).await?;
        Ok(())
    })
    .await?;
    let gateway = time(n, || async {
        s.lyceum.credits().complete(call(&s.ws)).await?;
        Ok(())
    })
    .await?;
    let direct_stream = time(n, || async {
        let mut st = s.client.stream(&request()).await?;
        while let Some(ev) = st.next().await {
            if let StreamEvent::Done(_) = ev? {
                break;
            }
        }
        Ok(())
    })
    .await?;
    let gateway_stream = time(n, || async {
        let mut st = Credits::stream(s.lyceum.clone(), call(&s.ws)).await?;
        while let Some(chunk) = st.next().await {
            if let AiChunk::Done(_) = chunk? {
                break;
            }
        }
        Ok(())
    })
    .await?;

    // Sixteen callers at once on one workspace's ledger.
    let callers = 16;
    let per = if quick { 10 } else { 200 };
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..callers {
        let lyceum = s.lyceum.clone();
        let ws = s.ws.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..per {
                lyceum.credits().complete(call(&ws)).await?;
            }
            Ok::<(), anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let concurrent_s = started.elapsed().as_secs_f64();
    let concurrent_per_s = (callers * per) as f64 / concurrent_s;

    // The ledger equals the events, and nothing is left reserved.
    let (used, reserved): (i64, i64) =
        sqlx::query_as("SELECT used_micro, reserved_micro FROM credit_ledgers WHERE workspace_id = $1")
            .bind(s.ws.as_str())
            .fetch_one(&s.lyceum.pool)
            .await?;
    let (events, charged): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(credits_micro), 0) AS BIGINT) FROM usage_events WHERE workspace_id = $1 AND model = $2",
    )
    .bind(s.ws.as_str())
    .bind(MODEL)
    .fetch_one(&s.lyceum.pool)
    .await?;
    let expected_events = (2 * (n + (n / 10).max(5)) + callers * per) as i64;
    anyhow::ensure!(reserved == 0, "{reserved} millionths still reserved after every call settled");
    anyhow::ensure!(events == expected_events, "{events} usage events for {expected_events} gateway calls");
    let demo: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(credits_micro), 0) AS BIGINT) FROM usage_events WHERE workspace_id = $1 AND model <> $2",
    )
    .bind(s.ws.as_str())
    .bind(MODEL)
    .fetch_one(&s.lyceum.pool)
    .await?;
    anyhow::ensure!(used == charged + demo, "the ledger holds {used}, its events {}", charged + demo);

    let overhead = gateway.p50_us - direct.p50_us;
    let stream_overhead = gateway_stream.p50_us - direct_stream.p50_us;
    let j = |x: Stats| json!({"p50_us": x.p50_us, "p99_us": x.p99_us, "mean_us": x.mean_us, "n": x.n});
    let out = json!({
        "backend": backend, "quick": quick,
        "direct": j(direct), "gateway": j(gateway),
        "direct_stream": j(direct_stream), "gateway_stream": j(gateway_stream),
        "overhead_p50_us": overhead, "stream_overhead_p50_us": stream_overhead,
        "sequential_pairs_per_s": 1e6 / gateway.mean_us,
        "concurrent": {"callers": callers, "calls": callers * per, "seconds": concurrent_s, "per_s": concurrent_per_s},
        "checked": {"usage_events": events, "ledger_equals_events": true, "reserved_after": reserved},
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("gateway-{backend}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&out)?)?;
    println!(
        "{backend}: direct p50 {:.0} µs, gateway p50 {:.0} µs (overhead {:.0} µs); streamed direct p50 {:.0} µs, \
         gateway p50 {:.0} µs (overhead {:.0} µs); {:.0} reserve+settle pairs/s sequential, {:.0}/s with {callers} callers",
        direct.p50_us,
        gateway.p50_us,
        overhead,
        direct_stream.p50_us,
        gateway_stream.p50_us,
        stream_overhead,
        1e6 / gateway.mean_us,
        concurrent_per_s
    );
    println!("written to {}", path.display());
    Ok(())
}
