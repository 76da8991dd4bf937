"""Fixtures in the style of Flask's tutorial: ``app``, ``client``, ``runner`` and ``auth``.

The suite runs on the database that ``TEST_DATABASE`` names: ``sqlite`` (the default) or
``postgresql``, on the server at ``TEST_DATABASE_URL``. Either way one database is migrated
at the start of the run through the real migrations, every test gets its own copy of it
(a file copy, or ``CREATE DATABASE ... TEMPLATE``), and CSRF protection stays on.

Markers say what a test needs: ``sqlite`` tests run only on SQLite, ``postgres`` tests only on
PostgreSQL, ``redis`` tests need the Redis server at ``TEST_REDIS_URL``. The other database's
tests are deselected, never skipped.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import psycopg
import pytest
import redis
from flask import Flask
from hypothesis import settings
from psycopg import sql
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import make_url

from app import create_app
from app.api.responses import ERROR_TYPES
from app.common.time import utcnow
from app.extensions import db
from app.sessions.models import AuthSession
from app.users import policy
from tests.contract import ContractClient
from tests.services import stop_process

# The suite decides its database and secrets; a developer's environment must not leak in.
for _variable in ("DATABASE_URL", "SECRET_KEY", "REDIS_URL"):
    os.environ.pop(_variable, None)
for _variable in [name for name in os.environ if name.startswith("FLASK_")]:
    os.environ.pop(_variable)
os.environ["APP_CONFIG"] = "testing"
# Every app the suite builds, however it is built, answers its test client through openapi.yaml.
Flask.test_client_class = ContractClient

# The fuzz tests draw the same examples on every run, so that CI and a newcomer's run pass or
# fail alike; HYPOTHESIS_PROFILE=explore draws new ones each time, to search further.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
TEST_DATABASE = os.environ.get("TEST_DATABASE", SQLITE)
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
# The markers that a test run on each database leaves out.
DESELECTED_MARKERS = {SQLITE: ("postgres", "redis"), POSTGRESQL: ("sqlite",)}

ROOT = Path(__file__).resolve().parent.parent
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "correct horse battery staple"
# 128 code points in no pattern zxcvbn knows: strong, and unlike any of its own prefixes.
STRONG_128 = (
    "P&+}5J]<f&i>ry$:Vu7L3ohD4rcqH>@B;uuT;^,H-s:u>hiG(a=aAKYHD_e>t,js2I0{2"
    "RH&-Y*?P[d!MqK4*f*1x*D=93dh?_nNc;sFFn[*-7_v99K}aVoS9V#fgV}V"
)
# A complete, valid signup body.
SIGNUP_FIELDS = {
    "user_name": "alice",
    "first_name": "Alice",
    "last_name": "Liddell",
    "email": "alice@example.com",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


# Apps made by make_app since the last test's database went.
_APPS = []


def sqlite_url(path) -> str:
    return f"sqlite:///{path}"


def make_app(database, **overrides):
    """An app on ``database``: a URL, or the path of a SQLite file.

    The test's ``database_url`` fixture disposes its engine afterwards, so that no
    connection outlives the test's database.
    """
    url = database if isinstance(database, str) else sqlite_url(database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, **overrides})
    _APPS.append(app)
    return app


def dispose_apps():
    """Close the pooled connections of every app made by ``make_app`` so far."""
    while _APPS:
        with _APPS.pop().app_context():
            db.engine.dispose()


def pytest_configure(config):
    if TEST_DATABASE not in DESELECTED_MARKERS:
        raise pytest.UsageError(
            f"TEST_DATABASE must be {SQLITE} or {POSTGRESQL}, not {TEST_DATABASE!r}"
        )
    if TEST_DATABASE == POSTGRESQL and not TEST_DATABASE_URL:
        raise pytest.UsageError(
            "TEST_DATABASE=postgresql needs TEST_DATABASE_URL, a PostgreSQL server's URL "
            "whose user may create databases (scripts/services.sh starts one)"
        )


def pytest_collection_modifyitems(config, items):
    """Without ``-m``, deselect the tests of the other database, as scripts/test.sh does."""
    if config.option.markexpr:
        return
    markers = DESELECTED_MARKERS[TEST_DATABASE]
    selected, deselected = [], []
    for item in items:
        other = any(item.get_closest_marker(marker) for marker in markers)
        (deselected if other else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_runtest_setup(item):
    """A test selected for a database or server it cannot have fails; it never skips."""
    needs = {"sqlite": SQLITE, "postgres": POSTGRESQL}
    for marker, database in needs.items():
        if item.get_closest_marker(marker) and database != TEST_DATABASE:
            pytest.fail(
                f"marked {marker}, but TEST_DATABASE is {TEST_DATABASE}: "
                f"select with -m 'not {marker}' or set TEST_DATABASE={database}",
                pytrace=False,
            )
    if item.get_closest_marker("redis") and not TEST_REDIS_URL:
        pytest.fail("marked redis, but TEST_REDIS_URL is not set", pytrace=False)


class PostgresServer:
    """The PostgreSQL server at ``url``: databases made from templates, and dropped."""

    def __init__(self, url):
        self.url = make_url(url)
        self.admin = psycopg.connect(self.url_of(self.url.database or "postgres"), autocommit=True)

    def url_of(self, name) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, name, template=None):
        """Create database ``name`` (a copy of ``template``); its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.admin.execute(statement)
        return self.url_of(name)

    def drop(self, name):
        """Drop database ``name``, ending whatever sessions still use it."""
        self.admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def close(self):
        self.admin.close()


def unique_name(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def postgres_server():
    """The server at TEST_DATABASE_URL, on the PostgreSQL run."""
    if TEST_DATABASE != POSTGRESQL:
        pytest.fail("postgres_server is for TEST_DATABASE=postgresql", pytrace=False)
    server = PostgresServer(TEST_DATABASE_URL)
    yield server
    server.close()


@pytest.fixture(scope="session")
def migrated_database(request, tmp_path_factory):
    """The URL of a database at the head revision, made once through the real migrations:
    a SQLite file, or a template database on the PostgreSQL server."""
    if TEST_DATABASE == SQLITE:
        url = sqlite_url(tmp_path_factory.mktemp("template") / "template.db")
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create(unique_name("template"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    yield url
    if TEST_DATABASE == POSTGRESQL:
        server.drop(make_url(url).database)


@pytest.fixture
def database_url(request, migrated_database, tmp_path):
    """This test's own database, a copy of ``migrated_database``; dropped afterwards."""
    template = make_url(migrated_database).database
    if TEST_DATABASE == SQLITE:
        path = tmp_path / "app.db"
        shutil.copy(template, path)
        yield sqlite_url(path)
        dispose_apps()
    else:
        server = request.getfixturevalue("postgres_server")
        name = unique_name("test")
        yield server.create(name, template=template)
        dispose_apps()
        server.drop(name)


@pytest.fixture
def database_path(database_url):
    """The file of this test's SQLite database, for tests marked ``sqlite``."""
    if TEST_DATABASE != SQLITE:
        pytest.fail("database_path is a SQLite file: mark the test sqlite", pytrace=False)
    return Path(make_url(database_url).database)


@pytest.fixture
def redis_url(request):
    """The Redis server at TEST_REDIS_URL, its database emptied before and after the test."""
    if not request.node.get_closest_marker("redis"):
        pytest.fail("a test that uses Redis must be marked redis", pytrace=False)
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.flushdb()
        yield TEST_REDIS_URL
        client.flushdb()
    finally:
        client.close()


@pytest.fixture
def app(database_url):
    # make_app's apps are disposed of with the test's database (database_url).
    return make_app(database_url)


@pytest.fixture(params=["argument", "environment"])
def configured(request, database_url, monkeypatch):
    """``configured(key, value, text)``: an app with ``key`` set to ``value`` through
    create_app's argument, or to ``text`` through the environment as ``FLASK_<key>``."""

    def build(key, value, text):
        if request.param == "environment":
            monkeypatch.setenv(f"FLASK_{key}", text)
            return make_app(database_url)
        return make_app(database_url, **{key: value})

    return build


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Signs up, logs in and out the way the page does: form posts with the CSRF header."""

    def __init__(self, client):
        self._client = client
        self.token = None

    def fetch_token(self):
        """Read the token from the page's meta tag, as the page's script does."""
        page = self._client.get("/")
        self.token = CSRF_META.search(page.get_data(as_text=True)).group(1)
        return self.token

    def post(self, path, data=None, **kwargs):
        """POST with the current token; adopt the token a successful answer hands back."""
        if self.token is None:
            self.fetch_token()
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        response = self._client.post(path, data=data, headers=headers, **kwargs)
        body = response.get_json(silent=True) or {}
        if body.get("csrf_token"):
            self.token = body["csrf_token"]
        return response

    def signup(self, user_name="alice", email="alice@example.com", password=PASSWORD, **extra):
        fields = {
            "user_name": user_name,
            "first_name": "Alice",
            "last_name": "Liddell",
            "email": email,
            "password": password,
            "confirm": password,
            **extra,
        }
        return self.post("/api/auth/signup", data=fields)

    def login(self, login="alice", password=PASSWORD, remember_me=False):
        fields = {"login": login, "password": password}
        if remember_me:
            fields["remember_me"] = "y"
        return self.post("/api/auth/login", data=fields)

    def logout(self):
        return self.post("/api/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def no_scoring(monkeypatch):
    """Fail the test if any password reaches zxcvbn."""

    def fail(*args, **kwargs):
        raise AssertionError("zxcvbn must not score this password")

    monkeypatch.setattr(policy, "zxcvbn", fail)


def assert_error(response, status, message, fields=None):
    """Assert that ``response`` is exactly the contract's error envelope."""
    errors = {"type": ERROR_TYPES[status], "message": message}
    if fields is not None:
        errors["fields"] = fields
    assert response.status_code == status
    assert response.is_json
    assert response.get_json() == {"success": False, "errors": errors}


def count_rows(app, model):
    """How many rows the table of ``model`` holds now."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def age(app, public_id=None, created=None, seen=None):
    """Move session records' timestamps back (one record, or every one), as if time had passed."""
    now = utcnow()
    values = {}
    if created is not None:
        values["created_at"] = now - created
    if seen is not None:
        values["last_seen_at"] = now - seen
    statement = update(AuthSession).values(**values)
    if public_id is not None:
        statement = statement.where(AuthSession.public_id == public_id)
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


@pytest.fixture
def statements(app):
    """Every SQL statement the app's engine runs, whitespace collapsed, in a list."""
    seen = []

    def collect(_conn, _cursor, statement, _parameters, _context, _executemany):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", collect)
    yield seen
    event.remove(engine, "before_cursor_execute", collect)


def session_cookie(app, client):
    """The decoded content of ``client``'s signed session cookie, or None without one."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test is a failure: something the suite needs was not installed.

    Everywhere, not only where ``CI`` is set: CI runs may not set it, and no test of this suite
    has a reason to skip (tests for another database are deselected by marker instead).
    """
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but every selected test must run: {report.longrepr}"
    return report


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        """Terminate the server and wait for it; kill it if it lingers."""
        stop_process(self.process)


def start_server(database_url, log_path, workers=2, threads=4, env=None):
    """Serve the app under gunicorn on a free loopback port, as in production (but HTTP)."""
    port = free_port()
    environment = {
        **os.environ,
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        # The test talks plain HTTP to the server; production runs behind TLS.
        "FLASK_SESSION_COOKIE_SECURE": "false",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "app:create_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",  # parallel servers would share one socket path
        "--threads",
        str(threads),
    ]
    return serve(command, environment, log_path, port)


def serve(command, environment, log_path, port):
    """Run the server ``command`` from the project root; return once 127.0.0.1:``port`` answers."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(server.url + "/api/auth/csrf", timeout=2):
                return server
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{command} did not start:\n{server.log()}") from None
            time.sleep(0.2)


@pytest.fixture
def server_env():
    """Extra environment for ``live_server``; a test parametrizes it to change the server."""
    return {}


@pytest.fixture
def servers(tmp_path):
    """``servers(database_url, **env)``: another gunicorn server; all are stopped after."""
    started = []

    def start(database_url, **env):
        log_path = tmp_path / f"gunicorn{len(started)}.log"
        started.append(start_server(database_url, log_path, env=env))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_server(database_url, tmp_path, server_env):
    """The app under gunicorn (2 workers, 4 threads each) on this test's database."""
    server = start_server(database_url, tmp_path / "gunicorn.log", env=server_env)
    yield server
    server.stop()
