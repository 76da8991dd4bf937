"""The bench's knobs (BENCH_* environment variables), constants, targets and gunicorn options."""

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("BENCH_APP_DIR") or BENCH.parent).resolve()
BIN = Path(sys.executable).parent

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DURATION = int(os.environ.get("BENCH_DURATION", "5"))
LOGINS = int(os.environ.get("BENCH_LOGINS", "30"))
VERIFIES = int(os.environ.get("BENCH_VERIFIES", "300"))
ROUND_TRIPS = 100  # sequential bare requests, each on a fresh connection
VERIFY_BLOCK = 50
SMALL_USERS = 1_000
SMALL_SESSIONS = 1_000
LARGE_USERS = int(os.environ.get("BENCH_LARGE_USERS", "1000000"))
LARGE_SESSIONS = int(os.environ.get("BENCH_LARGE_SESSIONS", "1000000"))
EXPIRED_SESSIONS = LARGE_SESSIONS
FEW_EXPIRED_SESSIONS = 10_000  # one batch of purge-sessions (PURGE_BATCH_SIZE)
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL")
PROFILE = os.environ.get("BENCH_PROFILE") == "1"

# One gunicorn configuration for every app: the machine's 2 cores, sync workers; and the same
# with threads, where the ratio must hold too.
WORKERS = 2
CORES = os.cpu_count()
COMMON_OPTIONS = f"--workers {WORKERS} --timeout 60 --graceful-timeout 5 --no-control-socket"
SYNC = "sync"
GTHREAD = "gthread"
GUNICORN_OPTIONS = {
    SYNC: f"{COMMON_OPTIONS} --worker-class sync --threads 1".split(),
    GTHREAD: f"{COMMON_OPTIONS} --worker-class gthread --threads 4".split(),
}
WRK_THREADS, WRK_CONNECTIONS = 2, 8

# The app's argon2id parameters (app/config.py): m=19456 KiB, t=2, p=1.
ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
PASSWORD = "Bench-Tulip-Orbit-Canyon-71"
VERIFY_PATH = "/api/auth/verify_auth"
LOGIN_PATH = "/api/auth/login"
CSRF_PATH = "/api/auth/csrf"
# The user whose session wrk uses; the same user, by index, in every database.
SESSION_USER = 500

# The only limits a series of logins hits, raised for the bench; every other limit stays as
# deployed. LOGIN_RATE_LIMIT counts per client IP, LOGIN_FAILURE_LIMIT per login string
# before the password check (cleared on success), so concurrent logins of one user cross it.
RAISED = "1000000 per minute"
RAISED_LIMITS = {"LOGIN_RATE_LIMIT": RAISED, "LOGIN_FAILURE_LIMIT": RAISED}

TARGET_THROUGHPUT = 0.5  # ours / bare, at least
TARGET_LOGIN = 1.12  # login latency / one argon2id verification, at most
TARGET_OVERHEAD = 1.0  # (login - verification) / (2 x bare fresh round trip), at most
TARGET_LOGIN_RATE = 0.8  # logins/s over cores / one verification's seconds, at least
TARGET_RSS_MIB = 64  # peak RSS per worker, at most
TARGET_SCALE = 1.2  # latency with 1M users and sessions / with 1k, at most
TARGET_PURGE_RSS = 1.2  # purge's peak RSS over 1M expired / over one batch's worth, at most

USER_ROLE_CODE = 2  # app/users/constants.py: USER
CREATED_ON = datetime(2026, 1, 1, tzinfo=UTC)


def log(message: str) -> None:
    """Progress, on stderr: stdout holds only the table."""
    print(message, file=sys.stderr, flush=True)


def user_name(index: int) -> str:
    return f"bench{index:07d}"


def email(index: int) -> str:
    return f"{user_name(index)}@example.org"
