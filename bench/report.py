"""The report: the run's settings, the table on stdout, and one line per turn for the log."""

from bench.rows import Rows, after_hash_rows, login_rows, throughput_rows
from bench.settings import (
    CORES,
    DURATION,
    LOGINS,
    RAISED_LIMITS,
    ROUNDS,
    VERIFIES,
    WORKERS,
    WRK_CONNECTIONS,
    WRK_THREADS,
)
from bench.size_rows import footprint_rows, growth_rows, memory_rows

HEADER = ("figure", "median", "ratio", "target", "result")


def print_table(rows):
    widths = [max(len(str(r[i])) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    rule = "+".join("-" * (w + 2) for w in widths)
    print(rule)
    for i, r in enumerate([HEADER, *rows]):
        print("|".join(f" {c!s:<{w}} " for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            print(rule)
    print(rule)


def all_rows(results, purge, probes, engine) -> Rows:
    t = Rows()
    throughput_rows(t, results)
    login_rows(t, results, engine)
    after_hash_rows(t, probes["after_hash"])
    growth_rows(t, results, purge)
    memory_rows(t, results)
    footprint_rows(t, probes["footprint"])
    return t


def report(results, purge, probes, engine, load_before, load_after):
    rows = all_rows(results, purge, probes, engine)
    raised = ", ".join(f"{key}={value!r}" for key, value in RAISED_LIMITS.items())
    print(
        f"\n{ROUNDS} rounds (medians; ratios are medians of each round's pair); {engine} unless "
        f"named; gunicorn sync, {WORKERS} workers x 1 thread unless named; wrk -t{WRK_THREADS} "
        f"-c{WRK_CONNECTIONS} -d{DURATION}s; {LOGINS} logins, {VERIFIES} verify_auth per turn"
    )
    print(
        f"ours: APP_CONFIG=production, rate limiter on; raised for the bench only: {raised} "
        "(every other limit as deployed)"
    )
    print(
        f"{CORES} CPUs; load average (1 min) {load_before:.2f} before, {load_after:.2f} after: "
        "anything above 0 means other processes shared the CPUs"
    )
    print_table(rows)
    print(
        "* CPU ratios are bare's CPU per request over the app's: the throughput ratio that an "
        "otherwise idle machine would show, less disturbed by other processes than req/s."
    )


def describe(r) -> str:
    """One turn's figures, for the progress log."""
    if "hash_rate" in r:
        return f"floor {r['floor'] * 1e3:.2f} ms, {r['hash_rate']:.1f} verifications/s at once"
    parts = [f"{r['rps']:,.0f} req/s", f"{r['cpu'] * 1e6:,.0f} us CPU/request"]
    if "rtt" in r:
        parts.append(f"fresh round trip {r['rtt'] * 1e3:.2f} ms")
    if "login" in r:
        floor = f"{r['login_ratio']:.2f}x floor {r['floor'] * 1e3:.2f} ms"
        parts.append(f"login {r['login'] * 1e3:.2f} ms ({floor})")
        parts.append(f"verify_auth {r['verify'] * 1e3:.2f} ms")
    if "logins_per_s" in r:
        parts.append(
            f"{r['logins_per_s']:.1f} logins/s ({r['non_2xx']} not 2xx, "
            f"{r['login_cpu'] * 1e3:.1f} ms worker CPU each)"
        )
    parts.append(f"peak RSS {r['rss']:.1f} MiB")
    return ", ".join(parts)
