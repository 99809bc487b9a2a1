"""HTTP load with `wrk`: one Lua script for every run (the ceiling's and Lyceum's), which rotates
over a request file (one `METHOD<TAB>PATH<TAB>BODY` per line, each thread from its own offset) and
prints its figures as one JSON line."""
import json
import os
import shutil
import subprocess

LUA = r"""
-- Written by scripts/bench. args: the request file.
local requests, n, i, threads = {}, 0, 0, {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

function init(args)
  local f = assert(io.open(args[1], "r"))
  for line in f:lines() do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    if method then
      local headers = {}
      for k, v in pairs(wrk.headers) do headers[k] = v end
      if body == "" then body = nil else headers["Content-Type"] = "application/json" end
      n = n + 1
      requests[n] = wrk.format(method, path, headers, body)
    end
  end
  f:close()
  assert(n > 0, "no requests in " .. args[1])
  i = ((thread_index or 1) - 1) * 7919 % n
end

function request()
  i = i % n + 1
  return requests[i]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def ensure_wrk(ci):
    """The wrk binary, installed with apt-get when missing and we are root; None (SKIPPED) otherwise
    — or an error under CI=true."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package (apt-get install -y wrk)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        ok = subprocess.run(["apt-get", "install", "-y", "wrk"], env=env).returncode == 0
        if not ok:
            subprocess.run(["apt-get", "update"], env=env)
            subprocess.run(["apt-get", "install", "-y", "wrk"], env=env)
        found = shutil.which("wrk")
        if found:
            return found
    if ci:
        raise SystemExit("wrk is missing and cannot be installed (CI=true: the HTTP figures are required)")
    print("\n" + "!" * 78 + "\n!! SKIPPED: wrk is missing (apt-get install wrk, as root). "
          "No HTTP load figures.\n" + "!" * 78 + "\n", flush=True)
    return None


class Wrk:
    def __init__(self, binary, workdir, threads, connections, duration_s, log_path):
        self.binary = binary
        self.workdir = workdir
        self.threads = threads
        self.connections = connections
        self.duration_s = duration_s
        self.log_path = log_path
        self.script = os.path.join(workdir, "rotate.lua")
        with open(self.script, "w") as f:
            f.write(LUA)

    def write_requests(self, name, lines):
        """`lines`: (method, path, body-or-None); returns the request file's path."""
        path = os.path.join(self.workdir, f"requests-{name}.tsv")
        with open(path, "w") as f:
            for method, p, body in lines:
                if "\t" in p or "\n" in p or (body and ("\t" in body or "\n" in body)):
                    raise ValueError(f"request {p!r} has a tab or newline")
                f.write(f"{method}\t{p}\t{body or ''}\n")
        return path

    def run(self, name, port, request_file, headers=(), single_client=False, duration_s=None):
        """One timed run; returns wrk's figures (dict) with rps and the milliseconds added.
        `single_client`: one thread, one connection (the latency of one request at a time)."""
        threads, connections = (1, 1) if single_client else (self.threads, self.connections)
        duration_s = duration_s or self.duration_s
        argv = [self.binary, f"-t{threads}", f"-c{connections}", f"-d{duration_s}s",
                "--timeout", "5s", "-s", self.script]
        for h in headers:
            argv += ["-H", h]
        argv += [f"http://127.0.0.1:{port}", "--", request_file]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + 120)
        with open(self.log_path, "a") as log:
            shown = [a if not a.startswith("Authorization:") else "Authorization: Bearer <key>" for a in argv]
            log.write(f"### {name}: {' '.join(shown)}\n{r.stdout}{r.stderr}\n")
        line = next((ln for ln in r.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
        if r.returncode != 0 or line is None:
            raise RuntimeError(f"wrk run {name} failed (exit {r.returncode}): {r.stderr.strip()[-300:]}")
        out = json.loads(line[len("WRK_JSON "):])
        seconds = out["duration_us"] / 1e6
        out["rps"] = out["requests"] / seconds if seconds > 0 else 0.0
        for p in ("p50", "p90", "p95", "p99", "max", "mean"):
            out[f"{p}_ms"] = out[f"{p}_us"] / 1000.0
        out["errors"] = out["status_errors"] + out["connect_errors"] + out["read_errors"] + out["write_errors"]
        out.update(name=name, threads=threads, connections=connections)
        return out
