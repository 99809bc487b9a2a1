"""Child processes: spawn with a log file, wait for readiness, read memory, stop — and stop
everything still running when the script ends, however it ends (normal exit, error, Ctrl-C,
SIGTERM)."""
import atexit
import os
import signal
import socket
import subprocess
import time

_children = []


def _stop_everything():
    for proc in list(_children):
        stop(proc)


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def install_cleanup():
    """Stops every child at exit; SIGTERM exits through the same path as Ctrl-C (finally blocks run)."""
    atexit.register(_stop_everything)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGHUP, _on_sigterm)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def spawn(argv, log_path, env=None, cwd=None):
    """Starts a long-running child in its own session (a Ctrl-C reaches us, and we stop it cleanly),
    stdout and stderr into `log_path`."""
    log = open(log_path, "ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=env, cwd=cwd, start_new_session=True)
    proc.log_file = log
    proc.log_path = log_path
    _children.append(proc)
    return proc


def stop(proc, timeout=15):
    """SIGTERM, then SIGKILL after `timeout`; returns the exit code (None if it had to be killed)."""
    code = proc.poll()
    if code is None:
        try:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
    if proc in _children:
        _children.remove(proc)
    log = getattr(proc, "log_file", None)
    if log and not log.closed:
        log.close()
    return code


def http_status(port, path, timeout=1.0):
    """The status of `GET path` on 127.0.0.1:port over a fresh connection, or None when nothing
    answers (yet)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        return None
    try:
        return int(parts[1])
    except ValueError:
        return None


def wait_ready(proc, port, path, started, timeout=120.0, poll=0.002):
    """Polls `path` every `poll` seconds until it answers 200; returns the seconds since `started`
    (a time.perf_counter() taken just before spawning). Raises if the child exits or time runs out."""
    deadline = started + timeout
    while True:
        if http_status(port, path) == 200:
            return time.perf_counter() - started
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before {path} answered 200; "
                               f"see {proc.log_path}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{path} did not answer 200 within {timeout:.0f} s; see {proc.log_path}")
        time.sleep(poll)


def memory_kib(pid):
    """{'rss': VmRSS, 'hwm': VmHWM} in KiB from /proc/<pid>/status (None when unreadable)."""
    out = {"rss": None, "hwm": None}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss"] = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    out["hwm"] = int(line.split()[1])
    except OSError:
        pass
    return out


def cpu_seconds(pid):
    """User + system CPU time the process has used (all its threads), from /proc/<pid>/stat; None
    when unreadable. Unlike requests per second, CPU time per request barely moves when other
    work shares the machine: it is the steadier of the two figures."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def run(argv, log_path, env=None, cwd=None, timeout=None):
    """Runs a command to its end, output appended to `log_path`; returns (exit code, stdout text)."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd)
        _children.append(proc)
        try:
            out, _ = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            _children.remove(proc)
        log.write(out)
    return proc.returncode, out.decode("utf-8", "replace")


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0
