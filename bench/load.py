"""The load generator: wrk on verify_auth with a session's cookie, and wrk with bench/login.lua
POSTing logins with one pre-login cookie and its CSRF token."""

import re
import subprocess

from bench.settings import (
    BENCH,
    DURATION,
    LOGIN_PATH,
    PASSWORD,
    VERIFY_PATH,
    WRK_CONNECTIONS,
    WRK_THREADS,
    log,
)
from devtools.processes import HOST

LOGIN_SCRIPT = BENCH / "login.lua"


def _wrk(port, path, options=(), script_args=(), strict=True) -> tuple[str, float, int]:
    """wrk's output, its requests per second and its request count; ``strict``: every answer
    must be a 2xx, or the run stops."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{DURATION}s", *options]
    command += [f"http://{HOST}:{port}{path}", *script_args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad and strict:
        raise RuntimeError(f"wrk saw {bad.group(1)} non-2xx answers on {path}:\n{out}")
    errors = re.search(r"Socket errors: (.*)", out)
    if errors and re.search(r"(timeout|read|write|connect) [1-9]", errors.group(1)):
        log(f"  wrk socket errors: {errors.group(1)}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return out, rps, int(re.search(r"(\d+) requests in", out).group(1))


def throughput(srv, cookie=None) -> dict:
    """verify_auth under wrk: requests per second, and the workers' CPU seconds per request."""
    before = srv.cpu_seconds()
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    _, rps, requests = _wrk(srv.port, VERIFY_PATH, headers)
    return {"rps": rps, "cpu": (srv.cpu_seconds() - before) / requests}


def login_rate(srv, cookie, token, users) -> dict:
    """Logins per second under wrk (8 connections), how many, how many answers were not a
    2xx, and the workers' CPU seconds per login."""
    before = srv.cpu_seconds()
    out, rps, requests = _wrk(
        srv.port,
        LOGIN_PATH,
        ["-s", str(LOGIN_SCRIPT)],
        ["--", cookie, token, str(users), PASSWORD],
        strict=False,
    )
    # The script's count, by its response() hook; wrk's own line counts 3xx as fine.
    non_2xx = int(re.search(r"^non-2xx: (\d+)", out, re.M).group(1))
    if non_2xx:
        log(f"  login wrk: {out.strip().splitlines()[-1]}")
    return {
        "logins_per_s": rps,
        "logins": requests,
        "non_2xx": non_2xx,
        "login_cpu": (srv.cpu_seconds() - before) / requests,
    }
