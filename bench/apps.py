"""The environments of the apps measured (bare, ours, Flask-Security-Too), and their databases
made ready: ours migrated with its own ``manage.py db upgrade`` and seeded, FST's initialised."""

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.seeding import seed_sessions, seed_users
from bench.settings import (
    BENCH,
    PASSWORD,
    RAISED_LIMITS,
    ROOT,
    SESSION_USER,
    email,
    log,
    user_name,
)

# A filler session began this long before the run, and was seen at its start: live for the
# idle timeout (an hour), longer than any run.
LIVE_AGE = timedelta(minutes=10)


def clean_env() -> dict:
    """The environment without anything that would configure an app behind our back."""
    drop = {
        "APP_CONFIG",
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "PUBLIC_URL",
        "MAIL_URL",
        "MAIL_FROM",
        "MFA_KEY",
        "BENCH_DATABASE_URL",
    }
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("FLASK_")}


def ours_env(database_url, redis_url=None) -> dict:
    """Production's configuration, the limiter on, with only the login limits raised."""
    env = {
        **clean_env(),
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        # Every server here listens on loopback: the host its requests name.
        "PUBLIC_URL": "http://127.0.0.1",
        "MAIL_URL": "log://",
        "FLASK_SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
        **{f"FLASK_{key}": value for key, value in RAISED_LIMITS.items()},
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def fst_env() -> dict:
    return {
        **clean_env(),
        "SECRET_KEY": secrets.token_hex(32),
        "FST_PASSWORD_SALT": secrets.token_hex(16),
    }


def prepare_ours(dbs, name, users, sessions, password_hash) -> str:
    """A migrated database ``name`` with ``users`` users and ``sessions`` live filler sessions."""
    url = dbs.create(name)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "db", "upgrade"],
        cwd=ROOT,
        env=ours_env(url),
        check=True,
        capture_output=True,
    )
    seed_users(url, users, password_hash)
    now = datetime.now(UTC)
    seed_sessions(url, sessions, users, now - LIVE_AGE, now)
    log(
        f"  {name}: migrated, seeded {users:,} users and {sessions:,} live sessions "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return url


def prepare_fst(dbs, env) -> dict:
    """FST's database with its one user; ``env`` with its FST_DATABASE_URL."""
    url = dbs.create("fst")
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "fst_app.py"),
            "init",
            email(SESSION_USER),
            user_name(SESSION_USER),
        ],
        env={**env, "FST_DATABASE_URL": url, "FST_INIT_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
    return {**env, "FST_DATABASE_URL": url}


def run_probe(code, database_url, *args) -> object:
    """Run ``code`` in a fresh interpreter with ours' environment on ``database_url`` (what
    a gunicorn worker loads), with ``args`` as its argv; the JSON of its last line."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**ours_env(database_url), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])
