"""The table's rows on size: growth to a million users and sessions, the purge, memory."""

from bench.figures import median_of, paired, verdict
from bench.rows import PG, mib, ms
from bench.settings import TARGET_PURGE_RSS, TARGET_RSS_MIB, TARGET_SCALE


def growth_rows(t, r, purge):
    ours, large = r["ours-1k"], r["ours-1m"]
    t.add("verify_auth latency: Flask-Security-Too", ms(r["fst"], "verify", 2))
    t.add("verify_auth latency: ours, 1k users, 1k sessions", ms(ours, "verify", 2))
    ratio = paired(large, ours, "verify")
    t.ratio(
        "verify_auth latency: ours, 1M users, 1M sessions",
        ms(large, "verify", 2),
        ratio,
        "1k",
        TARGET_SCALE,
    )
    t.add(f"verify_auth latency: ours, {PG}", ms(r["ours-pg"], "verify", 2))
    few, many = purge["few"], purge["many"]
    for figures in (few, many):
        t.add(
            f"purge-sessions, {figures['expired']:,} expired: wall time, peak RSS",
            f"{figures['seconds']:.1f} s, {figures['rss']:.1f} MiB",
        )
    t.ratio(
        f"purge-sessions peak RSS, {many['expired']:,} over {few['expired']:,} expired",
        f"{many['rss']:.1f} MiB",
        many["rss"] / few["rss"],
        f"{few['expired']:,}",
        TARGET_PURGE_RSS,
    )


def memory_rows(t, r):
    bare, ours = r["bare"], r["ours-1k"]
    t.add("peak RSS per worker: bare Flask", mib(bare))
    t.ratio(
        "peak RSS per worker: Flask-Security-Too",
        mib(r["fst"]),
        paired(r["fst"], bare, "rss"),
        "bare",
    )
    rss = median_of(ours, "rss")
    t.add(
        "peak RSS per worker: ours, 1k users",
        mib(ours),
        f"{paired(ours, bare, 'rss'):.2f}x bare",
        f"<= {TARGET_RSS_MIB} MiB",
        verdict(rss, TARGET_RSS_MIB, True),
    )
    for figure, key in (
        ("ours, 1M users", "ours-1m"),
        ("bare, gthread", "bare-gthread"),
        ("ours, gthread", "ours-gthread"),
        ("ours, PG + Redis", "ours-pg"),
    ):
        t.ratio(f"peak RSS per worker: {figure}", mib(r[key]), paired(r[key], bare, "rss"), "bare")


def footprint_rows(t, layers):
    """What each layer of a worker adds to its resident memory, measured on its own."""
    for layer, added in layers:
        t.add(f"  of which {layer}", f"+{added:.1f} MiB")
