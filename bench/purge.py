"""Growth: ``manage.py purge-sessions`` over a few and over a million expired session
records, its wall time and peak memory each time, and a check that it removed exactly those.
Memory is bounded when the million costs no more of it than the few."""

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.apps import ours_env
from bench.databases import count
from bench.seeding import EXPIRED, filler_agent, seed_sessions
from bench.settings import ROOT, log

# Past the absolute lifetime (12 hours) of a session without remember-me.
EXPIRED_AGE = timedelta(days=2)
# manage.py purge-sessions, then the peak resident size of this very process. Not the child's
# ru_maxrss: Linux counts in it the bench's own size at fork, before the exec.
PEAK = "peak VmHWM kB:"
COMMAND = f"""
import runpy, sys
sys.argv = ["manage.py", "purge-sessions"]
try:
    runpy.run_path("manage.py", run_name="__main__")
finally:
    status = open("/proc/self/status").read()
    print("{PEAK}", status.split("VmHWM:")[1].split()[0], flush=True)
"""


def purge_sessions(url, users, logdir, expired_count, label=EXPIRED) -> dict:
    """Seed ``expired_count`` expired records (labelled ``label``) beside the live ones in
    ``url``, run the command once, and check that the expired ones are gone and every live
    one stayed."""
    live = count(url, "SELECT count(*) FROM auth_session")
    started = datetime.now(UTC) - EXPIRED_AGE
    seed_sessions(url, expired_count, users, started, started, label)
    log(f"  purge: {live:,} live and {expired_count:,} expired session records")
    output = logdir / f"purge-sessions-{label}.log"
    with output.open("wb") as out:
        begun = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", COMMAND],
            cwd=ROOT,
            env=ours_env(url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        process.wait()
        seconds = time.perf_counter() - begun
    lines = output.read_text(errors="replace").splitlines()
    for line in lines:
        log(f"  purge-sessions: {line}")
    peaks = [int(line.split()[-1]) for line in lines if line.startswith(PEAK)]
    if process.returncode:
        raise RuntimeError(f"purge-sessions exited with {process.returncode}")
    expired = filler_agent(label)
    left = count(url, "SELECT count(*) FROM auth_session WHERE user_agent = ?", expired)
    kept = count(url, "SELECT count(*) FROM auth_session")
    if left or kept != live:
        raise RuntimeError(
            f"purge-sessions left {left:,} of the expired records and {kept:,} of {live:,} "
            "live ones"
        )
    return {"seconds": seconds, "rss": peaks[-1] / 1024, "expired": expired_count}
