"""The turns: one server each (bare, ours, Flask-Security-Too), started, measured, stopped;
and the hash alone, with no server."""

from bench.apps import clean_env, ours_env
from bench.client import Jar, call, csrf_token, expect, fst_login, ours_login
from bench.figures import (
    paired_logins,
    parallel_hash_rate,
    round_trip,
    shape,
    verify_latency,
    warm,
)
from bench.load import login_rate, throughput
from bench.servers import Server
from bench.settings import BENCH, CORES, ROOT, SESSION_USER, SYNC, VERIFY_PATH, email


def turn_hashes(floor):
    """No server: one verification's time, and how many the cores do at once per second."""
    return {"floor": floor(), "hash_rate": parallel_hash_rate(floor, CORES)}


def turn_bare(logdir, worker_class=SYNC):
    """Throughput and memory of bare Flask; under sync, its fresh-connection round trip too."""
    with Server(
        f"bare-{worker_class}", "bare_app:app", BENCH, clean_env(), logdir, worker_class
    ) as srv:
        status, payload, _ = call(srv.port, "GET", VERIFY_PATH)
        expect(status, 200, "bare verify_auth", payload)
        warm(srv.port)
        figures = {"shape": shape(payload)}
        if worker_class == SYNC:
            figures["rtt"] = round_trip(srv.port)
        return {**figures, **throughput(srv), "rss": srv.peak_rss_mib()}


def turn_ours(logdir, name, url, users, rng, floor, worker_class=SYNC, redis_url=None, **what):
    """Ours on ``url`` (and ``redis_url``): see ``measure`` for ``what``."""
    env = ours_env(url, redis_url)
    with Server(f"ours-{name}", "app:create_app()", ROOT, env, logdir, worker_class) as srv:
        return measure(
            srv,
            lambda: ours_login(srv.port, SESSION_USER)[0],
            lambda: ours_login(srv.port, rng.randint(1, users))[1],
            floor,
            users=users,
            **what,
        )


def turn_fst(logdir, env, floor):
    with Server("fst", "fst_app:create_app()", BENCH, env, logdir) as srv:

        def login():
            return fst_login(srv.port, email(SESSION_USER))

        return measure(srv, lambda: login()[0], lambda: login()[1], floor)


def measure(srv, session_login, timed_login, floor, users=0, latency=True, login_load=False):
    """A turn's figures for an app with logins; ``session_login()`` gives wrk's session jar.

    ``latency``: sequential verify_auth latency and paired logins; then wrk on verify_auth;
    ``login_load``: then wrk's logins as the ``users`` seeded users; last, peak memory.
    """
    jar = session_login()
    status, payload, _ = call(srv.port, "GET", VERIFY_PATH, jar=jar)
    expect(status, 200, "verify_auth", payload)
    warm(srv.port, jar)
    figures = {"shape": shape(payload)}
    if latency:
        figures["verify"] = verify_latency(srv.port, jar)
        figures.update(paired_logins(timed_login, floor))
    figures.update(throughput(srv, jar.cookie()))
    if login_load:
        anonymous = Jar()
        token = csrf_token(srv.port, anonymous)
        figures.update(login_rate(srv, anonymous.cookie(), token, users))
    figures["rss"] = srv.peak_rss_mib()
    return figures
