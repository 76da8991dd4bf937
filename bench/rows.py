"""The table's rows on speed (each figure's median, its paired ratio, its target, the verdict)."""

import statistics

from bench.figures import median_of, paired, verdict
from bench.settings import (
    CORES,
    TARGET_LOGIN,
    TARGET_LOGIN_RATE,
    TARGET_OVERHEAD,
    TARGET_PURGE_RSS,
    TARGET_SCALE,
    TARGET_THROUGHPUT,
    WRK_CONNECTIONS,
)

PG = "PostgreSQL + Redis"


class Rows(list):
    def add(self, figure, value="", ratio="", target="", result=""):
        self.append((figure, value, ratio, target, result))

    def ratio(self, figure, value, ratio, unit, target=None, at_most=True):
        """A row whose ratio is ``ratio`` x ``unit``; with a target, its verdict."""
        shown = f"{ratio:.2f}x {unit}"
        if target is None:
            self.add(figure, value, shown)
        else:
            sign = "<=" if at_most else ">="
            self.add(
                figure, value, shown, f"{sign} {target}x {unit}", verdict(ratio, target, at_most)
            )


def rps(rows):
    return f"{median_of(rows, 'rps'):,.0f} req/s"


def ms(rows, key, digits=1):
    return f"{median_of(rows, key) * 1e3:.{digits}f} ms"


def us(rows):
    return f"{median_of(rows, 'cpu') * 1e6:,.0f} us"


def mib(rows):
    return f"{median_of(rows, 'rss'):.1f} MiB"


def throughput_rows(t, r):
    bare, ours, fst = r["bare"], r["ours-1k"], r["fst"]
    name = "verify_auth throughput"
    t.add(f"{name}: bare Flask", rps(bare))
    t.ratio(f"{name}: Flask-Security-Too", rps(fst), paired(fst, bare, "rps"), "bare")
    t.ratio(
        f"{name}: ours, 1k users",
        rps(ours),
        paired(ours, bare, "rps"),
        "bare",
        TARGET_THROUGHPUT,
        False,
    )
    t.add("", "", f"{paired(ours, fst, 'rps'):.2f}x FST")
    t.ratio(f"{name}: ours, 1M users", rps(r["ours-1m"]), paired(r["ours-1m"], bare, "rps"), "bare")
    t.add(f"{name}, gthread x4: bare Flask", rps(r["bare-gthread"]))
    ratio = paired(r["ours-gthread"], r["bare-gthread"], "rps")
    t.ratio(
        f"{name}, gthread x4: ours", rps(r["ours-gthread"]), ratio, "bare", TARGET_THROUGHPUT, False
    )
    t.ratio(f"{name}: ours, {PG}", rps(r["ours-pg"]), paired(r["ours-pg"], bare, "rps"), "bare")
    for figure, key, base in (
        ("bare Flask", "bare", None),
        ("FST", "fst", "bare"),
        ("ours, 1k", "ours-1k", "bare"),
        ("bare, gthread", "bare-gthread", None),
        ("ours, gthread", "ours-gthread", "bare-gthread"),
        ("ours, PG + Redis", "ours-pg", "bare"),
    ):
        ratio = f"{paired(r[base], r[key], 'cpu'):.2f}x bare*" if base else ""
        t.add(f"verify_auth worker CPU per request: {figure}", us(r[key]), ratio)


def login_rows(t, r, engine):
    bare, ours, large, pg = r["bare"], r["ours-1k"], r["ours-1m"], r["ours-pg"]
    floors = [x["floor"] for key in ("ours-1k", "fst", "ours-1m", "ours-pg") for x in r[key]]
    t.add(
        "argon2id verify, m=19456 KiB t=2 p=1 (floor)", f"{statistics.median(floors) * 1e3:.1f} ms"
    )
    ratio = median_of(ours, "login_ratio")
    t.ratio("login latency: ours, 1k users", ms(ours, "login"), ratio, "floor", TARGET_LOGIN)
    t.add("bare Flask round trip, fresh connection", ms(bare, "rtt", 2))
    ratio = paired(ours, bare, "login_excess", "rtt", scale=2)
    t.ratio(
        "login - floor: ours, 1k users",
        ms(ours, "login_excess", 2),
        ratio,
        "2 RTT",
        TARGET_OVERHEAD,
        TARGET_PURGE_RSS,
    )
    t.ratio(
        "login latency: Flask-Security-Too",
        ms(r["fst"], "login"),
        median_of(r["fst"], "login_ratio"),
        "floor",
    )
    t.ratio(f"login latency: ours, {PG}", ms(pg, "login"), median_of(pg, "login_ratio"), "floor")
    # Each side relative to its own floor: a change in the machine's load between the two
    # turns does not pass for an effect of the tables' size.
    ratio = paired(large, ours, "login_ratio")
    t.ratio("login latency: ours, 1M users", ms(large, "login"), ratio, "1k", TARGET_SCALE)
    hashes = r["hashes"]
    ceiling = statistics.median(x["hash_rate"] * x["floor"] / CORES for x in hashes)
    t.ratio(
        f"argon2id alone, {CORES} processes at once (no server)",
        f"{median_of(hashes, 'hash_rate'):,.1f} verifications/s",
        ceiling,
        "cores/floor",
    )
    for figure, rows in ((engine, ours), (PG, pg)):
        # Each round's logins per second over what the cores could hash in its own floor's time.
        ratio = statistics.median(x["logins_per_s"] * x["floor"] / CORES for x in rows)
        rate = f"{median_of(rows, 'logins_per_s'):,.1f} logins/s"
        t.ratio(
            f"login throughput, wrk -c{WRK_CONNECTIONS}: ours, {figure}",
            rate,
            ratio,
            "cores/floor",
            TARGET_LOGIN_RATE,
            False,
        )
        bad, total = sum(x["non_2xx"] for x in rows), sum(x["logins"] for x in rows)
        t.add("  answers not 2xx", f"{bad} of {total:,}", "", "0", verdict(bad, 0, True))


def after_hash_rows(t, timings):
    """A login's reads, warm and right after a hash: what the hash's cache sweep costs them."""
    warm, cold = timings["warm"], timings["after_hash"]
    t.add("a login's reads (user, second factors): warm", f"{warm * 1e3:.2f} ms")
    t.ratio("  the same, right after a hash", f"{cold * 1e3:.2f} ms", cold / warm, "warm")
