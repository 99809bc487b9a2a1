"""The one table of figures (printed, and as markdown for docs/performance.md) and summary.json."""
import datetime
import json
import os
import platform
import statistics

BACKEND_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
# Member search p95 goals at 100k members, per backend (PERFORMANCE work, issue 5).
SEARCH_P95_GOAL_MS = {"sqlite": 10.0, "postgres": 15.0}
CHECK_RATIO_GOAL = 0.5
INVITE_GOAL_S, REMOVE_GOAL_S, BULK_GOAL_N = 3.0, 2.0, 10_000
ENGINE_RATIO_GOAL, HOT_P50_GOAL_NS = 10.0, 200.0


# Issue 11: usage ingestion in batches of 1,000, and the AI spend report.
INGEST_GOAL_EPS = {"sqlite": 20_000, "postgres": 10_000}
SPEND_P95_GOAL_MS = 50
STREAM_OVERHEAD_GOAL_US = 1000
DRAFT_SAVE_P95_GOAL_MS, PUBLISH_GOAL_MS, LIBRARY_P95_GOAL_MS, IMPORT_GOAL_MS = 50, 100, 20, 2000


def machine():
    model, mem_kib = "unknown", None
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), model)
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem_kib = next((int(ln.split()[1]) for ln in f if ln.startswith("MemTotal:")), None)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(mem_kib / 1024 / 1024, 1) if mem_kib else None,
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _mib(kib):
    return f"{kib / 1024:.1f} MiB" if kib is not None else "—"


def _n(x):
    return f"{x:,}" if isinstance(x, int) else str(x)


def _ok(flag):
    return "✓" if flag else "✗"


def _ms(x):
    return f"{x:.2f} ms" if x < 10 else f"{x:.1f} ms"


def _ns(x):
    if x < 1_000:
        return f"{x:.0f} ns"
    return f"{x / 1_000:.2f} µs" if x < 1_000_000 else f"{x / 1_000_000:.2f} ms"


def _load(run):
    return (f"{run['rps']:,.0f} req/s; p50 {_ms(run['p50_ms'])}, p95 {_ms(run['p95_ms'])}, "
            f"p99 {_ms(run['p99_ms'])}; {run['errors']} errors")


def backend_rows(name, b):
    """Rows (figure, value, goal, verdict) of one backend's results."""
    rows = []
    d = b.get("dataset")
    if d:
        rows.append(("dataset", f"{_n(d['members'])} members, {_n(d['workspaces'])} workspaces, "
                     f"{_n(d['workspace_memberships'])} workspace memberships, {_n(d['invitations'])} invitations, "
                     f"{_n(d['audit_events'])} audit events", "", ""))
        rows.append(("dataset generation; size on disk",
                     f"{d['seconds']:.1f} s; {d['db_bytes'] / 1024 / 1024:.0f} MiB", "", ""))
    cs = b.get("cold_start_ms")
    if cs:
        rows.append((f"cold start: spawn → first 200 of /readyz (median of {len(cs)})",
                     f"{statistics.median(cs):.0f} ms (min {min(cs):.0f}, max {max(cs):.0f})", "", ""))
    mem = b.get("memory", {})
    if mem.get("idle_rss_kib") is not None:
        rows.append(("RSS idle (2 s after ready)", _mib(mem["idle_rss_kib"]), "", ""))
    if mem.get("after_load_rss_kib") is not None:
        rows.append(("RSS after the load runs (peak VmHWM)",
                     f"{_mib(mem['after_load_rss_kib'])} (peak {_mib(mem['after_load_hwm_kib'])})", "", ""))
    if mem.get("after_bulk_rss_kib") is not None:
        rows.append(("RSS after the bulk requests (peak VmHWM)",
                     f"{_mib(mem['after_bulk_rss_kib'])} (peak {_mib(mem['after_bulk_hwm_kib'])})", "", ""))
    load = b.get("load", {})
    ceiling = b.get("ceiling_post_rps")
    if "hello_get" in load:
        rows.append(("ceiling: axum hello GET /", _load(load["hello_get"]), "", ""))
    if "hello_post" in load:
        runs = [load[k]["rps"] for k in ("hello_post", "hello_post_after") if k in load]
        rows.append(("ceiling: axum JSON POST /check (mean of runs before/after)",
                     f"{ceiling:,.0f} req/s (runs: {', '.join(f'{r:,.0f}' for r in runs)}); "
                     f"p99 {_ms(load['hello_post']['p99_ms'])}", "", ""))
    if "check_cold" in load:
        rows.append(("POST /orgs/{org}/check, first pass (grant cache filling)", _load(load["check_cold"]), "", ""))
    if "check" in load:
        ratio = load["check"]["rps"] / ceiling if ceiling else 0.0
        mix = b.get("check_allowed_share")
        extra = f" ({mix:.0%} allowed)" if mix is not None else ""
        rows.append((f"POST /orgs/{{org}}/check, {_n(b.get('check_bodies', 0))} rotating triples{extra}, cache warm",
                     _load(load["check"]), f"≥ {CHECK_RATIO_GOAL}× ceiling",
                     f"{ratio:.2f}× {_ok(ratio >= CHECK_RATIO_GOAL)}"))
        cost, ceiling_cost = load["check"].get("cpu_us_per_request"), b.get("ceiling_post_cpu_us")
        if cost and ceiling_cost:
            rows.append(("server CPU per request (user + system): check vs ceiling POST",
                         f"{cost:.1f} µs vs {ceiling_cost:.1f} µs", "", f"{cost / ceiling_cost:.2f}× ceiling"))
    goal = SEARCH_P95_GOAL_MS.get(name)
    for key, label in (("ws_search", "GET /workspaces/{largest}/members?q="), ("org_search", "GET /orgs/{org}/members?q=")):
        terms = b.get(f"{key}_terms", 0)
        for run_key, how in ((key, ""), (f"{key}_single", ", one client")):
            if run_key in load:
                run = load[run_key]
                rows.append((f"{label} ({terms} terms{how}) p95", _load(run), f"p95 ≤ {goal:.0f} ms",
                             f"{_ms(run['p95_ms'])} {_ok(run['p95_ms'] <= goal)}"))
    bulk = b.get("bulk", {})
    for key, label, limit in (("invite", "invite new addresses, one request", INVITE_GOAL_S),
                              ("remove", "bulk-remove members, one request", REMOVE_GOAL_S)):
        r = bulk.get(key)
        if not r:
            continue
        n = r.get("invited_requested" if key == "invite" else "removed_requested", 0)
        atomic = "all or nothing ✓" if r.get("atomic") else "✗ " + "; ".join(r.get("problems", []))[:120]
        if "seconds" in r:
            scaled = n == BULK_GOAL_N
            verdict = f"{_ok(r['seconds'] <= limit)}, {atomic}" if scaled else f"(n/a at {_n(n)}), {atomic}"
            rows.append((f"{label}: {_n(n)}", f"{r['seconds']:.2f} s", f"≤ {limit:.0f} s at {_n(BULK_GOAL_N)}",
                         verdict))
        else:
            rows.append((f"{label}: {_n(n)}", "not measured", "", atomic))
    credits = b.get("credits", {})
    ingest, spend = credits.get("ingest"), credits.get("report")
    if ingest and "events_per_s" in ingest:
        goal = INGEST_GOAL_EPS.get(name, 0)
        ceiling = b.get("ceiling_post_rps")
        ratio = f"{ingest['events_per_s'] / ceiling:.2f} events per ceiling POST" if ceiling else ""
        rows.append((f"POST /workspaces/{{ws}}/usage, {_n(ingest['batches'])} batches of {_n(ingest['batch'])}",
                     f"{ingest['events_per_s']:,.0f} events/s", f"≥ {_n(goal)} events/s",
                     f"{ratio} {_ok(ingest['events_per_s'] >= goal)}"))
    if spend and "p95_ms" in spend:
        rows.append((f"GET /workspaces/{{ws}}/ai-spend (30 days) over {_n(spend['events'])} events p95",
                     f"p50 {_ms(spend['p50_ms'])}, p95 {_ms(spend['p95_ms'])}", f"p95 ≤ {SPEND_P95_GOAL_MS} ms",
                     _ok(spend["p95_ms"] <= SPEND_P95_GOAL_MS)))
    g = b.get("gateway") or {}
    if "overhead_p50_us" in g:
        quick = " (quick mode: smoke figures)" if g.get("quick") else ""
        rows.append((f"AI call through the gateway vs direct to the test provider, {_n(g['gateway']['n'])} calls{quick}",
                     f"direct p50 {g['direct']['p50_us']:.0f} µs, gateway p50 {g['gateway']['p50_us']:.0f} µs",
                     "", f"overhead {g['overhead_p50_us']:.0f} µs ({g['gateway']['p50_us'] / g['direct']['p50_us']:.2f}× direct)"))
        rows.append(("a streamed turn through the gateway vs direct",
                     f"direct p50 {g['direct_stream']['p50_us']:.0f} µs, gateway p50 {g['gateway_stream']['p50_us']:.0f} µs",
                     f"overhead p50 ≤ {STREAM_OVERHEAD_GOAL_US / 1000:.0f} ms",
                     f"{g['stream_overhead_p50_us']:.0f} µs {_ok(g['stream_overhead_p50_us'] <= STREAM_OVERHEAD_GOAL_US)}"))
        c = g["concurrent"]
        rows.append(("ledger reserve + settle pairs (with the provider's call)",
                     f"{g['sequential_pairs_per_s']:,.0f}/s one caller, {c['per_s']:,.0f}/s with {c['callers']} callers",
                     "", f"ledger = events ✓, {g['checked']['usage_events']} events"))
    learning = b.get("learning", {})
    draft, library, imports = learning.get("draft"), learning.get("library"), learning.get("imports")
    if draft and "save_p95_ms" in draft:
        rows.append((f"PUT /courses/{{c}}/draft, 200 blocks, {_n(draft['saves'])} saves",
                     f"p50 {_ms(draft['save_p50_ms'])}, p95 {_ms(draft['save_p95_ms'])}",
                     f"p95 ≤ {DRAFT_SAVE_P95_GOAL_MS} ms", _ok(draft["save_p95_ms"] <= DRAFT_SAVE_P95_GOAL_MS)))
    if draft and "publish_p95_ms" in draft:
        rows.append((f"POST /courses/{{c}}/publish, 200 blocks, {_n(draft['publishes'])} versions",
                     f"p50 {_ms(draft['publish_p50_ms'])}, p95 {_ms(draft['publish_p95_ms'])}",
                     f"≤ {PUBLISH_GOAL_MS} ms", _ok(draft["publish_p95_ms"] <= PUBLISH_GOAL_MS)))
    if library and "p95_ms" in library:
        rows.append((f"GET /workspaces/{{ws}}/courses?q= over {_n(library['courses'])} courses, {_n(library['queries'])} searches",
                     f"p50 {_ms(library['p50_ms'])}, p95 {_ms(library['p95_ms'])}",
                     f"p95 ≤ {LIBRARY_P95_GOAL_MS} ms", _ok(library["p95_ms"] <= LIBRARY_P95_GOAL_MS)))
    for name, label in (("long.pdf", "a 50-page PDF"), ("long.pptx", "a 50-slide .pptx")):
        r = (imports or {}).get(name)
        if r:
            rows.append((f"POST /workspaces/{{ws}}/courses/import of {label}, {r['runs']} runs",
                         f"p50 {_ms(r['p50_ms'])}, max {_ms(r['max_ms'])}", f"≤ {IMPORT_GOAL_MS / 1000:.0f} s",
                         _ok(r["max_ms"] <= IMPORT_GOAL_MS)))
    return rows


def criterion_rows(c):
    rows = []
    if not c or "skipped" in c:
        return [("in-process checks (criterion)", f"SKIPPED: {c.get('skipped') if c else 'not run'}", "", "")]
    hot = c.get("lyceum_hot")
    for engine in ("lyceum_hot", "lyceum_hot_async", "lyceum_cold", "cedar", "casbin"):
        e = c.get(engine)
        if not isinstance(e, dict):
            continue
        value = f"p50 {_ns(e['p50_ns'])}, p99 {_ns(e['p99_ns'])}"
        goal, verdict = "", ""
        if engine == "lyceum_hot":
            goal, verdict = f"p50 ≤ {HOT_P50_GOAL_NS:.0f} ns", _ok(e["p50_ns"] <= HOT_P50_GOAL_NS)
        elif hot and hot["p50_ns"] > 0:
            ratio = e["p50_ns"] / hot["p50_ns"]
            verdict = f"{ratio:.1f}× hot"
            if engine in ("cedar", "casbin"):
                goal, verdict = f"≥ {ENGINE_RATIO_GOAL:.0f}× hot", f"{verdict} {_ok(ratio >= ENGINE_RATIO_GOAL)}"
        rows.append((f"check in process: {engine}", value, goal, verdict))
    ds = c.get("dataset")
    if isinstance(ds, dict):
        quick = " — quick mode (LYCEUM_BENCH_QUICK=1): smoke figures, not measurements" if c.get("quick") else ""
        rows.append(("in-process dataset", f"{_n(ds.get('members'))} members, {_n(ds.get('workspaces'))} "
                     f"workspaces, {_n(ds.get('queries'))} queries{quick}", "", ""))
    return rows


def all_rows(results):
    rows = []
    for name, b in results["backends"].items():
        for r in backend_rows(name, b):
            rows.append((BACKEND_NAMES.get(name, name),) + r)
    for r in criterion_rows(results.get("criterion")):
        rows.append(("in-process",) + r)
    return rows


def header_lines(results):
    m = results["machine"]
    w = results.get("wrk") or {}
    lines = [
        f"Lyceum benchmark ({results['mode']}), {m['date']}",
        f"machine: {m['nproc']} CPUs, {m['cpu_model']}, {m['ram_gib']} GiB RAM, Linux {m['kernel']}",
    ]
    if w:
        lines.append(f"load: wrk -t{w['threads']} -c{w['connections']} -d{w['duration_s']}s on the same machine "
                     "(\"one client\": -t1 -c1), rotating over request files; latencies as wrk measures them "
                     "(closed loop, no coordinated-omission correction)")
    return lines


def text_table(results):
    rows = all_rows(results)
    head = ("backend", "figure", "value", "goal", "ratio / verdict")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(5)]
    widths[2] = min(widths[2], 78)
    sep = "  "
    out = header_lines(results) + [""]
    out.append(sep.join(h.ljust(widths[i]) for i, h in enumerate(head)))
    out.append(sep.join("-" * w for w in widths))
    for r in rows:
        out.append(sep.join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(out)


def markdown_table(results):
    out = [line + "  " for line in header_lines(results)] + [""]
    out.append("| backend | figure | value | goal | ratio / verdict |")
    out.append("|---|---|---|---|---|")
    for r in all_rows(results):
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out) + "\n"


def write(results, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    with open(os.path.join(out_dir, "summary.md"), "w") as f:
        f.write(markdown_table(results))
