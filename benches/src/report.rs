//! The summary: `target/bench/permission.json` and a small table with ratios to Lyceum's hot path.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::latency::Latency;

/// What was measured on.
#[derive(Debug, Clone)]
pub struct DatasetInfo {
    pub members: usize,
    pub workspaces: usize,
    pub queries: usize,
    /// Where the rows came from (data dir or database kind).
    pub source: String,
}

/// The engine every ratio is taken against.
pub const BASELINE: &str = "lyceum_hot";

/// `{engine: {p50_ns, p99_ns, mean_ns, batch, samples}, "dataset": {members, workspaces, queries, source}}`
pub fn json(results: &[(&str, Latency)], dataset: &DatasetInfo) -> Value {
    let mut out = Map::new();
    for (name, l) in results {
        out.insert(
            (*name).to_owned(),
            json!({
                "p50_ns": round(l.p50_ns), "p99_ns": round(l.p99_ns), "mean_ns": round(l.mean_ns),
                "batch": l.batch, "samples": l.samples,
            }),
        );
    }
    out.insert(
        "dataset".into(),
        json!({
            "members": dataset.members, "workspaces": dataset.workspaces, "queries": dataset.queries,
            "source": dataset.source,
        }),
    );
    Value::Object(out)
}

/// Writes the JSON summary, creating its directory.
pub fn write_json(path: &Path, summary: &Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, serde_json::to_string_pretty(summary)? + "\n")?;
    Ok(())
}

/// `target/bench/permission.json` in the target dir in force (`CARGO_TARGET_DIR`, else the
/// repository's `target/`).
pub fn default_json_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("bench").join("permission.json")
}

/// The table: one row per engine, with p50 and mean as multiples of the baseline's.
pub fn table(results: &[(&str, Latency)]) -> String {
    let base = results.iter().find(|(name, _)| *name == BASELINE).map(|(_, l)| *l);
    let mut out = format!(
        "{:<18} {:>12} {:>12} {:>12} {:>6} {:>11} {:>11}\n",
        "engine", "p50", "p99", "mean", "batch", "p50/hot", "mean/hot"
    );
    for (name, l) in results {
        let ratio = |x: f64, b: f64| if b > 0.0 { format!("{:.1}×", x / b) } else { "-".into() };
        let (p50r, meanr) =
            base.map_or(("-".into(), "-".into()), |b| (ratio(l.p50_ns, b.p50_ns), ratio(l.mean_ns, b.mean_ns)));
        out += &format!(
            "{name:<18} {:>12} {:>12} {:>12} {:>6} {:>11} {:>11}\n",
            human(l.p50_ns),
            human(l.p99_ns),
            human(l.mean_ns),
            l.batch,
            p50r,
            meanr
        );
    }
    out
}

fn human(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn round(ns: f64) -> f64 {
    (ns * 10.0).round() / 10.0
}
