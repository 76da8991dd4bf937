"""``db upgrade`` on the database the tutorial itself made, and its users' old passwords.

The tests build the database that the tutorial's ``initdb`` created, from
``tests/fixtures/tutorial-schema.sql`` (the schema the tutorial's SQLite database holds, kept in
the repository so that a clone anywhere can run the suite): on SQLite that file as it stands; with
``TEST_DATABASE=postgresql``, the same DDL translated, in a fresh database of the test's own on
the server at ``TEST_DATABASE_URL``.

The upgrade runs as an operator runs it, ``python manage.py db upgrade``, in the tests about the
upgrade and once per scenario. The tests of the upgraded database (``upgraded_db``) each get a
copy of one that the operator's command upgraded once per run (per pytest-xdist worker); the
tests that only need an upgrade done run the same command in this process
(``upgrade_in_process``).
"""

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, column, create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from app import create_app
from app.common import messages
from app.common.time import as_utc
from app.config import ProductionConfig
from app.config_loading import database_url
from app.extensions import db
from app.users.models import User
from tests.helpers import HEAD_TABLES, ROOT, AuthActions, assert_error
from tests.security.test_enumeration import failure_time_ratio
from tests.test_commands import (
    FIRST_REVISION,
    HEAD,
    TUTORIAL_HASH,
    manage_in_process,
    schema_differences,
    shell_output,
)

SCHEMA_FILE = Path(__file__).resolve().parent / "fixtures" / "tutorial-schema.sql"
ENGINE = "postgresql" if os.environ.get("TEST_DATABASE") == "postgresql" else "sqlite"
# Each test makes a database of its own, on the run's engine.
pytestmark = pytest.mark.database
SECOND_REVISION = "0002_keys_and_sessions"
TIMEOUT = 120
# A password typed in fullwidth letters and digits (U+FF01 to U+FF5E); NFKC makes it ASCII.
FULLWIDTH = "\uff50\uff41\uff53\uff53\uff11\uff12\uff13"
ASCII_FORM = "pass123"
DECOMPOSED = "cafe\u0301"  # "café" as e + combining acute; NFKC composes it
COMPOSED = "caf\u00e9"
NEW_PASSWORD = "Zq8#vT2!x-renewed"
SESSION_ID = "p" * 32


def legacy_hash(password):
    """A hash as the tutorial's Werkzeug 0.10 made it: pbkdf2:sha1:1000$<8-char salt>$<hex>."""
    return generate_password_hash(password, method="pbkdf2:sha1:1000", salt_length=8)


@dataclass(frozen=True)
class TutorialUser:
    """A row of the tutorial's ``user`` table, and the keys the upgrade must derive from it."""

    id: int
    first_name: str
    last_name: str
    user_name: str
    email: str
    created_on: datetime  # naive UTC, as the tutorial stored it
    password: str
    role_code: int
    user_name_key: str
    email_key: str
    role: str
    hash: str = ""

    def __post_init__(self):
        if not self.hash:
            object.__setattr__(self, "hash", legacy_hash(self.password))


SPCHUANG = TutorialUser(
    1, "Sam", "Chuang", "spchuang", "test@gmail.com", datetime(2015, 3, 1, 10, 20, 30, 123456),
    "123456", 2, "spchuang", "test@gmail.com", "user", TUTORIAL_HASH,
)  # fmt: skip
# Mixed case, every role, a deleted row (id 3), non-ASCII names and passwords.
TUTORIAL_USERS = [
    SPCHUANG,
    TutorialUser(
        2, "Ann", "Lee", "AnnLee", "Ann.Lee@Example.COM", datetime(2015, 4, 2, 23, 59, 59),
        "secret", 0, "annlee", "ann.lee@example.com", "admin",
    ),
    TutorialUser(
        4, "Bob", "Stone", "BOBSTONE", "BOB@EXAMPLE.ORG", datetime(2016, 1, 1),
        ASCII_FORM, 1, "bobstone", "bob@example.org", "staff",
    ),
    TutorialUser(
        7, "Zoë", "Åström", "tester7", "Zoë.K@Bücher.Example", datetime(2016, 2, 29, 12, 0, 0, 1),
        FULLWIDTH, 3, "tester7", "zoë.k@bücher.example", "test",
    ),
    TutorialUser(
        9, "Hugo", "Lévy", "hugoAccent", "hugo@example.com", datetime(2017, 12, 31, 23, 0),
        DECOMPOSED, 2, "hugoaccent", "hugo@example.com", "user",
    ),
]  # fmt: skip
BY_NAME = {user.user_name: user for user in TUTORIAL_USERS}
BY_ID = {user.id: user for user in TUTORIAL_USERS}


def tutorial_schema():
    """The reference DDL as it stands."""
    return SCHEMA_FILE.read_text()


def postgresql_ddl(sql):
    """The tutorial's DDL as its ``create_all`` emitted it on PostgreSQL."""
    for pattern, replacement, count in [
        (r"\b(TABLE|ON) user\b", r'\1 "user"', 3),  # a reserved word there
        (r"\bDATETIME\b", "TIMESTAMP WITHOUT TIME ZONE", 1),
        # SQLAlchemy makes an integer primary key SERIAL on PostgreSQL.
        (r"\bid INTEGER NOT NULL\b", "id SERIAL NOT NULL", 1),
    ]:
        sql, made = re.subn(pattern, replacement, sql)
        assert made == count, f"{SCHEMA_FILE} changed: {pattern!r} matched {made} times"
    return sql


class Database:
    """One test's database, reached through a URL as the app and the operator reach it."""

    url: str

    @contextmanager
    def begin(self):
        engine = create_engine(database_url(self.url), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                yield connection
        finally:
            engine.dispose()

    def execute(self, statement, rows=None):
        with self.begin() as connection:
            connection.execute(text(statement), rows or {})

    def insert(self, name, rows):
        with self.begin() as connection:
            connection.execute(table(name, *map(column, rows[0])).insert(), rows)

    @staticmethod
    def _rows(connection, name):
        reflected = Table(name, MetaData(), autoload_with=connection)
        return [tuple(row) for row in connection.execute(select(reflected).order_by(*reflected.c))]

    def rows(self, name):
        with self.begin() as connection:
            return self._rows(connection, name)

    def tables(self):
        with self.begin() as connection:
            return set(inspect(connection).get_table_names())

    def revision(self):
        """The Alembic revision, or None without an ``alembic_version`` table."""
        with self.begin() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def dump(self):
        """Every table with its columns, keys, indexes and rows, in a stable order."""
        with self.begin() as connection:
            inspector = inspect(connection)
            return {
                name: {
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"], c["default"])
                        for c in inspector.get_columns(name)
                    ],
                    "primary key": inspector.get_pk_constraint(name),
                    "indexes": sorted(inspector.get_indexes(name), key=lambda i: i["name"]),
                    "unique": sorted(
                        inspector.get_unique_constraints(name), key=lambda u: u["name"] or ""
                    ),
                    "foreign keys": inspector.get_foreign_keys(name),
                    "rows": self._rows(connection, name),
                }
                for name in sorted(inspector.get_table_names())
            }


class SqliteDatabase(Database):
    def __init__(self, path):
        self.path = path
        self.url = f"sqlite:///{path}"

    def create_tutorial_schema(self):
        with closing(sqlite3.connect(self.path)) as connection:
            connection.executescript(tutorial_schema())

    @staticmethod
    def stored_time(value):
        # SQLAlchemy's DATETIME on SQLite, aware or not: text, microseconds included.
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def dump(self):
        """Also SQLite's own dump: the exact DDL of every table and index, and every row."""
        with closing(sqlite3.connect(self.path)) as connection:
            return super().dump(), list(connection.iterdump())

    def drop(self):
        pass


class PostgresqlDatabase(Database):
    def __init__(self, server_url, template=None):
        """A new database, empty or a copy of the database named ``template``."""
        self.name = f"tutorial_{secrets.token_hex(6)}"
        self._server = create_engine(
            database_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        copy = f' TEMPLATE "{template}"' if template else ""
        with self._server.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{self.name}"{copy}')
            # Not UTC: the upgrade must read the tutorial's naive times as UTC all the same.
            # A copy does not inherit its template's settings: each database is given it.
            connection.exec_driver_sql(
                f"ALTER DATABASE \"{self.name}\" SET timezone TO 'America/New_York'"
            )
        self.url = make_url(server_url).set(database=self.name).render_as_string(False)

    def create_tutorial_schema(self):
        with self.begin() as connection:
            connection.exec_driver_sql(postgresql_ddl(tutorial_schema()))

    @staticmethod
    def stored_time(value):
        return value

    def insert(self, name, rows):
        super().insert(name, rows)
        # As if the app had inserted them: the next id follows the highest.
        sequence = func.pg_get_serial_sequence(f'"{name}"', "id")
        with self.begin() as connection:
            connection.execute(
                select(func.setval(sequence, func.max(column("id")))).select_from(table(name))
            )

    def drop(self):
        with self._server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._server.dispose()


def user_rows(database, users, keys=False):
    """Rows for the ``user`` table: the tutorial's columns, and with ``keys`` those of 0002."""
    rows = []
    for user in users:
        created_on = user.created_on.replace(tzinfo=UTC) if keys else user.created_on
        row = {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "user_name": user.user_name,
            "email": user.email,
            "created_on": database.stored_time(created_on),
            "password": user.hash,
            "role_code": user.role_code,
        }
        if keys:
            row.update(user_name_key=user.user_name_key, email_key=user.email_key)
        rows.append(row)
    return rows


def manage(database, *args, stdin=None):
    """``python manage.py ARGS`` as an operator runs it, with DATABASE_URL set."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "APP_CONFIG": "testing", "DATABASE_URL": database.url},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def upgrade(database, *revision):
    """``python manage.py db upgrade [REVISION]``, as an operator runs it."""
    return manage(database, "db", "upgrade", *revision)


def upgrade_in_process(database, *revision):
    """The same ``db upgrade`` command, run in this process (``manage_in_process``)."""
    return manage_in_process(database.url, "db", "upgrade", *revision)


def server_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.fail("TEST_DATABASE=postgresql needs TEST_DATABASE_URL", pytrace=False)
    return url


def new_database(engine, path, template=None):
    """An empty database on ``engine`` (a file at ``path`` on SQLite), or a copy of
    ``template``."""
    if engine == "postgresql":
        return PostgresqlDatabase(server_url(), template and template.name)
    database = SqliteDatabase(path)
    if template is not None:
        shutil.copy(template.path, path)
    return database


def fill_as_the_tutorial_did(database):
    """The tutorial's schema, holding TUTORIAL_USERS, as the tutorial's initdb made them."""
    database.create_tutorial_schema()
    database.insert("user", user_rows(database, TUTORIAL_USERS))


@pytest.fixture(params=[ENGINE])
def fresh_db(request, tmp_path):
    """An empty database of its own on this run's engine, dropped afterwards."""
    database = new_database(request.param, tmp_path / "tutorial.db")
    yield database
    database.drop()


@pytest.fixture
def tutorial_db(fresh_db):
    """The database the tutorial's initdb made, holding TUTORIAL_USERS."""
    fill_as_the_tutorial_did(fresh_db)
    return fresh_db


@pytest.fixture(scope="session")
def upgraded_template(tmp_path_factory):
    """The database the tutorial's initdb made, upgraded by the operator's command: once per
    run (per pytest-xdist worker), for ``upgraded_db`` to copy; dropped at the end."""
    path = tmp_path_factory.mktemp("tutorial") / "upgraded.db"
    database = new_database(ENGINE, path)
    try:
        fill_as_the_tutorial_did(database)
        result = upgrade(database)
        assert result.returncode == 0, result.stderr
        yield database
    finally:
        database.drop()


@pytest.fixture(params=[ENGINE])
def upgraded_db(request, upgraded_template, tmp_path):
    """The tutorial's database after ``db upgrade``: this test's own copy of
    ``upgraded_template`` (a file copy, or ``CREATE DATABASE ... TEMPLATE``), dropped
    afterwards."""
    database = new_database(request.param, tmp_path / "tutorial.db", upgraded_template)
    yield database
    database.drop()


@pytest.fixture
def app_on(request):
    """``app_on(**overrides)``: an app on this test's database (its ``upgraded_db``, or else
    its ``fresh_db``), throttling off."""
    name = "upgraded_db" if "upgraded_db" in request.fixturenames else "fresh_db"
    database = request.getfixturevalue(name)
    apps = []

    def build(**overrides):
        config = {"SQLALCHEMY_DATABASE_URI": database.url, "RATELIMIT_ENABLED": False}
        apps.append(create_app({**config, **overrides}))
        return apps[-1]

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def stored_users(app):
    """Every user as the app reads it, by id."""
    with app.app_context():
        return {
            user.id: {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "user_name": user.user_name,
                "email": user.email,
                "created_on": as_utc(user.created_on),
                "role_code": user.role_code,
                "role": user.role,
                "password": user.password,
                "user_name_key": user.user_name_key,
                "email_key": user.email_key,
                "login_count": user.login_count,
                "last_login_at": user.last_login_at,
                "last_login_ip": user.last_login_ip,
            }
            for user in db.session.scalars(select(User))
        }


def upgraded_form(user):
    """What ``stored_users`` must show for a tutorial row after the upgrade."""
    return {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "user_name": user.user_name,
        "email": user.email,
        "created_on": user.created_on.replace(tzinfo=UTC),
        "role_code": user.role_code,
        "role": user.role,
        "password": user.hash,
        "user_name_key": user.user_name_key,
        "email_key": user.email_key,
        "login_count": 0,
        "last_login_at": None,
        "last_login_ip": None,
    }


def stored_hash(app, user_name):
    with app.app_context():
        return db.session.scalar(select(User.__table__.c.password).filter_by(user_name=user_name))


# The tutorial's database upgrades in place


def test_upgrade_adopts_the_tutorials_database(tutorial_db, app_on):
    result = upgrade(tutorial_db)
    assert result.returncode == 0, result.stderr
    assert tutorial_db.revision() == HEAD
    assert tutorial_db.tables() == HEAD_TABLES
    assert schema_differences(app_on()) == []


def test_every_tutorial_row_survives_the_upgrade(upgraded_db, app_on):
    assert stored_users(app_on()) == {user.id: upgraded_form(user) for user in TUTORIAL_USERS}


def test_upgraded_user_reads_as_before(upgraded_db, app_on):
    with app_on().app_context():
        assert User.find_by_login("spchuang").to_json() == {
            "id": 1,
            "user_name": "spchuang",
            "email": "test@gmail.com",
            "first_name": "Sam",
            "last_name": "Chuang",
            "role": "user",
            "created_on": "2015-03-01T10:20:30Z",
            # Nobody ever proved that the tutorial's addresses are their owners'.
            "email_confirmed": False,
        }


def test_the_tutorials_users_log_in_unconfirmed_and_can_confirm(upgraded_db, app_on):
    """While REQUIRE_CONFIRMED_EMAIL is off nobody is locked out, and a link confirms."""
    app = app_on()
    auth = AuthActions(app.test_client())
    response = auth.post("/api/auth/confirm_email/resend")
    assert response.status_code == 401
    login = auth.login(SPCHUANG.user_name, SPCHUANG.password)
    assert login.status_code == 200, login.get_json()
    assert login.get_json()["data"]["email_confirmed"] is False
    assert auth.post("/api/auth/confirm_email/resend").status_code == 202


def test_new_users_join_the_upgraded_database(upgraded_db, app_on):
    app = app_on()
    response = AuthActions(app.test_client()).signup()
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["id"] == max(BY_ID) + 1
    for user_name, email, field, message in [
        ("SPChuang", "sam@example.com", "user_name", messages.USER_NAME_TAKEN),
        ("samchuang", "TEST@gmail.com", "email", messages.EMAIL_TAKEN),
    ]:
        response = AuthActions(app.test_client()).signup(user_name=user_name, email=email)
        assert_error(response, 409, messages.CONFLICT, {field: [message]})


# Empty databases and earlier revisions, as before


def test_upgrade_brings_an_empty_database_to_head(fresh_db, app_on):
    result = upgrade(fresh_db)
    assert result.returncode == 0, result.stderr
    assert fresh_db.revision() == HEAD
    assert fresh_db.tables() == HEAD_TABLES
    assert schema_differences(app_on()) == []


def session_row(database):
    """A remembered session of spchuang's, as the project stored them from 0002 on."""
    moment = database.stored_time(datetime(2020, 1, 1, tzinfo=UTC))
    return {
        "id": 1,
        "public_id": SESSION_ID,
        "token_hash": "t" * 64,
        "user_id": SPCHUANG.id,
        "created_at": moment,
        "last_seen_at": moment,
        "remember": True,
    }


@pytest.mark.parametrize("start", [FIRST_REVISION, SECOND_REVISION])
def test_upgrade_from_an_earlier_revision_keeps_the_data(fresh_db, app_on, start):
    result = upgrade_in_process(fresh_db, start)
    assert result.returncode == 0, result.stderr
    at_second = start == SECOND_REVISION
    fresh_db.insert("user", user_rows(fresh_db, TUTORIAL_USERS, keys=at_second))
    if at_second:
        fresh_db.insert("auth_session", [session_row(fresh_db)])

    result = upgrade(fresh_db)
    assert result.returncode == 0, result.stderr
    assert fresh_db.revision() == HEAD
    app = app_on()
    assert schema_differences(app) == []
    assert stored_users(app) == {user.id: upgraded_form(user) for user in TUTORIAL_USERS}
    # Sessions point at users: the changes to the user table must leave them in place.
    sessions = [row[1] for row in fresh_db.rows("auth_session")]
    assert sessions == ([SESSION_ID] if at_second else [])


# Old data that breaks a new rule stops the upgrade, changing nothing


def clashing(id, user_name, email):
    return TutorialUser(
        id, "Sam", "Other", user_name, email, datetime(2018, 5, 5), "123456", 2, "", "", "user"
    )


# Each clash with how its test runs the upgrade: as an operator does for the clash in both
# columns, in this process for the others.
CLASHES = [
    pytest.param(
        [clashing(10, "SPChuang", "sam.other@example.com")],
        ["  user_name: id 1 'spchuang', id 10 'SPChuang'"],
        upgrade_in_process,
        id="user_name",
    ),
    pytest.param(
        [clashing(10, "samother", "TEST@gmail.com")],
        ["  email: id 1 'test@gmail.com', id 10 'TEST@gmail.com'"],
        upgrade_in_process,
        id="email",
    ),
    pytest.param(
        [
            clashing(10, "Tester7", "other10@example.com"),
            clashing(11, "TESTER7", "bob@example.org"),
        ],
        [
            "  user_name: id 7 'tester7', id 10 'Tester7', id 11 'TESTER7'",
            "  email: id 4 'BOB@EXAMPLE.ORG', id 11 'bob@example.org'",
        ],
        upgrade,
        id="both",
    ),
]


@pytest.mark.parametrize(("clash", "report", "run_upgrade"), CLASHES)
def test_upgrade_refuses_values_equal_but_for_case_and_changes_nothing(
    tutorial_db, clash, report, run_upgrade
):
    tutorial_db.insert("user", user_rows(tutorial_db, clash))
    before = tutorial_db.dump()

    result = run_upgrade(tutorial_db)
    assert result.returncode != 0
    assert "Nothing was changed. User names and emails must now be unique ignoring letter case" in (
        result.stderr
    )
    for line in report:
        assert f"\n{line}\n" in result.stderr
    assert "then run `python manage.py db upgrade` again" in result.stderr
    assert "Traceback" not in result.stderr
    assert tutorial_db.dump() == before
    assert tutorial_db.tables() == {"user"}


@pytest.mark.parametrize(("clash", "report", "run_upgrade"), CLASHES)
def test_upgrade_succeeds_once_the_clash_is_resolved_as_the_report_says(
    tutorial_db, app_on, clash, report, run_upgrade
):
    tutorial_db.insert("user", user_rows(tutorial_db, clash))
    result = run_upgrade(tutorial_db)
    fixes = re.findall(r'UPDATE "user" SET [^;]+;', result.stderr)
    # One statement for each row but the first of each group, and for no other row.
    later_rows = [int(id) for line in report for id in re.findall(r"id (\d+)", line)[1:]]
    assert sorted(int(fix.rsplit(" ", 1)[1].rstrip(";")) for fix in fixes) == sorted(later_rows)
    for fix in fixes:
        tutorial_db.execute(fix)

    result = run_upgrade(tutorial_db)
    assert result.returncode == 0, result.stderr
    assert tutorial_db.revision() == HEAD
    users = stored_users(app_on())
    # The first row of each group stays as it was; only the others were renamed.
    assert {id: users[id] for id in BY_ID} == {id: upgraded_form(u) for id, u in BY_ID.items()}
    assert set(users) == set(BY_ID) | {user.id for user in clash}


# Each table with how its test runs the upgrade: as an operator does for the first, in this
# process for the others.
OTHER_SHAPES = [
    pytest.param(
        'CREATE TABLE "user" (id INTEGER PRIMARY KEY, name VARCHAR(80), mail VARCHAR(120));'
        "INSERT INTO \"user\" VALUES (1, 'sam', 'sam@example.com');",
        "its columns are id, mail, name",
        upgrade,
        id="other columns",
    ),
    pytest.param(
        'CREATE TABLE "user" (id INTEGER PRIMARY KEY, first_name VARCHAR(64), '
        "last_name VARCHAR(64), user_name VARCHAR(64), email VARCHAR(64), created_on TIMESTAMP, "
        "password VARCHAR(80), role_code SMALLINT, phone VARCHAR(20));"
        "INSERT INTO \"user\" VALUES (1, 'Sam', 'C', 'sam', 's@example.com', "
        "'2015-01-01 00:00:00', 'x', 2, '555');",
        "its columns are created_on, email, first_name, id, last_name, password, phone, role_code,"
        " user_name",
        upgrade_in_process,
        id="a column more",
    ),
    pytest.param(
        'CREATE TABLE "user" (id INTEGER PRIMARY KEY, first_name VARCHAR(64), '
        "last_name VARCHAR(64), user_name VARCHAR(64), email VARCHAR(64), created_on TIMESTAMP, "
        "password VARCHAR(80));"
        "INSERT INTO \"user\" VALUES (1, 'Sam', 'C', 'sam', 's@example.com', "
        "'2015-01-01 00:00:00', 'x');",
        "its columns are created_on, email, first_name, id, last_name, password, user_name",
        upgrade_in_process,
        id="a column less",
    ),
]


@pytest.mark.parametrize(("script", "named", "run_upgrade"), OTHER_SHAPES)
def test_upgrade_refuses_a_user_table_of_another_shape(fresh_db, script, named, run_upgrade):
    for statement in script.split(";")[:-1]:
        fresh_db.execute(statement)
    before = fresh_db.dump()

    result = run_upgrade(fresh_db)
    assert result.returncode != 0
    assert 'Nothing was changed. The database has a table "user" that is not the tutorial\'s' in (
        result.stderr
    )
    assert named in result.stderr
    assert fresh_db.dump() == before
    assert fresh_db.tables() == {"user"}


# The tutorial's users keep their passwords


@pytest.mark.parametrize("user", TUTORIAL_USERS, ids=lambda user: user.user_name)
def test_tutorial_users_log_in_with_their_old_passwords(upgraded_db, app_on, user):
    """Short ones too: the password rule applies only when a password is set."""
    app = app_on()
    auth = AuthActions(app.test_client())
    response = auth.login(user.user_name, user.password)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["user_name"] == user.user_name
    rehashed = stored_hash(app, user.user_name)
    assert rehashed.startswith("$argon2id$")

    assert auth.logout().status_code == 200
    assert auth.login(user.user_name, user.password).status_code == 200
    assert stored_hash(app, user.user_name) == rehashed
    assert stored_users(app)[user.id]["login_count"] == 2


@pytest.mark.parametrize("password", ["wrong", "1234567", "12345", "123456 ", " 123456"])
def test_wrong_password_leaves_the_legacy_hash(upgraded_db, app_on, password):
    app = app_on()
    response = AuthActions(app.test_client()).login("spchuang", password)
    assert_error(response, 401, messages.INVALID_CREDENTIALS)
    assert stored_hash(app, "spchuang") == TUTORIAL_HASH
    assert stored_users(app)[SPCHUANG.id]["login_count"] == 0


@pytest.mark.parametrize(
    ("user_name", "typed", "status"),
    [
        pytest.param("tester7", FULLWIDTH, 200, id="fullwidth as typed"),
        pytest.param("tester7", ASCII_FORM, 401, id="fullwidth in NFKC form"),
        pytest.param("BOBSTONE", ASCII_FORM, 200, id="ascii as typed"),
        pytest.param("BOBSTONE", FULLWIDTH, 401, id="ascii typed fullwidth"),
        pytest.param("hugoAccent", DECOMPOSED, 200, id="decomposed as typed"),
        pytest.param("hugoAccent", COMPOSED, 401, id="decomposed in NFKC form"),
    ],
)
def test_legacy_hash_is_checked_against_the_password_as_typed(
    upgraded_db, app_on, user_name, typed, status
):
    app = app_on()
    response = AuthActions(app.test_client()).login(user_name, typed)
    assert response.status_code == status
    assert (stored_hash(app, user_name) == BY_NAME[user_name].hash) is (status == 401)


@pytest.mark.parametrize(
    ("login", "user_name"),
    [
        ("SPCHUANG", "spchuang"),
        ("test@gmail.com", "spchuang"),
        ("TEST@Gmail.Com", "spchuang"),
        ("annlee", "AnnLee"),
        ("ann.lee@example.com", "AnnLee"),
        ("ANN.LEE@EXAMPLE.COM", "AnnLee"),
        ("bobstone", "BOBSTONE"),
        ("bob@example.org", "BOBSTONE"),
        ("ZOË.K@BÜCHER.EXAMPLE", "tester7"),
        (" HugoAccent ", "hugoAccent"),
    ],
)
def test_legacy_users_log_in_by_email_and_in_any_case(upgraded_db, app_on, login, user_name):
    app = app_on()
    response = AuthActions(app.test_client()).login(login, BY_NAME[user_name].password)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["user_name"] == user_name
    assert stored_hash(app, user_name).startswith("$argon2id$")


def test_legacy_user_setting_a_password_meets_the_rule(upgraded_db, app_on):
    auth = AuthActions(app_on().test_client())
    assert auth.login("spchuang", "123456").status_code == 200
    for password, status in [("654321", 422), (NEW_PASSWORD, 200)]:
        fields = {"current_password": "123456", "password": password, "confirm": password}
        response = auth.post("/api/auth/change_password", data=fields)
        assert response.status_code == status, response.get_json()
    assert auth.login("spchuang", NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    "stored",
    [
        "pbkdf2:sha1:many$x8kBSPNw$92b15d93720e001a1cf6343f2b589cff0b198024",
        "pbkdf2:sha1:0$x8kBSPNw$92b15d93720e001a1cf6343f2b589cff0b198024",
        "pbkdf2:nosuchdigest:1000$x8kBSPNw$92b15d93720e001a1cf6343f2b589cff0b198024",
        "pbkdf2:sha1:1000:9$x8kBSPNw$92b15d93720e001a1cf6343f2b589cff0b198024",
        "pbkdf2:sha1:1000$x8kBSPNw",
    ],
)
def test_a_malformed_legacy_hash_is_a_wrong_password(fresh_db, app_on, stored):
    fresh_db.create_tutorial_schema()
    fresh_db.insert("user", user_rows(fresh_db, [SPCHUANG]))
    fresh_db.execute('UPDATE "user" SET password = :stored', {"stored": stored})
    assert upgrade_in_process(fresh_db).returncode == 0
    app = app_on()
    response = AuthActions(app.test_client()).login("spchuang", "123456")
    assert_error(response, 401, messages.INVALID_CREDENTIALS)
    assert stored_hash(app, "spchuang") == stored


def test_shell_authenticates_tutorial_users_after_upgrade(upgraded_db):
    session = (
        "u, ok = models.User.authenticate('spchuang', '123456'); print(u, ok)\n"
        "u, ok = models.User.authenticate('spchuang', 'test'); print(u, ok)\n"
        "u, ok = models.User.authenticate('ann.lee@example.com', 'secret'); print(u, ok)\n"
        "print(models.User.is_user_name_taken('SPCHUANG'))\n"
    )
    result = manage(upgraded_db, "shell", stdin=session)
    assert result.returncode == 0, result.stderr
    assert shell_output(result.stdout) == [
        "<User 'spchuang'> True",
        "<User 'spchuang'> False",
        "<User 'AnnLee'> True",
        "True",
    ]


@pytest.mark.timing
def test_a_legacy_account_answers_no_faster_than_an_argon2_account(upgraded_db, app_on):
    """Wrong passwords, timed in turns at production's argon2id cost, throttling off.

    Without the dummy argon2 verification beside the legacy check the ratio falls to
    about 0.1: pbkdf2:sha1 at 1,000 rounds takes well under a millisecond.
    """
    app = app_on(
        ARGON2_TIME_COST=ProductionConfig.ARGON2_TIME_COST,
        ARGON2_MEMORY_COST=ProductionConfig.ARGON2_MEMORY_COST,
        ARGON2_PARALLELISM=ProductionConfig.ARGON2_PARALLELISM,
    )
    assert AuthActions(app.test_client()).signup().status_code == 201
    ratio = failure_time_ratio(AuthActions(app.test_client()), "spchuang", "alice")
    assert 0.5 <= ratio <= 2, ratio
    assert stored_hash(app, "spchuang") == TUTORIAL_HASH
