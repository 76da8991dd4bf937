"""The database of each test: SQLite or PostgreSQL, chosen by ``TEST_DATABASE``.

The suite runs on the database that ``TEST_DATABASE`` names: ``sqlite`` (the default) or
``postgresql``, on the server at ``TEST_DATABASE_URL``. Either way one database is migrated
at the start of the run through the real migrations, and every test gets its own copy of it
(a file copy; on PostgreSQL, ``CREATE DATABASE ... TEMPLATE``, or the last test's copy emptied
again, ``tests/plugins/postgres.py``).

Markers say what a test needs: ``sqlite`` tests run only on SQLite, ``postgres`` tests only on
PostgreSQL, ``redis`` tests need the Redis server at ``TEST_REDIS_URL``. The other database's
tests are deselected, never skipped.

The suite marks ``database`` every test that reaches the database, the limiter's store or mail
through a fixture (``DATABASE_FIXTURES``), and every test marked ``postgres`` or ``redis``; a
test that makes a database of its own is marked by hand. Only those run again on PostgreSQL
and Redis; the rest cannot tell the databases apart and run once. A test that opens a
database connection without the marker fails, so that no test runs on SQLite alone by mistake.
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import redis
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from app import create_app, schema
from app.extensions import db
from tests.plugins.postgres import PostgresServer, unique_name

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
TEST_DATABASE = os.environ.get("TEST_DATABASE", SQLITE)
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
# The markers that a test run on each database leaves out.
DESELECTED_MARKERS = {SQLITE: ("postgres", "redis"), POSTGRESQL: ("sqlite",)}
# The fixtures through which a test reaches the database, the limiter's store or mail.
DATABASE_FIXTURES = ("database_url", "redis_url", "smtp_server")


# The files beside a SQLite database in WAL mode.
SQLITE_SIDES = ("-wal", "-shm")
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
    """Stop the mail senders and close the pooled connections of every app made by
    ``make_app`` so far."""
    while _APPS:
        app = _APPS.pop()
        app.extensions["mail_sender"].stop()
        with app.app_context():
            db.engine.dispose()


def pytest_configure(config):
    if TEST_DATABASE not in DESELECTED_MARKERS:
        raise pytest.UsageError(
            f"TEST_DATABASE must be {SQLITE} or {POSTGRESQL}, not {TEST_DATABASE!r}"
        )
    if TEST_DATABASE == POSTGRESQL and not TEST_DATABASE_URL:
        raise pytest.UsageError(
            "TEST_DATABASE=postgresql needs TEST_DATABASE_URL, a PostgreSQL server's URL "
            "whose user may create databases (python -m devtools.services runs a command with one)"
        )
    event.listen(Engine, "connect", _refuse_unmarked)


def pytest_unconfigure(config):
    if event.contains(Engine, "connect", _refuse_unmarked):
        event.remove(Engine, "connect", _refuse_unmarked)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark ``database`` what uses a fixture of ``DATABASE_FIXTURES`` (before ``-m`` reads the
    marks); without ``-m``, deselect the other database's tests, and on PostgreSQL the tests
    that need no database too, as scripts/test.sh does."""
    for item in items:
        uses = any(name in item.fixturenames for name in DATABASE_FIXTURES)
        if uses or item.get_closest_marker("postgres") or item.get_closest_marker("redis"):
            item.add_marker("database")
    if config.option.markexpr:
        return
    markers = DESELECTED_MARKERS[TEST_DATABASE]
    selected, deselected = [], []
    for item in items:
        other = any(item.get_closest_marker(marker) for marker in markers)
        once = TEST_DATABASE == POSTGRESQL and not item.get_closest_marker("database")
        (deselected if other or once else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


# The test running now, for the connection guard.
_running = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.remove(item)


def _refuse_unmarked(dbapi_connection, connection_record):
    """A connection opened by a test not marked ``database``: the test fails."""
    if _running and not _running[-1].get_closest_marker("database"):
        pytest.fail(
            f"{_running[-1].nodeid} opened a database connection, but uses none of the "
            f"fixtures {', '.join(DATABASE_FIXTURES)}: it would not run on PostgreSQL. "
            "Build its app on database_url.",
            pytrace=False,
        )


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
        schema.upgrade()
        db.engine.dispose()
    yield url
    if TEST_DATABASE == POSTGRESQL:
        server.drop(make_url(url).database)


@pytest.fixture
def database_url(request, migrated_database, tmp_path):
    """This test's own database, a copy of ``migrated_database`` with no rows; dropped
    afterwards (on PostgreSQL, emptied for the next test where it can be)."""
    template = make_url(migrated_database).database
    if TEST_DATABASE == SQLITE:
        path = tmp_path / "app.db"
        shutil.copy(template, path)
        yield sqlite_url(path)
        dispose_apps()
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.take(template)
        yield server.url_of(name)
        dispose_apps()
        server.give_back(name, template)


@pytest.fixture(scope="session")
def database_copies(request, migrated_database, tmp_path_factory):
    """``copy()``: the URL of a new copy of ``migrated_database``, as ``database_url`` makes
    one, for what outlives a test (a live server that tests share); every copy is removed at
    the end of the run, once whatever used it has stopped.

    The tests on a copy are marked ``database`` by the plugin that gives them one, and
    dispose their apps themselves (``dispose_apps``) when each ends."""
    template = make_url(migrated_database).database
    server = request.getfixturevalue("postgres_server") if TEST_DATABASE == POSTGRESQL else None
    made = []

    def copy() -> str:
        if server is None:
            path = tmp_path_factory.mktemp("shared") / "app.db"
            shutil.copy(template, path)
            made.append(path)
            return sqlite_url(path)
        name = unique_name("shared")
        made.append(name)
        return server.create(name, template=template)

    yield copy
    dispose_apps()
    for database in made:
        if server is None:
            for side in ("", *SQLITE_SIDES):
                database.with_name(database.name + side).unlink(missing_ok=True)
        else:
            server.drop(database)


@pytest.fixture
def database_path(database_url):
    """The file of this test's SQLite database, for tests marked ``sqlite``."""
    if TEST_DATABASE != SQLITE:
        pytest.fail("database_path is a SQLite file: mark the test sqlite", pytrace=False)
    return Path(make_url(database_url).database)


def worker_redis_url() -> str:
    """TEST_REDIS_URL with a database number of this pytest-xdist worker's own (gw0 has 1)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = int(worker.removeprefix("gw")) + 1 if worker.startswith("gw") else 0
    return urlsplit(TEST_REDIS_URL)._replace(path=f"/{number}").geturl()


@pytest.fixture
def redis_url(request):
    """The Redis server at TEST_REDIS_URL, in a database of this worker's own, emptied
    before and after the test."""
    if not request.node.get_closest_marker("redis"):
        pytest.fail("a test that uses Redis must be marked redis", pytrace=False)
    url = worker_redis_url()
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield url
        client.flushdb()
    finally:
        client.close()


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


def _record_on(dbapi_connection, record):
    """Make ``dbapi_connection`` pass each statement it runs to ``record`` (None: stop)."""
    if isinstance(dbapi_connection, psycopg.Connection):
        dbapi_connection.cursor_factory = psycopg.Cursor if record is None else _recording(record)
    else:
        dbapi_connection.set_trace_callback(record)


def _recording(record):
    class RecordingCursor(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            record(query if isinstance(query, str) else query.as_string(self))
            return super().execute(query, *args, **kwargs)

    return RecordingCursor


@pytest.fixture
def statements(app):
    """Every SQL statement the app's connections run, whitespace collapsed, in a list.

    Seen by the driver itself, so that a statement run straight on a DB-API cursor (the
    session lookup) counts as well as those that go through SQLAlchemy.
    """
    seen = []

    def record(statement):
        seen.append(" ".join(statement.split()))

    def checkout(dbapi_connection, _record, _proxy):
        _record_on(dbapi_connection, record)

    def checkin(dbapi_connection, _record):
        if dbapi_connection is not None:
            _record_on(dbapi_connection, None)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    yield seen
    event.remove(engine, "checkout", checkout)
    event.remove(engine, "checkin", checkin)
