"""Prepare the databases, run rounds of turns, purge expired sessions, print the table."""

import random
import shutil
import signal
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.after_hash import after_hash
from bench.apps import fst_env, prepare_fst, prepare_ours
from bench.databases import Databases, postgres_and_redis
from bench.figures import Floor
from bench.footprint import footprint
from bench.purge import purge_sessions
from bench.report import describe, report
from bench.seeding import FEW_EXPIRED, precomputed_hash
from bench.servers import stop_all
from bench.settings import (
    DATABASE_URL,
    EXPIRED_SESSIONS,
    FEW_EXPIRED_SESSIONS,
    GTHREAD,
    LARGE_SESSIONS,
    LARGE_USERS,
    PROFILE,
    ROOT,
    ROUNDS,
    SMALL_SESSIONS,
    SMALL_USERS,
    log,
)
from bench.turns import turn_bare, turn_fst, turn_hashes, turn_ours


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def check_shapes(results):
    shapes = {turn: rows[0]["shape"] for turn, rows in results.items() if "shape" in rows[0]}
    if len(set(shapes.values())) != 1:
        raise RuntimeError(f"verify_auth bodies differ in shape: {shapes}")


def run(tmp, stack):
    load_before = load_average()
    logdir = Path(tmp) / "logs"
    logdir.mkdir()
    dbs = Databases(tmp, DATABASE_URL)
    stack.callback(dbs.drop_all)
    log(f"Preparing databases ({dbs.engine}) in {tmp}; measuring the app in {ROOT}")
    password_hash = precomputed_hash()
    small = prepare_ours(dbs, "users_1k", SMALL_USERS, SMALL_SESSIONS, password_hash)
    large = prepare_ours(dbs, "users_1m", LARGE_USERS, LARGE_SESSIONS, password_hash)
    fst = prepare_fst(dbs, fst_env())
    log("Preparing PostgreSQL + Redis")
    pg_dbs, redis_url = stack.enter_context(postgres_and_redis(tmp))
    pg = prepare_ours(pg_dbs, "pg_1k", SMALL_USERS, SMALL_SESSIONS, password_hash)
    # Unwound first: no server outlives the databases and services it uses.
    stack.callback(stop_all)

    # Which users log in: reproducible, and no secret depends on it.
    rng = random.Random(2026)  # noqa: S311
    floor = Floor()
    turns = {
        "hashes": lambda: turn_hashes(floor),
        "bare": lambda: turn_bare(logdir),
        "ours-1k": lambda: turn_ours(logdir, "1k", small, SMALL_USERS, rng, floor, login_load=True),
        "fst": lambda: turn_fst(logdir, fst, floor),
        "ours-1m": lambda: turn_ours(logdir, "1m", large, LARGE_USERS, rng, floor),
        "bare-gthread": lambda: turn_bare(logdir, GTHREAD),
        "ours-gthread": lambda: turn_ours(
            logdir, "gthread", small, SMALL_USERS, rng, floor, GTHREAD, latency=False
        ),
        "ours-pg": lambda: turn_ours(
            logdir, "pg", pg, SMALL_USERS, rng, floor, redis_url=redis_url, login_load=True
        ),
    }
    results = {name: [] for name in turns}
    for round_no in range(1, ROUNDS + 1):
        log(f"round {round_no}/{ROUNDS}")
        for name, turn in turns.items():
            r = turn()
            results[name].append(r)
            log(f"  {name}: {describe(r)}")
    check_shapes(results)
    log("purge-sessions")
    purge = {
        "few": purge_sessions(large, LARGE_USERS, logdir, FEW_EXPIRED_SESSIONS, FEW_EXPIRED),
        "many": purge_sessions(large, LARGE_USERS, logdir, EXPIRED_SESSIONS),
    }
    for figures in purge.values():
        log(f"  {figures['seconds']:.1f} s, peak RSS {figures['rss']:.1f} MiB")
    probes = {"footprint": footprint(small), "after_hash": after_hash(small)}
    report(results, purge, probes, dbs.engine, load_before, load_average())
    if PROFILE:
        from bench.profiles import profile_ours

        profile_ours(logdir, small, tmp)


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `bash bench/run.sh`, which installs it.")
    tmp = tempfile.mkdtemp(prefix="auth-bench-")
    previous_term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        # Unwound last in, first out: servers, then PostgreSQL and Redis, then the databases.
        with ExitStack() as stack:
            run(tmp, stack)
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
