"""A throwaway PostgreSQL database for one run, created and dropped with `psql`."""
import shutil
import subprocess

SERVER = "postgres://postgres@127.0.0.1:5432"


def _psql(sql, timeout=60):
    if not shutil.which("psql"):
        return False, "psql is not installed"
    try:
        r = subprocess.run(["psql", f"{SERVER}/postgres", "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "psql timed out"
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def reachable():
    ok, _ = _psql("SELECT 1", timeout=5)
    return ok


def create(name):
    """Creates database `name`; returns its URL."""
    ok, out = _psql(f'CREATE DATABASE "{name}"')
    if not ok:
        raise RuntimeError(f"cannot create PostgreSQL database {name}: {out}")
    return f"{SERVER}/{name}"


def drop(name):
    ok, out = _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not ok:
        print(f"warning: could not drop PostgreSQL database {name}: {out}")
