"""Usage ingestion and the AI spend report through the API (issue 11), checked as well as timed:
every event of every batch must be recorded once, a repeated batch must record nothing, and the
report must count exactly the events ingested.

Ingestion posts batches of 1,000 events (one request each, timed around the request only) to the
dataset's largest workspace at a model priced 0, so the pool's allocation never refuses them; each
batch still locks, checks and writes the workspace's ledger. Then `GET …/ai-spend` (30 days, from
the rollups) is timed repeatedly."""
import statistics

BATCH = 1000
MODEL = "bench-free"


def ingest(api, org_id, workspace_id, batches, tag):
    out = {"batch": BATCH, "batches": batches, "problems": []}
    r = api.request("PUT", f"/api/v1/orgs/{org_id}/models/{MODEL}",
                    {"input_price_per_mtok": 0, "output_price_per_mtok": 0})
    if r.status != 200:
        out["problems"].append(f"pricing the bench model answered {r!r}")
        return out
    seconds = []
    features = ["simulation", "scoring", "assistant", "external"]
    for b in range(batches):
        events = [{"idempotency_key": f"{tag}-{b}-{i}", "feature": features[i % 4], "model": MODEL,
                   "input_tokens": 500 + i, "output_tokens": 100 + i % 50} for i in range(BATCH)]
        r = api.request("POST", f"/api/v1/workspaces/{workspace_id}/usage", {"events": events})
        if r.status != 200:
            out["problems"].append(f"batch {b} answered {r!r}")
            return out
        recorded = sum(1 for x in r.json["results"] if x.get("outcome") == "recorded")
        if recorded != BATCH:
            out["problems"].append(f"batch {b}: {recorded} of {BATCH} recorded")
        seconds.append(r.seconds)
    # The first batch again: every event a duplicate, nothing recorded.
    events = [{"idempotency_key": f"{tag}-0-{i}", "feature": features[i % 4], "model": MODEL,
               "input_tokens": 500 + i, "output_tokens": 100 + i % 50} for i in range(BATCH)]
    r = api.request("POST", f"/api/v1/workspaces/{workspace_id}/usage", {"events": events})
    duplicates = sum(1 for x in r.json.get("results", []) if x.get("outcome") == "duplicate")
    if duplicates != BATCH:
        out["problems"].append(f"a repeated batch: {duplicates} of {BATCH} answered duplicate")
    total = sum(seconds)
    out["seconds"] = total
    out["events_per_s"] = batches * BATCH / total if total else 0.0
    out["batch_p50_ms"] = statistics.median(seconds) * 1000
    return out


def report(api, workspace_id, expected_calls, repeats):
    out = {"problems": []}
    times = []
    for _ in range(repeats):
        r = api.request("GET", f"/api/v1/workspaces/{workspace_id}/ai-spend?window=30d")
        if r.status != 200:
            out["problems"].append(f"the report answered {r!r}")
            return out
        times.append(r.seconds * 1000)
        calls = r.json["kpis"]["calls"]
        if calls != expected_calls:
            out["problems"].append(f"the report counts {calls} calls, {expected_calls} were ingested")
            return out
    times.sort()
    out["p50_ms"] = statistics.median(times)
    out["p95_ms"] = times[min(len(times) - 1, int(len(times) * 0.95))]
    out["events"] = expected_calls
    return out
