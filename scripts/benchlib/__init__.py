"""Support modules of `scripts/bench` (Python 3 standard library only).

- procs: child processes (servers, tools), their logs, readiness and memory; cleanup on exit.
- api: a small HTTP client for Lyceum's JSON API.
- workload: what the load runs send (check bodies, search fragments) and the request files.
- loadgen: `wrk` with a Lua script that rotates over a request file and reports JSON.
- bulk: one-request invitations and removals, timed, with their all-or-nothing checks.
- postgres: a throwaway PostgreSQL database per run.
- report: the table, `summary.json` and `summary.md`.
"""
