"""The figures: the argon2 floor, paired logins, sequential latencies, medians, paired ratios
and verdicts."""

import multiprocessing
import statistics
import time

from argon2 import PasswordHasher, Type

from bench.client import call, expect
from bench.settings import (
    ARGON2,
    LOGINS,
    PASSWORD,
    ROUND_TRIPS,
    VERIFIES,
    VERIFY_BLOCK,
    VERIFY_PATH,
)


class Floor:
    """One argon2id verification with the app's parameters, timed in this process."""

    def __init__(self):
        self.hasher = PasswordHasher(type=Type.ID, **ARGON2)
        self.stored = self.hasher.hash(PASSWORD)

    def __call__(self) -> float:
        start = time.perf_counter()
        self.hasher.verify(self.stored, PASSWORD)
        return time.perf_counter() - start


def parallel_hash_rate(floor, processes, seconds=3.0) -> float:
    """Verifications per second with ``processes`` processes hashing at once and nothing
    else: the most logins per second the machine's cores (and memory) allow."""
    forked = multiprocessing.get_context("fork")
    done = forked.Value("i", 0)

    def work():
        end, count = time.perf_counter() + seconds, 0
        while time.perf_counter() < end:
            floor.hasher.verify(floor.stored, PASSWORD)
            count += 1
        with done.get_lock():
            done.value += count

    workers = [forked.Process(target=work) for _ in range(processes)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return done.value / (time.perf_counter() - start)


def paired_logins(login, floor) -> dict:
    """Logins, each followed by one floor verification here, so that both see the same machine.

    Returns the median login latency, the median floor, the median of each login's ratio to
    the floor beside it (whatever else runs on the machine slows both halves of a pair), and
    the median of each login's excess over its floor: what the app spends besides the hash.
    """
    logins, floors = [], []
    for _ in range(LOGINS):
        logins.append(login())
        floors.append(floor())
    pairs = list(zip(logins, floors, strict=True))
    return {
        "login": statistics.median(logins),
        "floor": statistics.median(floors),
        "login_ratio": statistics.median(a / b for a, b in pairs),
        "login_excess": statistics.median(a - b for a, b in pairs),
    }


def verify_latency(port, jar) -> float:
    """Sequential verify_auth latency: the lowest median of blocks of VERIFY_BLOCK requests.

    A burst of work elsewhere on the machine spoils a block or two; the least disturbed block
    is the app's own latency.
    """
    medians = []
    for start in range(0, VERIFIES, VERIFY_BLOCK):
        times = []
        for _ in range(min(VERIFY_BLOCK, VERIFIES - start)):
            status, payload, elapsed = call(port, "GET", VERIFY_PATH, jar=jar)
            expect(status, 200, "verify_auth", payload)
            times.append(elapsed)
        medians.append(statistics.median(times))
    return min(medians)


def round_trip(port) -> float:
    """The median round trip of sequential requests, each on a fresh TCP connection."""
    times = []
    for _ in range(ROUND_TRIPS):
        status, payload, elapsed = call(port, "GET", VERIFY_PATH)
        expect(status, 200, "round trip", payload)
        times.append(elapsed)
    return statistics.median(times)


def shape(payload) -> tuple:
    """The body's shape: its keys, the message, and the keys of the user."""
    return (
        tuple(sorted(payload)),
        payload.get("message"),
        tuple(sorted(payload.get("data") or {})),
    )


def warm(port, jar=None, n=20):
    for _ in range(n):
        call(port, "GET", VERIFY_PATH, jar=jar)


def median_of(rows, key):
    return statistics.median(r[key] for r in rows)


def paired(a_rows, b_rows, a_key, b_key=None, scale=1.0):
    """The median over rounds of a[a_key] / (scale * b[b_key]): each round's pair side by side."""
    b_key = b_key or a_key
    return statistics.median(
        a[a_key] / (scale * b[b_key]) for a, b in zip(a_rows, b_rows, strict=True)
    )


def verdict(value, target, at_most):
    ok = value <= target if at_most else value >= target
    return "meets" if ok else "MISSES"
