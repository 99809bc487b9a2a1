//! `cd benches && CARGO_TARGET_DIR=../target cargo bench --bench permission`
//!
//! Lyceum's permission check against cedar-policy and casbin, side by side: the same population
//! (read from a Lyceum database), the same sampled queries, the same answers (checked before
//! anything is timed). Criterion times one check per iteration, cycling through the queries, in
//! the group `may/<engine>`; a second pass times checks with `Instant` for p50/p99/mean, printed
//! as a table and written to `target/bench/permission.json`.
//!
//! Environment: `LYCEUM_BENCH_DATA_DIR` / `LYCEUM_BENCH_DATABASE_URL` (a dataset, generated
//! there first if that database is empty; with neither, one is generated into a temp dir),
//! `LYCEUM_BENCH_SCALE` = small|large (what to generate; default large), `LYCEUM_BENCH_QUERIES`
//! (default 10,000), `LYCEUM_BENCH_QUICK=1` (tiny and fast: a CI smoke run, whose figures mean
//! nothing).

use std::time::Duration;

use criterion::Criterion;
use lyceum_benches::latency::{measure, Latency, Sampler};
use lyceum_benches::population::Population;
use lyceum_benches::report::{self, DatasetInfo};
use lyceum_benches::suite::Suite;
use lyceum_benches::{dataset, queries};

const SEED: u64 = 5;

fn main() -> anyhow::Result<()> {
    let quick = std::env::var("LYCEUM_BENCH_QUICK").is_ok_and(|v| v == "1");
    // One current-thread runtime for the pool and every async check: no cross-thread wake-ups.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // `_data` holds a generated dataset's temp dir for the whole run.
    let (_data, suite, info) = rt.block_on(prepare(quick))?;
    eprintln!(
        "{} members, {} workspaces ({}); {} queries: {} allowed, {} denied; all five engines agree, \
         and on {} hand-checked cases",
        info.members,
        info.workspaces,
        info.source,
        info.queries,
        suite.tally.allowed,
        suite.tally.denied,
        suite.hand_checked
    );

    let mut c = criterion(quick);
    bench(&mut c, &suite, &rt);
    c.final_summary();

    let results = rt.block_on(percentiles(&suite, quick));
    let path = report::default_json_path();
    report::write_json(&path, &report::json(&results, &info))?;
    println!("\nper check ({} queries; p50/p99 from the Instant pass):\n{}", info.queries, report::table(&results));
    println!("written to {}", path.display());
    Ok(())
}

async fn prepare(quick: bool) -> anyhow::Result<(dataset::Dataset, Suite, DatasetInfo)> {
    let data = dataset::from_env(quick).await?;
    let population = Population::load(&data.lyceum.pool).await?;
    let n = std::env::var("LYCEUM_BENCH_QUERIES").ok().and_then(|v| v.parse().ok());
    let n = n.unwrap_or(if quick { 1_000 } else { 10_000 });
    let sampled = queries::sample(&population, n, SEED);
    let info = DatasetInfo {
        members: population.org_members.len(),
        workspaces: population.workspaces.len(),
        queries: n,
        source: data.source.clone(),
    };
    let suite = Suite::build(data.lyceum.clone(), population, sampled).await?;
    Ok((data, suite, info))
}

fn criterion(quick: bool) -> Criterion {
    let c = Criterion::default();
    let c = if quick {
        c.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(1)).sample_size(10)
    } else {
        c
    };
    c.configure_from_args()
}

/// The next query index, cycling.
fn next(i: &mut usize, n: usize) -> usize {
    *i = if *i + 1 >= n { 0 } else { *i + 1 };
    *i
}

fn bench(c: &mut Criterion, suite: &Suite, rt: &tokio::runtime::Runtime) {
    let n = suite.timed;
    suite.warm();
    let mut group = c.benchmark_group("may");
    group.bench_function("lyceum_hot", |b| {
        let mut i = 0;
        b.iter(|| suite.hot(next(&mut i, n)))
    });
    group.bench_function("lyceum_hot_async", |b| {
        let mut i = 0;
        b.to_async(rt).iter(|| suite.hot_async(next(&mut i, n)))
    });
    group.bench_function("cedar", |b| {
        let mut i = 0;
        b.iter(|| suite.cedar(next(&mut i, n)))
    });
    group.bench_function("casbin", |b| {
        let mut i = 0;
        b.iter(|| suite.casbin(next(&mut i, n)))
    });
    // Last: it empties the cache before every check (`invalidate_all` is inside the timing; it
    // costs nanoseconds against a database round trip).
    group.bench_function("lyceum_cold", |b| {
        let mut i = 0;
        b.to_async(rt).iter(|| suite.cold(next(&mut i, n)))
    });
    group.finish();
    suite.warm();
}

/// Checks slower than this are timed one by one; faster ones 64 at a time (see `latency`).
const ONE_BY_ONE_NS: f64 = 2_000.0;
/// The Instant pass alternates between the engines this many times, so that a burst of load from
/// the machine's other users lands on all of them rather than on one.
const ROUNDS: u32 = 10;

async fn percentiles(suite: &Suite, quick: bool) -> Vec<(&'static str, Latency)> {
    let n = suite.timed;
    let per_engine = if quick { Duration::from_millis(200) } else { Duration::from_secs(3) };
    let slice = per_engine / ROUNDS;
    suite.warm();
    // A first look at each engine decides its batch size.
    let pilot = n.min(256);
    let batch = |mean_ns: f64| if mean_ns >= ONE_BY_ONE_NS { 1 } else { 64 };
    let mut hot = Sampler::new(batch(measure(pilot, 64, Duration::ZERO, |i| suite.hot(i) == Some(true)).mean_ns));
    let mut hot_async = {
        let mut look = Sampler::new(64);
        look.cover_async(pilot, async |i| suite.hot_async(i).await).await;
        Sampler::new(batch(look.latency().mean_ns))
    };
    let mut cedar = Sampler::new(batch(measure(pilot, 64, Duration::ZERO, |i| suite.cedar(i)).mean_ns));
    let mut casbin = Sampler::new(batch(measure(pilot, 64, Duration::ZERO, |i| suite.casbin(i)).mean_ns));
    let mut cold = Sampler::new(1);
    for _ in 0..ROUNDS {
        suite.warm();
        hot.run(n, slice, |i| suite.hot(i) == Some(true));
        hot_async.run_async(n, slice, async |i| suite.hot_async(i).await).await;
        cedar.run(n, slice, |i| suite.cedar(i));
        casbin.run(n, slice, |i| suite.casbin(i));
        // Last in the round: it empties the cache before every check.
        cold.run_async(n, slice, async |i| suite.cold(i).await).await;
    }
    // Every query at least once, whatever the budget allowed.
    suite.warm();
    hot.cover(n, |i| suite.hot(i) == Some(true));
    hot_async.cover_async(n, async |i| suite.hot_async(i).await).await;
    cedar.cover(n, |i| suite.cedar(i));
    casbin.cover(n, |i| suite.casbin(i));
    cold.cover_async(n, async |i| suite.cold(i).await).await;
    suite.warm();
    vec![
        ("lyceum_hot", hot.latency()),
        ("lyceum_hot_async", hot_async.latency()),
        ("lyceum_cold", cold.latency()),
        ("cedar", cedar.latency()),
        ("casbin", casbin.latency()),
    ]
}
