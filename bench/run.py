"""Benchmark the app against a bare Flask app and a minimal Flask-Security-Too app.

Run it through ``bash bench/run.sh``, which prepares bench/.venv and wrk first. Every server runs
under the same gunicorn settings, on a free loopback port, one at a time, in turns (bare, ours on
1k users, Flask-Security-Too, ours on 1M users), for several rounds; the table shows medians.

Environment (all optional):
    BENCH_DATABASE_URL   postgresql://user@host:port/db: put our databases (and FST's) on that
                         server, in throwaway databases created beside that one, instead of SQLite
    BENCH_ROUNDS         rounds of turns (3)
    BENCH_DURATION       seconds of each wrk run (5)
    BENCH_LOGINS         sequential logins per turn (30)
    BENCH_VERIFIES       sequential verify_auth requests per turn (300)
    BENCH_LARGE_USERS    users in the large database (1000000)
    BENCH_APP_DIR        the checkout whose app is measured as "ours" (this repository); point it
                         at a copy to compare a change before and after
    BENCH_PROFILE=1      afterwards, profile ours with py-spy (both workers) under wrk on
                         verify_auth and during sequential logins, and print the hot functions
"""

import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from argon2 import PasswordHasher, Type

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from devtools.processes import HOST, free_port
from devtools.processes import Server as ProcessServer

BENCH = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("BENCH_APP_DIR") or BENCH.parent).resolve()
BIN = Path(sys.executable).parent

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DURATION = int(os.environ.get("BENCH_DURATION", "5"))
LOGINS = int(os.environ.get("BENCH_LOGINS", "30"))
VERIFIES = int(os.environ.get("BENCH_VERIFIES", "300"))
VERIFY_BLOCK = 50
SMALL_USERS = 1_000
LARGE_USERS = int(os.environ.get("BENCH_LARGE_USERS", "1000000"))
PROFILE = os.environ.get("BENCH_PROFILE") == "1"

# One gunicorn configuration for every app: the machine's 2 cores, sync workers.
WORKERS = 2
GUNICORN_OPTIONS = (
    f"--workers {WORKERS} --threads 1 --worker-class sync --timeout 60 --graceful-timeout 5 "
    "--no-control-socket"
).split()
WRK_THREADS, WRK_CONNECTIONS = 2, 8

# The app's argon2id parameters (app/config.py): m=19456 KiB, t=2, p=1.
ARGON2 = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}
PASSWORD = "Bench-Tulip-Orbit-Canyon-71"
VERIFY_PATH = "/api/auth/verify_auth"
# The user whose session wrk uses; the same user, by index, in both databases.
SESSION_USER = 500

TARGET_THROUGHPUT = 0.5  # ours / bare, at least
TARGET_LOGIN = 1.1  # login latency / one argon2id verification, at most
TARGET_SCALE = 1.2  # latency with 1M users / with 1k users, at most

USER_COLUMNS = (
    "first_name",
    "last_name",
    "user_name",
    "email",
    "user_name_key",
    "email_key",
    "created_on",
    "role_code",
    "password",
    "last_login_at",
    "last_login_ip",
    "login_count",
)
SEED_CHUNK = 50_000
USER_ROLE_CODE = 2  # app/users/constants.py: USER
CREATED_ON = datetime(2026, 1, 1, tzinfo=UTC)
# How SQLAlchemy stores a DateTime on SQLite.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def user_name(index: int) -> str:
    return f"bench{index:07d}"


def email(index: int) -> str:
    return f"{user_name(index)}@example.org"


# --------------------------------------------------------------------------- HTTP client


class Jar(dict):
    """A cookie jar for one host: name -> value."""

    def header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.items())} if self else {}

    def update_from(self, response) -> None:
        for line in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                if morsel.value and "1970" not in (morsel["expires"] or ""):
                    self[name] = morsel.value
                else:
                    self.pop(name, None)


def call(port, method, path, body=None, headers=None, jar=None):
    """One request on a fresh connection; returns (status, JSON body, seconds)."""
    headers = dict(headers or {})
    if jar is not None:
        headers.update(jar.header())
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    headers.setdefault("Accept", "application/json")
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        start = time.perf_counter()
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    if jar is not None:
        jar.update_from(response)
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw[:200]
    return response.status, payload, elapsed


def expect(status, wanted, what, payload):
    if status != wanted:
        raise RuntimeError(f"{what}: HTTP {status}, expected {wanted}: {payload!r}")


# --------------------------------------------------------------------------- servers


class Server(ProcessServer):
    """One gunicorn, started on a free loopback port and always stopped; ready once all its
    workers run and it answers."""

    running: ClassVar[list["Server"]] = []

    def __init__(self, name, app, chdir, env, logdir):
        port = free_port()
        command = [str(BIN / "gunicorn"), *GUNICORN_OPTIONS, "--bind", f"{HOST}:{port}"]
        command += ["--chdir", str(chdir), app]
        super().__init__(command, port, env, Path(logdir) / f"{name}.log", cwd=chdir, timeout=60)
        self.name = name

    def __enter__(self):
        Server.running.append(self)
        return super().__enter__()

    def ready(self) -> bool:
        return len(self.workers()) == WORKERS and super().ready()

    def tail(self) -> str:
        return "\n".join(self.log().splitlines()[-30:])

    def workers(self) -> list[int]:
        return self.children()

    def cpu_seconds(self) -> float:
        """User and system CPU time of the workers so far."""
        ticks = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(self) -> float:
        """The largest VmHWM (peak resident set) among the workers, in MiB."""
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024)
        if len(peaks) != WORKERS:
            raise RuntimeError(f"{self.name}: expected {WORKERS} workers, found {len(peaks)}")
        return max(peaks)

    def stop(self):
        super().stop()
        if self in Server.running:
            Server.running.remove(self)


def stop_all():
    for server in list(Server.running):
        server.stop()


# --------------------------------------------------------------------------- measurements


def wrk(port, cookie_header=None) -> tuple[float, int]:
    """Requests per second for verify_auth under wrk, and how many; every answer a 200."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{DURATION}s"]
    if cookie_header:
        command += ["-H", f"Cookie: {cookie_header}"]
    command.append(f"http://{HOST}:{port}{VERIFY_PATH}")
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise RuntimeError(f"wrk saw {bad.group(1)} non-2xx answers:\n{out}")
    errors = re.search(r"Socket errors: (.*)", out)
    if errors and re.search(r"(timeout|read|write|connect) [1-9]", errors.group(1)):
        log(f"  wrk socket errors: {errors.group(1)}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rps, int(re.search(r"(\d+) requests in", out).group(1))


def throughput(srv, cookie_header=None) -> dict:
    """wrk's requests per second, and the CPU time the workers spent on each request."""
    before = srv.cpu_seconds()
    rps, count = wrk(srv.port, cookie_header)
    return {"rps": rps, "cpu": (srv.cpu_seconds() - before) / count}


class Floor:
    """One argon2id verification with the app's parameters, timed in this process."""

    def __init__(self):
        self.hasher = PasswordHasher(type=Type.ID, **ARGON2)
        self.stored = self.hasher.hash(PASSWORD)

    def __call__(self) -> float:
        start = time.perf_counter()
        self.hasher.verify(self.stored, PASSWORD)
        return time.perf_counter() - start


def paired_logins(login, floor) -> dict:
    """Logins, each followed by one floor verification here, so that both see the same machine.

    Returns the median login latency, the median floor, and the median of each login's ratio
    to the floor beside it: whatever else runs on the machine slows both halves of a pair.
    """
    logins, floors = [], []
    for _ in range(LOGINS):
        logins.append(login())
        floors.append(floor())
    return {
        "login": statistics.median(logins),
        "floor": statistics.median(floors),
        "login_ratio": statistics.median(a / b for a, b in zip(logins, floors, strict=True)),
    }


def ours_login(port, index, jar=None):
    """Log in as user ``index`` on a fresh jar; returns (jar, seconds of the login POST)."""
    jar = Jar() if jar is None else jar
    status, payload, _ = call(port, "GET", "/api/auth/csrf", jar=jar)
    expect(status, 200, "csrf", payload)
    status, payload, elapsed = call(
        port,
        "POST",
        "/api/auth/login",
        body={"login": user_name(index), "password": PASSWORD},
        headers={"X-CSRFToken": payload["csrf_token"]},
        jar=jar,
    )
    expect(status, 200, "login", payload)
    return jar, elapsed


def fst_login(port, address):
    jar = Jar()
    status, payload, elapsed = call(
        port, "POST", "/login", body={"email": address, "password": PASSWORD}, jar=jar
    )
    expect(status, 200, "FST login", payload)
    return jar, elapsed


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


# --------------------------------------------------------------------------- databases


def precomputed_hash() -> str:
    return PasswordHasher(type=Type.ID, **ARGON2).hash(PASSWORD)


def user_rows(start, stop, password_hash, created):
    for i in range(start, stop):
        name = user_name(i)
        address = email(i)
        # Keys are the casefolded forms; these names and addresses are lower case already.
        yield (
            "Bench",
            f"User{i}",
            name,
            address,
            name,
            address,
            created,
            USER_ROLE_CODE,
            password_hash,
            None,
            None,
            0,
        )


def chunks(rows, size=SEED_CHUNK):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed_sqlite(path, count, password_hash):
    created = CREATED_ON.strftime(SQLITE_DATETIME)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        # Built from the constant column list only; the values go as parameters.
        sql = 'INSERT INTO "user" ({}) VALUES ({})'.format(  # noqa: S608
            ", ".join(USER_COLUMNS), ", ".join("?" * len(USER_COLUMNS))
        )
        for chunk in chunks(user_rows(1, count + 1, password_hash, created)):
            conn.executemany(sql, chunk)
            conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def seed_postgres(url, count, password_hash):
    import psycopg

    copy = 'COPY "user" ({}) FROM STDIN'.format(", ".join(USER_COLUMNS))
    with psycopg.connect(url) as conn:
        for chunk in chunks(user_rows(1, count + 1, password_hash, CREATED_ON)):
            with conn.cursor() as cur, cur.copy(copy) as out:
                for row in chunk:
                    out.write_row(row)
            conn.commit()
        conn.execute('ANALYZE "user"')


class Databases:
    """Our two databases (1k and 1M users) and FST's, on SQLite or a PostgreSQL server."""

    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.server_url = os.environ.get("BENCH_DATABASE_URL")
        self.created = []

    @property
    def engine(self):
        return "PostgreSQL" if self.server_url else "SQLite"

    def url(self, name) -> str:
        if not self.server_url:
            return f"sqlite:///{self.tmp / (name + '.db')}"
        parts = urlsplit(self.server_url)
        return urlunsplit(parts._replace(path=f"/{self._pg_name(name)}"))

    def _pg_name(self, name):
        base = urlsplit(self.server_url).path.lstrip("/") or "postgres"
        return f"{base}_{name}_{os.getpid()}"

    def create(self, name) -> str:
        if self.server_url:
            import psycopg
            from psycopg import sql

            with psycopg.connect(self.server_url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self._pg_name(name)))
                )
            self.created.append(name)
        return self.url(name)

    def seed(self, name, count, password_hash):
        if self.server_url:
            seed_postgres(self.url(name), count, password_hash)
        else:
            seed_sqlite(self.tmp / f"{name}.db", count, password_hash)

    def drop_all(self):
        if not self.created:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self._pg_name(name))
                    )
                )
        self.created = []


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
        "BENCH_DATABASE_URL",
    }
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("FLASK_")}


def ours_env(database_url) -> dict:
    return {
        **clean_env(),
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        # Every server here listens on loopback: the host its requests name.
        "PUBLIC_URL": "http://127.0.0.1",
        "MAIL_URL": "log://",
        "FLASK_SESSION_COOKIE_SECURE": "false",  # plain HTTP on loopback
        "FLASK_RATELIMIT_ENABLED": "false",
    }


def prepare_ours(dbs, name, count, password_hash):
    url = dbs.create(name)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "db", "upgrade"],
        cwd=ROOT,
        env=ours_env(url),
        check=True,
        capture_output=True,
    )
    dbs.seed(name, count, password_hash)
    log(f"  {name}: migrated and seeded {count:,} users in {time.perf_counter() - started:.1f} s")
    return url


def prepare_fst(dbs, env):
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
    return url


# --------------------------------------------------------------------------- turns


def turn_bare(logdir):
    with Server("bare", "bare_app:app", BENCH, clean_env(), logdir) as srv:
        status, payload, _ = call(srv.port, "GET", VERIFY_PATH)
        expect(status, 200, "bare verify_auth", payload)
        warm(srv.port)
        return {**throughput(srv), "rss": srv.peak_rss_mib(), "shape": shape(payload)}


def measure_sessions(srv, session_login, timed_login, what, floor) -> dict:
    """A turn's figures for an app with logins: ``session_login()`` gives wrk's session."""
    jar, _ = session_login()
    status, payload, _ = call(srv.port, "GET", VERIFY_PATH, jar=jar)
    expect(status, 200, what, payload)
    warm(srv.port, jar)
    verify = verify_latency(srv.port, jar)
    logins = paired_logins(lambda: timed_login()[1], floor)
    load = throughput(srv, jar.header()["Cookie"])
    return {
        **load,
        "verify": verify,
        **logins,
        "rss": srv.peak_rss_mib(),
        "shape": shape(payload),
    }


def turn_ours(logdir, name, url, users, rng, floor):
    with Server(f"ours-{name}", "app:create_app()", ROOT, ours_env(url), logdir) as srv:
        return measure_sessions(
            srv,
            lambda: ours_login(srv.port, SESSION_USER),
            lambda: ours_login(srv.port, rng.randint(1, users)),
            "verify_auth",
            floor,
        )


def turn_fst(logdir, env, floor):
    with Server("fst", "fst_app:create_app()", BENCH, env, logdir) as srv:

        def login():
            return fst_login(srv.port, email(SESSION_USER))

        return measure_sessions(srv, login, login, "FST verify_auth", floor)


def profile_ours(logdir, url, tmp):
    """py-spy on both workers of ours: under wrk on verify_auth, then during logins."""
    with Server("ours-profile", "app:create_app()", ROOT, ours_env(url), logdir) as srv:
        jar, _ = ours_login(srv.port, SESSION_USER)
        warm(srv.port, jar)
        raw = spy(srv, Path(tmp) / "verify", lambda: wrk(srv.port, jar.header()["Cookie"]))
        print_profile(raw, "ours under wrk on verify_auth")
        raw = spy(
            srv, Path(tmp) / "login", lambda: [ours_login(srv.port, i) for i in range(1, 101)]
        )
        print_profile(raw, "ours during 100 sequential logins (each with its GET /csrf)")


def spy(srv, prefix, load) -> list[Path]:
    outputs, spies = [], []
    for i, pid in enumerate(srv.workers()):
        outputs.append(Path(f"{prefix}.{i}.txt"))
        spies.append(
            subprocess.Popen(
                [
                    str(BIN / "py-spy"),
                    "record",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--rate",
                    "500",
                    "--pid",
                    str(pid),
                    "--output",
                    str(outputs[-1]),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    time.sleep(1)  # py-spy attaches
    try:
        load()
    finally:
        for process in spies:
            process.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        for process in spies:
            process.wait(timeout=60)
    return [path for path in outputs if path.exists()]


def print_profile(raws: list[Path], title: str, top=16):
    """Inclusive and self shares per function, of the samples in which a worker was busy."""
    inclusive, own, total = {}, {}, 0
    for raw in raws:
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [
                re.sub(r":\d+\)$", ")", re.sub(r" \(\S*?(site-packages|python3\.\d+)/", " (", f))
                for f in stack.split(";")
            ]
            if not any(f.startswith("Flask.__call__ ") for f in frames):
                continue  # gunicorn between requests: accept, parse, write, close
            count = int(count)
            total += count
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + count
            own[frames[-1]] = own.get(frames[-1], 0) + count
    if not total:
        print(f"\npy-spy, {title}: no samples")
        return
    print(f"\npy-spy, {title}: {total} samples inside Flask.__call__ = 100%")
    print("  incl.   self  function")
    ranked = [kv for kv in sorted(inclusive.items(), key=lambda kv: -kv[1]) if kv[1] < total]
    for frame, count in ranked[:top]:
        print(f"{100 * count / total:6.1f}% {100 * own.get(frame, 0) / total:5.1f}%  {frame}")
    print("  the app's own functions:")
    for frame, count in [kv for kv in ranked if " (app/" in kv[0]][:12]:
        print(f"{100 * count / total:6.1f}% {100 * own.get(frame, 0) / total:5.1f}%  {frame}")


# --------------------------------------------------------------------------- report


def verdict(value, target, at_most):
    ok = value <= target if at_most else value >= target
    return "met" if ok else "MISSED"


def median_of(rows, key):
    return statistics.median(r[key] for r in rows)


def paired(a_rows, b_rows, a_key, b_key=None):
    """The median over rounds of a[a_key] / b[b_key]: each round's figures side by side."""
    b_key = b_key or a_key
    return statistics.median(a[a_key] / b[b_key] for a, b in zip(a_rows, b_rows, strict=True))


def report(results, engine, load_before, load_after):
    bare, ours, fst, large = (results[k] for k in ("bare", "ours-1k", "fst", "ours-1m"))
    rows = []

    def row(figure, value="", ratio="", target="", result=""):
        rows.append((figure, value, ratio, target, result))

    def rps(rows_):
        return f"{median_of(rows_, 'rps'):,.0f} req/s"

    def ms(rows_, key, digits=1):
        return f"{median_of(rows_, key) * 1e3:.{digits}f} ms"

    def us(rows_):
        return f"{median_of(rows_, 'cpu') * 1e6:,.0f} us"

    def mib(rows_):
        return f"{median_of(rows_, 'rss'):.1f} MiB"

    through = paired(ours, bare, "rps")
    row("verify_auth throughput: bare Flask", rps(bare))
    row(
        "verify_auth throughput: Flask-Security-Too",
        rps(fst),
        f"{paired(fst, bare, 'rps'):.2f}x bare",
    )
    row(
        "verify_auth throughput: ours, 1k users",
        rps(ours),
        f"{through:.2f}x bare",
        f">= {TARGET_THROUGHPUT}x bare",
        verdict(through, TARGET_THROUGHPUT, at_most=False),
    )
    row("", "", f"{paired(ours, fst, 'rps'):.2f}x FST")
    row(
        "verify_auth throughput: ours, 1M users",
        rps(large),
        f"{paired(large, bare, 'rps'):.2f}x bare",
    )
    row("verify_auth worker CPU per request: bare Flask", us(bare))
    row(
        "verify_auth worker CPU per request: FST", us(fst), f"{paired(bare, fst, 'cpu'):.2f}x bare*"
    )
    row(
        "verify_auth worker CPU per request: ours, 1k",
        us(ours),
        f"{paired(bare, ours, 'cpu'):.2f}x bare*",
    )
    floor = statistics.median(r["floor"] for r in ours + fst + large)
    row("argon2id verify, m=19456 KiB t=2 p=1 (floor)", f"{floor * 1e3:.1f} ms")
    login = median_of(ours, "login_ratio")
    row(
        "login latency: ours, 1k users",
        ms(ours, "login"),
        f"{login:.2f}x floor",
        f"<= {TARGET_LOGIN}x floor",
        verdict(login, TARGET_LOGIN, at_most=True),
    )
    row(
        "login latency: Flask-Security-Too",
        ms(fst, "login"),
        f"{median_of(fst, 'login_ratio'):.2f}x floor",
    )
    # Each side is taken relative to its own floor, so that a change in the machine's load
    # between the two turns does not pass for an effect of the table's size.
    scale_login = paired(large, ours, "login_ratio")
    row(
        "login latency: ours, 1M users",
        ms(large, "login"),
        f"{scale_login:.2f}x 1k",
        f"<= {TARGET_SCALE}x 1k",
        verdict(scale_login, TARGET_SCALE, at_most=True),
    )
    row("verify_auth latency: Flask-Security-Too", ms(fst, "verify", 2))
    row("verify_auth latency: ours, 1k users", ms(ours, "verify", 2))
    scale_verify = paired(large, ours, "verify")
    row(
        "verify_auth latency: ours, 1M users",
        ms(large, "verify", 2),
        f"{scale_verify:.2f}x 1k",
        f"<= {TARGET_SCALE}x 1k",
        verdict(scale_verify, TARGET_SCALE, at_most=True),
    )
    row("peak RSS per worker: bare Flask", mib(bare))
    row(
        "peak RSS per worker: Flask-Security-Too", mib(fst), f"{paired(fst, bare, 'rss'):.2f}x bare"
    )
    row("peak RSS per worker: ours, 1k users", mib(ours), f"{paired(ours, bare, 'rss'):.2f}x bare")
    row("", "", f"{paired(ours, fst, 'rss'):.2f}x FST")
    row(
        "peak RSS per worker: ours, 1M users", mib(large), f"{paired(large, bare, 'rss'):.2f}x bare"
    )

    header = ("figure", "median", "ratio", "target", "result")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    rule = "+".join("-" * (w + 2) for w in widths)
    print(
        f"\n{ROUNDS} rounds (medians; ratios are medians of each round's pair); {engine}; "
        f"gunicorn sync, {WORKERS} workers x 1 thread; wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} "
        f"-d{DURATION}s; {LOGINS} logins, {VERIFIES} verify_auth per turn"
    )
    print(
        f"{os.cpu_count()} CPUs; load average (1 min) {load_before:.2f} before, {load_after:.2f} "
        "after: anything above 0 means other processes shared the CPUs"
    )
    print(rule)
    for i, r in enumerate([header, *rows]):
        print("|".join(f" {c!s:<{w}} " for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            print(rule)
    print(rule)
    print(
        "* CPU ratios are bare's CPU per request over the app's: the throughput ratio that an "
        "otherwise idle machine would show, less disturbed by other processes than req/s."
    )


def describe(r) -> str:
    """One turn's figures, for the progress log."""
    parts = [f"{r['rps']:,.0f} req/s", f"{r['cpu'] * 1e6:,.0f} us CPU/request"]
    if "login" in r:
        parts.append(
            f"login {r['login'] * 1e3:.2f} ms ({r['login_ratio']:.2f}x floor "
            f"{r['floor'] * 1e3:.2f} ms)"
        )
        parts.append(f"verify_auth {r['verify'] * 1e3:.2f} ms")
    parts.append(f"peak RSS {r['rss']:.1f} MiB")
    return ", ".join(parts)


def check_shapes(results):
    shapes = {turn: rows[0]["shape"] for turn, rows in results.items()}
    if len(set(shapes.values())) != 1:
        raise RuntimeError(f"verify_auth bodies differ in shape: {shapes}")


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


# --------------------------------------------------------------------------- main


def main():
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: run `bash bench/run.sh`, which installs it.")
    tmp = tempfile.mkdtemp(prefix="auth-bench-")
    dbs = Databases(tmp)
    previous_term = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        load_before = load_average()
        logdir = Path(tmp) / "logs"
        logdir.mkdir()
        log(f"Preparing databases ({dbs.engine}) in {tmp}; measuring the app in {ROOT}")
        password_hash = precomputed_hash()
        small = prepare_ours(dbs, "users_1k", SMALL_USERS, password_hash)
        large = prepare_ours(dbs, "users_1m", LARGE_USERS, password_hash)
        fst_env = {
            **clean_env(),
            "SECRET_KEY": secrets.token_hex(32),
            "FST_PASSWORD_SALT": secrets.token_hex(16),
        }
        fst_env["FST_DATABASE_URL"] = prepare_fst(dbs, fst_env)

        # Which users log in: reproducible, and no secret depends on it.
        rng = random.Random(2026)  # noqa: S311
        floor = Floor()
        turns = {
            "bare": lambda: turn_bare(logdir),
            "ours-1k": lambda: turn_ours(logdir, "1k", small, SMALL_USERS, rng, floor),
            "fst": lambda: turn_fst(logdir, fst_env, floor),
            "ours-1m": lambda: turn_ours(logdir, "1m", large, LARGE_USERS, rng, floor),
        }
        results = {name: [] for name in turns}
        for round_no in range(1, ROUNDS + 1):
            log(f"round {round_no}/{ROUNDS}")
            for name, turn in turns.items():
                r = turn()
                results[name].append(r)
                log(f"  {name}: {describe(r)}")
        check_shapes(results)
        report(results, dbs.engine, load_before, load_average())
        if PROFILE:
            profile_ours(logdir, small, tmp)
    finally:
        stop_all()
        signal.signal(signal.SIGTERM, previous_term)
        try:
            dbs.drop_all()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
