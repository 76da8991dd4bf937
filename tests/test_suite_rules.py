"""The suite's own rules, wherever the suite runs: a skipped test fails, a test that opens a
database connection without the ``database`` marker fails, the PostgreSQL pass runs only the
marked tests, a ``timing`` test has the machine to itself under pytest-xdist, and the apps of
a run share what Werkzeug compiles for each."""

import os
import subprocess
import sys
import textwrap

import psycopg
import pytest
from flask import Flask, url_for
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from tests.helpers import ROOT
from tests.plugins.accounts import add_user
from tests.plugins.databases import dispose_apps, make_app
from tests.plugins.shared import builder_key

PLUGINS = ("tests.plugins.suite", "tests.plugins.databases")


def run_pytest(tmp_path, source, *options, plugins=PLUGINS, **environment):
    """Run pytest with the suite's plugins (and pytest-xdist, no other installed plugin) on one
    test file outside the suite; CI unset."""
    module = tmp_path / "test_module.py"
    module.write_text(textwrap.dedent(source))
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env.update(environment, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    plugins = [option for plugin in ("xdist", *plugins) for option in ("-p", plugin)]
    command = [sys.executable, "-m", "pytest", *plugins, "-p", "no:cacheprovider", "-q"]
    return subprocess.run(
        [*command, *options, "--rootdir", str(tmp_path), str(module)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_skipped_test_fails_the_run(tmp_path):
    result = run_pytest(
        tmp_path,
        """
        import pytest


        def test_needs_chromium():
            pytest.skip("chromium is missing")
        """,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "skipped, but every selected test must run" in result.stdout
    assert "chromium is missing" in result.stdout


def test_a_connection_without_the_database_marker_fails(tmp_path):
    result = run_pytest(
        tmp_path,
        """
        from sqlalchemy import create_engine, text


        def test_opens_its_own_database(tmp_path):
            engine = create_engine(f"sqlite:///{tmp_path}/own.db")
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        """,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "opened a database connection, but uses none of the fixtures" in result.stdout


# A test of each kind: through the database fixture, marked by hand, and neither.
KINDS = """
import pytest


def test_on_the_database(database_url):
    pass


@pytest.mark.database
def test_with_a_database_of_its_own():
    pass


@pytest.mark.redis
def test_on_redis():
    pass


def test_of_a_document():
    pass
"""


def selected(result):
    return sorted(line.split("::")[1] for line in result.stdout.splitlines() if "::" in line)


def test_the_postgresql_pass_runs_only_the_tests_marked_database(tmp_path):
    """Unmarked tests run once, on SQLite; collected without -m, as a developer would."""
    postgresql = run_pytest(
        tmp_path,
        KINDS,
        "--collect-only",
        TEST_DATABASE="postgresql",
        TEST_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
    )
    assert selected(postgresql) == [
        "test_on_redis",
        "test_on_the_database",
        "test_with_a_database_of_its_own",
    ], postgresql.stdout + postgresql.stderr
    sqlite = run_pytest(tmp_path, KINDS, "--collect-only", TEST_DATABASE="sqlite")
    assert selected(sqlite) == [
        "test_of_a_document",
        "test_on_the_database",
        "test_with_a_database_of_its_own",
    ], sqlite.stdout + sqlite.stderr


def test_a_timing_test_runs_with_no_other_test_beside_it(tmp_path):
    """Two workers; each test writes when it starts and ends. The timing test comes first, so
    that the other worker would be running one of the others beside it. No other test is
    running while it does, and the others still run side by side."""
    log = tmp_path / "log"
    result = run_pytest(
        tmp_path,
        f"""
        import os
        import time

        import pytest


        def note(name, what):
            with open({str(log)!r}, "a") as log:
                log.write(f"{{time.monotonic():.6f}} {{what}} {{name}}\\n")


        @pytest.fixture(autouse=True)
        def noted(request):
            note(request.node.name, "start")
            time.sleep(0.2)
            yield
            note(request.node.name, "end")


        @pytest.mark.timing
        def test_timed():
            pass


        @pytest.mark.parametrize("n", range(6))
        def test_other(n):
            pass
        """,
        "-n",
        "2",
        plugins=["tests.plugins.suite"],
    )
    assert result.returncode == 0, result.stdout + result.stderr
    events = sorted(line.split() for line in log.read_text().splitlines())
    running, overlapped, alone = set(), False, None
    for _, what, name in events:
        if what == "start":
            running.add(name)
            overlapped = overlapped or len(running) > 1
        else:
            running.discard(name)
        if "test_timed" in running:
            alone = len(running) == 1 if alone is None else alone and len(running) == 1
    assert alone is True, events
    assert overlapped, events


def test_apps_share_each_rules_url_builders_and_build_their_own_urls():
    """``tests/plugins/shared.py``: Werkzeug's builders, compiled once, serve every app's
    copy of a rule; each still builds from its own rule and converters."""

    def make(prefix):
        app = Flask(__name__)
        app.add_url_rule(f"/{prefix}/<int:number>", "item", lambda number: "")
        app.add_url_rule(f"/{prefix}/", "index", lambda page: "", defaults={"page": 1})
        return app

    first, second, other = make("items"), make("items"), make("others")
    rule_of = {
        app: {rule.endpoint: rule for rule in app.url_map.iter_rules()}
        for app in (first, second, other)
    }
    # Still the method that Map.add calls through Rule.compile, with the rule's parts.
    assert Rule._compile_builder.__module__ == "tests.plugins.shared"
    assert rule_of[first]["item"]._build.__func__ is rule_of[second]["item"]._build.__func__
    assert rule_of[first]["item"]._build.__func__ is not rule_of[other]["item"]._build.__func__
    assert builder_key(rule_of[first]["index"], True) != builder_key(rule_of[first]["item"], True)
    for app, prefix in ((first, "items"), (second, "items"), (other, "others")):
        with app.test_request_context():
            assert url_for("item", number=7, q="a b") == f"/{prefix}/7?q=a+b"
            assert url_for("index") == f"/{prefix}/"


def rows_and_next_id(server, name):
    with psycopg.connect(server.url_of(name)) as connection:
        users = connection.execute('SELECT count(*) FROM "user"').fetchone()[0]
        next_id = connection.execute("SELECT nextval(pg_get_serial_sequence('user', 'id'))")
        return users, next_id.fetchone()[0]


@pytest.mark.postgres
def test_a_database_given_back_is_emptied_for_the_next_test(postgres_server, migrated_database):
    """``tests/plugins/postgres.py``: no row and no used id of one test reaches the next."""
    template = make_url(migrated_database).database
    name = postgres_server.take(template)
    app = make_app(postgres_server.url_of(name))
    add_user(app, "alice")
    add_user(app, "bob")
    dispose_apps()
    postgres_server.give_back(name, template)
    assert postgres_server.take(template) == name
    assert rows_and_next_id(postgres_server, name) == (0, 1)
    postgres_server.give_back(name, template)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "change",
    [
        'ALTER TABLE "user" ADD COLUMN nickname text',
        'CREATE INDEX ix_user_nickname ON "user" (first_name)',
        "UPDATE alembic_version SET version_num = '0010_hardening'",
    ],
)
def test_a_database_whose_schema_changed_is_dropped_not_reused(
    postgres_server, migrated_database, change
):
    template = make_url(migrated_database).database
    name = postgres_server.take(template)
    with psycopg.connect(postgres_server.url_of(name), autocommit=True) as connection:
        connection.execute(change)
    postgres_server.give_back(name, template)
    assert postgres_server.take(template) != name
    assert postgres_server.admin.execute(
        "SELECT count(*) FROM pg_database WHERE datname = %s", [name]
    ).fetchone() == (0,)


@pytest.mark.postgres
def test_a_database_still_in_use_is_dropped_not_reused(postgres_server, migrated_database):
    template = make_url(migrated_database).database
    name = postgres_server.take(template)
    with psycopg.connect(postgres_server.url_of(name), autocommit=True) as lingering:
        lingering.execute('SELECT count(*) FROM "user"')
        postgres_server.give_back(name, template)
    assert postgres_server.take(template) != name
