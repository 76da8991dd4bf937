"""manage.py's commands (initdb, shell, createuser, runserver, db upgrade) and run.py.

Most run through ``app.test_cli_runner()``; where the real entry point matters (a piped
shell, a server, Alembic's own command line) they run as ``python manage.py`` does. Of the
migration tests, the step that each is about (an upgrade from a given revision, a refusal, a
downgrade) runs as ``python manage.py db`` once per scenario; the steps that only bring a
database to a revision run the same ``db`` command in this process (``manage_in_process``).
"""

import ipaddress
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.cli import ScriptInfo
from sqlalchemy import inspect, select, update
from sqlalchemy.pool import NullPool

from app import create_app
from app.common import messages
from app.common.time import utcnow
from app.config import Config
from app.config_loading import database_url as driver_url
from app.extensions import db
from app.mail.outbox import FAILED, PENDING, SENT, OutboxMessage
from app.sessions.models import AuthSession
from app.users import constants
from app.users.models import User
from devtools.processes import Server, free_port
from tests.helpers import (
    HEAD_TABLES,
    PASSKEY_TABLES,
    PASSWORD,
    ROOT,
    SEALED_KEY_TABLES,
    SECOND_FACTOR_TABLES,
    TOKEN_TABLES,
    purged,
)
from tests.plugins.databases import make_app

HEAD = ScriptDirectory(str(ROOT / "migrations")).get_current_head()
FIRST_REVISION = "0001_tutorial_schema"
TIMEOUT = 60
GENERATED_PASSWORD = re.compile(r"Its password is: (\S+)")
# The README's sample password (a passphrase the password rule accepts), and another one.
SAMPLE_PASSWORD = "velvet-harbor-quince-drum"
OTHER_PASSWORD = "amber-falcon-ridge-lantern"
# The hash that the tutorial's initdb stored for '123456' (Werkzeug 0.10, pbkdf2:sha1:1000).
TUTORIAL_HASH = "pbkdf2:sha1:1000$x8kBSPNw$92b15d93720e001a1cf6343f2b589cff0b198024"
# The table that the tutorial's own initdb made (db.create_all()), before this project had
# migrations, on whichever database it ran.
TUTORIAL_METADATA = sa.MetaData()
TUTORIAL_TABLE = sa.Table(
    "user",
    TUTORIAL_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("first_name", sa.String(64), nullable=False),
    sa.Column("last_name", sa.String(64), nullable=False),
    sa.Column("user_name", sa.String(64), nullable=False, unique=True, index=True),
    sa.Column("email", sa.String(64), nullable=False, unique=True, index=True),
    sa.Column("created_on", sa.DateTime, nullable=False),
    sa.Column("password", sa.String(80), nullable=False),
    sa.Column("role_code", sa.SmallInteger, nullable=False),
)
TUTORIAL_ROWS = [
    (1, "Sam", "Chuang", "spchuang", "test@gmail.com", "2015-03-01 10:20:30.000000", 2),
    (2, "Ann", "Lee", "AnnLee", "Ann.Lee@Example.COM", "2015-04-02 11:00:00.000000", 0),
]


def environment(database_url, **extra):
    return {
        **os.environ,
        "APP_CONFIG": "testing",
        "DATABASE_URL": database_url,
        **extra,
    }


def manage(database_url, *args, stdin=None, **extra):
    """Run ``python manage.py ARGS`` as an operator does, on the database given, with the
    environment variables ``extra`` besides."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment(database_url, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def manage_in_process(database_url, *args):
    """``python manage.py ARGS`` without the new interpreter: the same Click command, run in
    this process on an app of its own made by ``create_app`` on ``database_url``, as manage.py
    makes one. A CompletedProcess, as ``manage`` returns: the exit status, stdout and stderr
    (Alembic's and Flask-Migrate's log lines included). An exception the command lets through
    is raised, where manage.py would print its traceback and exit 1."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    try:
        result = app.test_cli_runner().invoke(args=list(args))
    finally:
        app.extensions["mail_sender"].stop()
        with app.app_context():
            db.engine.dispose()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def shell_output(stdout):
    """What the piped code printed, without the interpreter's ``>>>`` and ``...`` prompts."""
    return [line for line in re.sub(r"(>>> |\.\.\. )+", "", stdout).splitlines() if line]


def all_users(app):
    with app.app_context():
        return {user.user_name: user for user in db.session.scalars(select(User))}


def add_user(app, user_name, email):
    with app.app_context():
        db.session.add(
            User(user_name=user_name, email=email, first_name="A", last_name="B", password=PASSWORD)
        )
        db.session.commit()


def authenticate(app, login, password):
    with app.app_context():
        return User.authenticate(login, password)[1]


def run_on(database_url, work):
    """``work(connection)`` on a connection of its own to ``database_url``, committed."""
    engine = sa.create_engine(driver_url(database_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            return work(connection)
    finally:
        engine.dispose()


def revision(database_url):
    query = sa.text("SELECT version_num FROM alembic_version")
    return run_on(database_url, lambda connection: connection.scalar(query))


def tables(database_url):
    return run_on(database_url, lambda connection: set(inspect(connection).get_table_names()))


def insert_tutorial_rows(database_url, rows=TUTORIAL_ROWS):
    columns = ("id", "first_name", "last_name", "user_name", "email", "created_on", "role_code")
    values = [{**dict(zip(columns, row, strict=True)), "password": TUTORIAL_HASH} for row in rows]
    for value in values:
        value["created_on"] = datetime.fromisoformat(value["created_on"])
    run_on(database_url, lambda connection: connection.execute(TUTORIAL_TABLE.insert(), values))


def schema_differences(app):
    """What Alembic's autogenerate would change to make the database match the models."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def drop_every_table(connection):
    tables = sa.MetaData()
    tables.reflect(connection)
    tables.drop_all(connection)


@pytest.fixture
def empty_database(database_url):
    """This test's database (the one ``app`` uses), emptied: no tables at all."""
    run_on(database_url, drop_every_table)
    return database_url


# initdb


def test_initdb_upgrades_empty_database_and_adds_sample_user(app, empty_database):
    result = app.test_cli_runner().invoke(args=["initdb", "--sample-password", SAMPLE_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created sample user spchuang <test@gmail.com>." in result.output
    assert "Its password is" not in result.output
    assert revision(empty_database) == HEAD
    user = all_users(app)["spchuang"]
    assert (user.email, user.first_name, user.last_name) == ("test@gmail.com", "Sam", "Chuang")
    assert (user.role_code, user.role) == (constants.USER, "user")


@pytest.mark.parametrize("password", [SAMPLE_PASSWORD, PASSWORD])
def test_initdb_takes_a_sample_password_that_passes_the_rule(app, runner, password):
    result = runner.invoke(args=["initdb", "--sample-password", password])
    assert result.exit_code == 0, result.output
    assert password not in result.output
    assert authenticate(app, "spchuang", password)
    assert not authenticate(app, "spchuang", password + "!")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("qwertyuiopasdfgh", f"{messages.PASSWORD_WEAK} This is similar to a commonly used"),
        ("Spchuang-Rocket-Fjord-9", messages.PASSWORD_PERSONAL),
        ("Rocket-Fjord-9-Chuang", messages.PASSWORD_PERSONAL),
        # The README's sample password until issue 23.
        ("pick-one", ""),
    ],
    ids=["common", "user name", "last name", "old readme"],
)
@pytest.mark.parametrize("drop", [[], ["--drop", "--yes"]], ids=["plain", "drop"])
def test_initdb_applies_the_password_rule_before_changing_anything(
    app, empty_database, password, message, drop
):
    """As signup does: the rule's message, exit 1, and not even --drop runs."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    add_user(app, "alice", "alice@example.com")
    result = runner.invoke(args=["initdb", *drop, "--sample-password", password])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"password: {message}")
    assert password not in result.output
    assert set(all_users(app)) == {"alice"}


def test_the_readme_s_sample_password_passes_the_rule(app, runner):
    (shown,) = re.findall(r"initdb --sample-password '([^']+)'", (ROOT / "README.md").read_text())
    assert shown == SAMPLE_PASSWORD
    assert runner.invoke(args=["initdb", "--sample-password", shown]).exit_code == 0


def test_initdb_generates_and_prints_password(app, runner):
    result = runner.invoke(args=["initdb"])
    assert result.exit_code == 0, result.output
    password = GENERATED_PASSWORD.search(result.output).group(1)
    assert len(password) >= 32
    assert authenticate(app, "spchuang", password)


def test_initdb_refuses_empty_sample_password(app, runner):
    result = runner.invoke(args=["initdb", "--sample-password", ""])
    assert result.exit_code != 0
    assert "--sample-password" in result.output
    assert all_users(app) == {}


def test_initdb_leaves_existing_sample_user_and_data(app, runner):
    assert runner.invoke(args=["initdb", "--sample-password", SAMPLE_PASSWORD]).exit_code == 0
    add_user(app, "alice", "alice@example.com")
    stored_hash = all_users(app)["spchuang"].password

    result = runner.invoke(args=["initdb", "--sample-password", OTHER_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Sample user spchuang already exists; left as it is." in result.output
    users = all_users(app)
    assert set(users) == {"spchuang", "alice"}
    assert users["spchuang"].password == stored_hash
    assert authenticate(app, "spchuang", SAMPLE_PASSWORD)
    assert not authenticate(app, "spchuang", OTHER_PASSWORD)


def test_initdb_drop_without_yes_deletes_nothing(app, runner):
    add_user(app, "alice", "alice@example.com")
    result = runner.invoke(args=["initdb", "--drop"])
    assert result.exit_code != 0
    assert "--drop deletes every table and row: add --yes to confirm." in result.output
    assert set(all_users(app)) == {"alice"}


def test_initdb_drop_yes_starts_afresh(app, runner, database_url):
    add_user(app, "alice", "alice@example.com")
    result = runner.invoke(args=["initdb", "--drop", "--yes", "--sample-password", OTHER_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Dropped every table." in result.output
    assert set(all_users(app)) == {"spchuang"}
    assert authenticate(app, "spchuang", OTHER_PASSWORD)
    assert revision(database_url) == HEAD
    assert schema_differences(app) == []


# --help


def registered_commands(app):
    """Every command manage.py has: the app's, those of Flask's group itself, and those that
    packages register as Flask plugins (Flask-Limiter's)."""
    from manage import cli

    return set(cli.list_commands(click.Context(cli, obj=ScriptInfo(create_app=lambda: app))))


def test_manage_py_help_lists_every_command_on_one_plain_line(app, database_url):
    result = manage(database_url, "--help")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("\nCommands:\n", 1)[1]
    # One line each: a description wrapped onto a second line would start further in.
    lines = section.splitlines()
    assert all(re.fullmatch(r"  \S+ +\S.*", line) for line in lines), section
    listed = dict(line.split(maxsplit=1) for line in lines)
    assert set(listed) == registered_commands(app)
    assert len(listed) == 14
    for summary in listed.values():
        assert summary.endswith(".") and not summary.endswith("..."), summary
    assert "Flask-Script" not in result.stdout


def test_the_operations_guide_names_every_command(app):
    text = (ROOT / "docs" / "operations.md").read_text().split("## manage.py", 1)[1]
    named = set(re.findall(r"^\| `python manage\.py ([a-z-]+)", text, re.M))
    assert named == registered_commands(app)


# shell


def test_shell_runs_the_tutorials_session(empty_database):
    database = empty_database
    assert manage(database, "initdb", "--sample-password", SAMPLE_PASSWORD).returncode == 0
    session = "\n".join(
        [
            "user, authenticated = models.User.authenticate('random_user', 'test')",
            "print(user, authenticated)",
            "user, authenticated = models.User.authenticate('spchuang', 'test')",
            "print(user, authenticated)",
            f"u, ok = models.User.authenticate('spchuang', '{SAMPLE_PASSWORD}'); print(u, ok)",
            "print(models.User.is_user_name_taken('spchuang'))",
            "print(models.User.is_email_taken('test@gmail.com'))",
        ]
    )
    result = manage(database, "shell", stdin=session + "\n")
    assert result.returncode == 0, result.stderr
    assert shell_output(result.stdout) == [
        "None False",
        "<User 'spchuang'> False",
        "<User 'spchuang'> True",
        "True",
        "True",
    ]


def test_shell_has_app_db_models_and_user(database_url):
    code = (
        "print(type(app).__name__, type(db).__name__, models.__name__, User is models.User)\n"
        "print(app.config['SQLALCHEMY_DATABASE_URI'])\n"
        # A block, ended by a blank line, as typed into the interactive interpreter.
        "for name in ('alice', 'bob'):\n"
        "    print(name, User.is_user_name_taken(name))\n"
        "\n"
    )
    result = manage(database_url, "shell", stdin=code)
    assert result.returncode == 0, result.stderr
    assert shell_output(result.stdout) == [
        "Flask SQLAlchemy app.models True",
        driver_url(database_url),
        "alice False",
        "bob False",
    ]


# createuser


def createuser(runner, user_name="bobby", email="bob@example.com", *extra, stdin=PASSWORD):
    args = ["createuser", user_name, email, "--first-name", "Bob", "--last-name", "Builder"]
    return runner.invoke(args=[*args, *extra, "--password-stdin"], input=stdin + "\n")


def test_createuser_reads_password_from_stdin(app, runner):
    result = createuser(runner)
    assert result.exit_code == 0, result.output
    assert "Created user bobby <bob@example.com> with role user." in result.output
    user = all_users(app)["bobby"]
    assert (user.email, user.first_name, user.last_name) == ("bob@example.com", "Bob", "Builder")
    assert authenticate(app, "bobby", PASSWORD)


def test_createuser_prompts_for_password_with_confirmation(app, runner):
    args = ["createuser", "bobby", "bob@example.com", "--first-name", "Bob", "--last-name", "B"]
    result = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output
    assert "Repeat for confirmation:" in result.output
    assert PASSWORD not in result.output
    assert authenticate(app, "bob@example.com", PASSWORD)


def test_createuser_refuses_mismatched_confirmation(app, runner):
    args = ["createuser", "bobby", "bob@example.com", "--first-name", "Bob", "--last-name", "B"]
    result = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}x\n")
    assert result.exit_code != 0
    assert "The two entered values do not match." in result.output
    assert all_users(app) == {}


@pytest.mark.parametrize("role", list(constants.ROLE_BY_NAME))
def test_createuser_stores_role(app, runner, role):
    result = createuser(runner, "bobby", "bob@example.com", "--role", role)
    assert result.exit_code == 0, result.output
    assert f"with role {role}." in result.output
    user = all_users(app)["bobby"]
    assert (user.role_code, user.role) == (constants.ROLE_BY_NAME[role], role)


@pytest.mark.parametrize(
    ("user_name", "email", "extra", "password", "message"),
    [
        ("bo-b", "bob@example.com", [], PASSWORD, messages.USER_NAME_CHARACTERS),
        (
            "bob",
            "bob@example.com",
            [],
            PASSWORD,
            messages.USER_NAME_LENGTH.format(
                min=constants.MIN_USERNAME_LEN, max=constants.MAX_USERNAME_LEN
            ),
        ),
        ("bobby", "not-an-email", [], PASSWORD, messages.EMAIL_INVALID),
        (
            "bobby",
            "bob@example.com",
            [],
            "short",
            messages.PASSWORD_LENGTH.format(
                min=Config.PASSWORD_MIN_LENGTH, max=constants.MAX_PASSWORD_LEN
            ),
        ),
        ("bobby", "bob@example.com", [], "", messages.FIELD_REQUIRED),
        ("bobby", "bob@example.com", ["--first-name", "  "], PASSWORD, messages.FIELD_REQUIRED),
        ("bobby", "bob@example.com", ["--role", "root"], PASSWORD, "Invalid value for '--role'"),
    ],
)
def test_createuser_refuses_invalid_input(app, runner, user_name, email, extra, password, message):
    result = createuser(runner, user_name, email, *extra, stdin=password)
    assert result.exit_code != 0
    assert message in result.output
    assert all_users(app) == {}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (
            "Password1234567",
            f"password: {messages.PASSWORD_WEAK} This is similar to a commonly used password.",
        ),
        ("Builder#Zq8vT2!x", f"password: {messages.PASSWORD_PERSONAL}"),
        ("Zq8#vT2!x-BOBBY", f"password: {messages.PASSWORD_PERSONAL}"),
    ],
)
def test_createuser_applies_the_password_rule(app, runner, password, message):
    result = createuser(runner, stdin=password)
    assert result.exit_code != 0
    assert message in result.output
    assert password not in result.output
    assert all_users(app) == {}


@pytest.mark.parametrize(
    ("user_name", "email", "message"),
    [
        ("ALICE", "other@example.com", "user_name: ALICE is already taken."),
        ("other", "Alice@EXAMPLE.com", "email: Alice@example.com is already taken."),
    ],
)
def test_createuser_refuses_taken_name_or_email_in_any_case(app, runner, user_name, email, message):
    add_user(app, "alice", "alice@example.com")
    result = createuser(runner, user_name, email)
    assert result.exit_code != 0
    assert message in result.output
    assert set(all_users(app)) == {"alice"}


def test_createuser_reads_piped_password(app, database_url):
    result = manage(
        database_url,
        *("createuser", "carol1", "carol@example.com", "--first-name", "Carol"),
        *("--last-name", "Ann", "--role", "staff", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "Created user carol1 <carol@example.com> with role staff." in result.stdout
    assert all_users(app)["carol1"].role == "staff"
    assert authenticate(app, "CAROL1", PASSWORD)


# runserver and run.py


def listening_addresses(port):
    """The local addresses with a TCP socket listening on ``port``, from Linux's /proc."""
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            # /proc prints each 32-bit word of the address in host (little-endian) order.
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(str(ipaddress.ip_address(raw)))
    return found


@pytest.fixture
def start(tmp_path):
    """Start a server command on a free port; every one started is stopped afterwards."""
    servers = []

    def start(command, database_url, port, **extra):
        env = environment(database_url, **extra)
        log_path = tmp_path / f"server{len(servers)}.log"
        servers.append(Server(command, port, env, log_path).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize("host", [[], ["--host", "127.0.0.1"]])
def test_runserver_serves_on_loopback_only(start, database_url, host):
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", *host, "--port", str(port)]
    server = start(command, database_url, port)
    assert listening_addresses(port) == {"127.0.0.1"}
    assert f"Running on http://127.0.0.1:{port}" in server.log()


def test_runserver_defaults(runner):
    result = runner.invoke(args=["runserver", "--help"])
    assert result.exit_code == 0
    assert re.search(r"--host TEXT\s+\[default: 127\.0\.0\.1\]", result.output)
    assert re.search(r"--port INTEGER\s+\[default: 5000\]", result.output)


def test_run_py_serves_on_loopback_port_without_debug(start, database_url):
    """It prints the address where passkeys work, localhost, and listens on loopback only."""
    port = free_port()
    server = start([sys.executable, "run.py"], database_url, port, PORT=str(port))
    assert listening_addresses(port) == {"127.0.0.1"}
    log = server.log()
    assert f"Running on http://localhost:{port}" in log
    assert "Running on http://127.0.0.1" not in log
    assert "Debug mode: off" in log


# db upgrade


def test_db_upgrade_brings_empty_database_to_head(app, empty_database):
    result = manage(empty_database, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert revision(empty_database) == HEAD
    assert tables(empty_database) == HEAD_TABLES
    assert schema_differences(app) == []


def test_db_upgrade_from_first_revision_keeps_rows(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade", FIRST_REVISION).returncode == 0
    insert_tutorial_rows(empty_database)

    result = manage(empty_database, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert revision(empty_database) == HEAD
    assert schema_differences(app) == []
    users = all_users(app)
    assert set(users) == {"spchuang", "AnnLee"}
    ann = users["AnnLee"]
    assert (ann.id, ann.first_name, ann.role) == (2, "Ann", "admin")
    assert ann.email == "Ann.Lee@Example.COM"
    assert (ann.user_name_key, ann.email_key) == ("annlee", "ann.lee@example.com")
    assert ann.to_json()["created_on"] == "2015-04-02T11:00:00Z"
    assert ann.password == TUTORIAL_HASH
    with app.app_context():
        assert User.is_user_name_taken("ANNLEE")
        assert User.is_email_taken("ann.lee@example.com")
        assert User.find_by_login("SPCHUANG").email == "test@gmail.com"


def test_db_upgrade_adopts_the_tutorials_own_database(app, empty_database):
    run_on(empty_database, TUTORIAL_METADATA.create_all)
    insert_tutorial_rows(empty_database)

    result = manage_in_process(empty_database, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert revision(empty_database) == HEAD
    assert schema_differences(app) == []
    assert set(all_users(app)) == {"spchuang", "AnnLee"}


PRE_VERSIONS = "0003_account_trail"
CREDENTIAL_VERSIONS = "0004_credential_version"
SHARP_S_EMAIL = "Stra\u00dfe@example.com"


def insert_user_at_0003(connection):
    """A user whose 0003 email key is case-folded (``strasse@``), with one session."""
    connection.execute(
        sa.text(
            'INSERT INTO "user" (id, first_name, last_name, user_name, email, user_name_key,'
            " email_key, created_on, role_code, password, login_count) VALUES (1, 'A', 'B',"
            " 'alice', :email, 'alice', 'strasse@example.com', :now, 2, 'x', 1)"
        ),
        {"email": SHARP_S_EMAIL, "now": utcnow()},
    )
    connection.execute(
        sa.text(
            "INSERT INTO auth_session (id, public_id, token_hash, user_id, created_at,"
            " last_seen_at, remember) VALUES (1, 'p', 't', 1, :now, :now, false)"
        ),
        {"now": utcnow()},
    )


def user_row(database_url):
    query = sa.text('SELECT email_key, credential_version FROM "user"')
    return tuple(run_on(database_url, lambda connection: connection.execute(query).one()))


def test_db_upgrade_to_credential_versions_rekeys_emails(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade", PRE_VERSIONS).returncode == 0
    run_on(empty_database, insert_user_at_0003)
    result = manage(empty_database, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert user_row(empty_database) == ("stra\u00dfe@example.com", 0)
    query = sa.text("SELECT credential_version FROM auth_session")
    assert run_on(empty_database, lambda connection: connection.scalar(query)) == 0
    assert schema_differences(app) == []
    with app.app_context():
        assert not User.is_email_taken("strasse@example.com")
        assert User.is_email_taken("STRA\u00dfE@example.com")


def test_db_downgrade_from_credential_versions_case_folds_again(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade", PRE_VERSIONS).returncode == 0
    run_on(empty_database, insert_user_at_0003)
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    result = manage(empty_database, "db", "downgrade", PRE_VERSIONS)
    assert result.returncode == 0, result.stderr
    query = sa.text('SELECT email_key FROM "user"')
    assert run_on(empty_database, lambda connection: connection.scalar(query)) == (
        "strasse@example.com"
    )


# The refusal runs as the operator runs it for one clash, in this process for the other.
@pytest.mark.parametrize(
    ("rows", "named", "upgrade"),
    [
        pytest.param(
            [
                (1, "Sam", "Chuang", "Sam", "sam1@example.com", "2015-01-01 00:00:00", 2),
                (2, "Sam", "Other", "sam", "sam2@example.com", "2015-01-01 00:00:00", 2),
            ],
            "user_name: id 1 'Sam', id 2 'sam'",
            manage,
            id="user_name",
        ),
        pytest.param(
            [
                (1, "Sam", "Chuang", "sam1", "Sam@example.com", "2015-01-01 00:00:00", 2),
                (2, "Sam", "Other", "sam2", "sam@Example.com", "2015-01-01 00:00:00", 2),
            ],
            "email: id 1 'Sam@example.com', id 2 'sam@Example.com'",
            manage_in_process,
            id="email",
        ),
    ],
)
def test_db_upgrade_refuses_duplicates_ignoring_case(app, empty_database, rows, named, upgrade):
    assert manage_in_process(empty_database, "db", "upgrade", FIRST_REVISION).returncode == 0
    insert_tutorial_rows(empty_database, rows)

    result = upgrade(empty_database, "db", "upgrade")
    assert result.returncode != 0
    assert named in result.stderr
    assert revision(empty_database) == FIRST_REVISION
    assert tables(empty_database) == {"alembic_version", "user"}
    count = sa.select(sa.func.count()).select_from(TUTORIAL_TABLE)
    assert run_on(empty_database, lambda connection: connection.scalar(count)) == 2
    with app.app_context():
        assert "user_name_key" not in {c["name"] for c in inspect(db.engine).get_columns("user")}


# purge-sessions

# (name, remember-me, created this long ago, last seen this long ago, expired)
SESSION_AGES = [
    ("fresh", False, timedelta(minutes=5), timedelta(minutes=1), False),
    ("nearly idle", False, timedelta(hours=2), timedelta(minutes=59), False),
    ("idle", False, timedelta(hours=2), timedelta(hours=1, minutes=1), True),
    ("nearly too old", False, timedelta(hours=11, minutes=59), timedelta(minutes=1), False),
    ("too old", False, timedelta(hours=12, minutes=1), timedelta(minutes=1), True),
    ("remembered, idle for weeks", True, timedelta(days=29), timedelta(days=20), False),
    ("remembered too long", True, timedelta(days=30, minutes=1), timedelta(minutes=1), True),
]
LIVE_SESSIONS = {name for name, *_, expired in SESSION_AGES if not expired}


def add_sessions(app, ages=SESSION_AGES, user_name="bobby"):
    """Give a new user one session record per row of ``ages``; ``{name: public_id}``."""
    now = utcnow()
    with app.app_context():
        user = User(
            user_name=user_name,
            email=f"{user_name}@example.com",
            first_name="Bob",
            last_name="Stone",
            password=PASSWORD,
            role_code=constants.USER,
        )
        ids = {}
        for name, remember, created, seen, _ in ages:
            record, _token = AuthSession.issue(
                user, remember, "192.0.2.1", "test", user.credential_version, now - created
            )
            record.last_seen_at = now - seen
            db.session.add(record)
            ids[name] = record.public_id
        db.session.commit()
    return ids


def session_names(app, ids):
    with app.app_context():
        kept = set(db.session.scalars(select(AuthSession.public_id)))
    return {name for name, public_id in ids.items() if public_id in kept}


def test_purge_sessions_deletes_exactly_the_expired_records(app, runner, auth, client):
    assert auth.signup().status_code == 201
    ids = add_sessions(app)
    with app.app_context():
        # SQLite hands the timestamps back naive (PostgreSQL aware): the purge must compare
        # them as UTC either way.
        stored = db.session.scalars(select(AuthSession.created_at)).first()
        assert (stored.tzinfo is None) is (db.engine.dialect.name == "sqlite")
    result = runner.invoke(args=["purge-sessions"])
    assert result.exit_code == 0, result.output
    assert purged(result.output) == (3, 0)
    assert session_names(app, ids) == LIVE_SESSIONS
    assert client.get("/api/auth/verify_auth").status_code == 200


def test_purge_sessions_again_deletes_nothing(app, runner):
    ids = add_sessions(app)
    assert runner.invoke(args=["purge-sessions"]).exit_code == 0
    result = runner.invoke(args=["purge-sessions"])
    assert result.exit_code == 0
    assert purged(result.output) == (0, 0)
    assert session_names(app, ids) == LIVE_SESSIONS


def test_purge_sessions_leaves_live_records_alone(app, runner):
    live = [row for row in SESSION_AGES if not row[-1]]
    ids = add_sessions(app, live)
    result = runner.invoke(args=["purge-sessions"])
    assert purged(result.output) == (0, 0)
    assert session_names(app, ids) == LIVE_SESSIONS


@pytest.mark.parametrize(
    ("key", "remember", "idle"),
    [
        ("SESSION_IDLE_TIMEOUT", False, True),
        ("SESSION_ABSOLUTE_LIFETIME", False, False),
        ("PERMANENT_SESSION_LIFETIME", True, False),
    ],
)
def test_purge_sessions_follows_the_configured_lifetimes(
    database_url, monkeypatch, key, remember, idle
):
    """Each lifetime set to ten minutes: a record nine minutes along stays, eleven goes."""
    monkeypatch.setenv(f"FLASK_{key}", "600")
    app = make_app(database_url)
    ages = [
        (name, remember, minutes, minutes if idle else timedelta(0), expired)
        for name, minutes, expired in (
            ("young", timedelta(minutes=9), False),
            ("old", timedelta(minutes=11), True),
        )
    ]
    ids = add_sessions(app, ages)
    result = app.test_cli_runner().invoke(args=["purge-sessions"])
    assert purged(result.output) == (1, 0)
    assert session_names(app, ids) == {"young"}
    with app.app_context():
        db.engine.dispose()


def session_deletes(statements):
    return [item for item in statements if item.upper().startswith("DELETE FROM AUTH_SESSION")]


@pytest.mark.parametrize(("batch", "deletes"), [(1, 3), (2, 2), (3, 1), (10_000, 1)])
def test_purge_sessions_deletes_in_batches(app, runner, statements, batch, deletes):
    """Three expired records among four live ones: one DELETE per batch, each committed,
    and no empty DELETE after the last."""
    app.config["PURGE_BATCH_SIZE"] = batch
    ids = add_sessions(app)
    statements.clear()
    result = runner.invoke(args=["purge-sessions"])
    assert purged(result.output) == (3, 0)
    assert session_names(app, ids) == LIVE_SESSIONS
    assert len(session_deletes(statements)) == deletes


def test_a_batch_deletes_only_what_is_expired_when_it_runs(app, runner):
    """Live records between expired ones, in id order, stay whatever the batch size."""
    app.config["PURGE_BATCH_SIZE"] = 2
    ages = [(f"{name} {round}", *rest) for round in (1, 2) for name, *rest in SESSION_AGES]
    ids = add_sessions(app, ages)
    assert purged(runner.invoke(args=["purge-sessions"]).output) == (6, 0)
    assert session_names(app, ids) == {
        f"{name} {round}" for round in (1, 2) for name in LIVE_SESSIONS
    }


def test_manage_py_purge_sessions(app, database_url):
    ids = add_sessions(app)
    with app.app_context():
        db.engine.dispose()
    result = manage(database_url, "purge-sessions")
    assert result.returncode == 0, result.stderr
    assert purged(result.stdout) == (3, 0)
    assert session_names(app, ids) == LIVE_SESSIONS


# deliver-mail, and the confirmation that createuser queues


def test_deliver_mail_once_sends_what_is_due(mail_app, smtp_server):
    runner = mail_app.test_cli_runner()
    created = runner.invoke(
        args=["createuser", "carol", "carol@example.com", "--first-name", "Carol",
              "--last-name", "Ng", "--password-stdin"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    result = runner.invoke(args=["deliver-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output == "Sent 1 message(s).\n"
    (message,) = smtp_server.messages
    assert message["To"] == "carol@example.com"
    assert message["Subject"] == "Confirm your email address"
    assert runner.invoke(args=["deliver-mail", "--once"]).output == "Sent 0 message(s).\n"


def test_initdb_sends_the_sample_user_nothing(mail_app, smtp_server):
    runner = mail_app.test_cli_runner()
    assert runner.invoke(args=["initdb", "--sample-password", SAMPLE_PASSWORD]).exit_code == 0
    assert runner.invoke(args=["deliver-mail", "--once"]).output == "Sent 0 message(s).\n"


def test_db_upgrade_to_reauthentication_dates_each_session_s_proof_at_its_start(
    app, empty_database
):
    assert manage_in_process(empty_database, "db", "upgrade", CREDENTIAL_VERSIONS).returncode == 0
    run_on(empty_database, insert_user_at_0003)
    result = manage(empty_database, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    query = sa.text("SELECT created_at, verified_at FROM auth_session")
    ((created_at, verified_at),) = run_on(
        empty_database, lambda connection: connection.execute(query).all()
    )
    assert verified_at == created_at
    result = manage_in_process(empty_database, "db", "downgrade", "0005_mail")
    assert result.returncode == 0, result.stderr
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0


def test_db_upgrade_to_mail_leaves_every_account_unconfirmed_and_downgrades(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade", CREDENTIAL_VERSIONS).returncode == 0
    run_on(empty_database, insert_user_at_0003)
    result = manage_in_process(empty_database, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    query = sa.text('SELECT email_confirmed_at FROM "user"')
    assert run_on(empty_database, lambda connection: connection.execute(query).all()) == [(None,)]
    assert schema_differences(app) == []
    result = manage_in_process(empty_database, "db", "downgrade", CREDENTIAL_VERSIONS)
    assert result.returncode == 0, result.stderr
    mail_tables = {"account_token", "outbox"}
    later = mail_tables | SECOND_FACTOR_TABLES | PASSKEY_TABLES | SEALED_KEY_TABLES | TOKEN_TABLES
    assert tables(empty_database) == HEAD_TABLES - later
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0


def test_db_upgrade_to_second_factor_matches_the_models_and_downgrades(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    assert schema_differences(app) == []
    result = manage_in_process(empty_database, "db", "downgrade", "0006_reauthentication")
    assert result.returncode == 0, result.stderr
    later = SECOND_FACTOR_TABLES | PASSKEY_TABLES | SEALED_KEY_TABLES | TOKEN_TABLES
    assert tables(empty_database) == HEAD_TABLES - later
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    assert tables(empty_database) == HEAD_TABLES


def test_db_upgrade_to_passkeys_matches_the_models_and_downgrades(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    assert schema_differences(app) == []
    result = manage_in_process(empty_database, "db", "downgrade", "0007_second_factor")
    assert result.returncode == 0, result.stderr
    assert tables(empty_database) == HEAD_TABLES - PASSKEY_TABLES - SEALED_KEY_TABLES - TOKEN_TABLES
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0


def _user_ids(connection):
    return connection.scalars(sa.text('SELECT id FROM "user" ORDER BY id')).all()


def _user_table_sql(connection):
    query = sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'user'")
    return connection.scalar(query)


@pytest.mark.sqlite
def test_db_upgrade_to_hardening_keeps_rows_and_never_reuses_a_user_id(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade", CREDENTIAL_VERSIONS).returncode == 0
    run_on(empty_database, insert_user_at_0003)
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    assert schema_differences(app) == []
    assert "AUTOINCREMENT" in run_on(empty_database, _user_table_sql)
    # The session of the user survived the table's copy: no cascade ran.
    sessions = sa.text("SELECT count(*) FROM auth_session")
    assert run_on(empty_database, lambda connection: connection.scalar(sessions)) == 1

    runner = app.test_cli_runner()
    for user_name in ("bobby", "carol"):
        created = runner.invoke(
            args=["createuser", user_name, f"{user_name}@example.com", "--first-name", "A",
                  "--last-name", "B", "--password-stdin"],
            input=PASSWORD + "\n",
        )  # fmt: skip
        assert created.exit_code == 0, created.output
    assert run_on(empty_database, _user_ids) == [1, 2, 3]
    assert runner.invoke(args=["users", "delete", "carol", "--yes"]).exit_code == 0
    created = runner.invoke(
        args=["createuser", "david", "david@example.com", "--first-name", "A",
              "--last-name", "B", "--password-stdin"],
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert run_on(empty_database, _user_ids) == [1, 2, 4]

    result = manage_in_process(empty_database, "db", "downgrade", "0009_disabled_accounts")
    assert result.returncode == 0, result.stderr
    assert "AUTOINCREMENT" not in run_on(empty_database, _user_table_sql)
    assert tables(empty_database) == HEAD_TABLES - SEALED_KEY_TABLES - TOKEN_TABLES
    assert run_on(empty_database, _user_ids) == [1, 2, 4]
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0


def test_db_upgrade_to_hardening_matches_the_models_and_downgrades(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    assert schema_differences(app) == []
    result = manage_in_process(empty_database, "db", "downgrade", "0009_disabled_accounts")
    assert result.returncode == 0, result.stderr
    assert tables(empty_database) == HEAD_TABLES - SEALED_KEY_TABLES - TOKEN_TABLES
    outbox = run_on(empty_database, lambda connection: inspect(connection).get_columns("outbox"))
    assert "details" not in {column["name"] for column in outbox}
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    assert tables(empty_database) == HEAD_TABLES


def test_db_upgrade_to_personal_tokens_matches_the_models_and_downgrades(app, empty_database):
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    assert schema_differences(app) == []
    result = manage_in_process(empty_database, "db", "downgrade", "0010_hardening")
    assert result.returncode == 0, result.stderr
    assert tables(empty_database) == HEAD_TABLES - TOKEN_TABLES
    assert manage_in_process(empty_database, "db", "upgrade").returncode == 0
    assert tables(empty_database) == HEAD_TABLES


def test_purge_outbox_deletes_old_sent_and_failed_records_only(mail_app, smtp_server):
    runner = mail_app.test_cli_runner()
    for user_name in ("carol", "dave", "erin", "frank"):
        created = runner.invoke(
            args=["createuser", user_name, f"{user_name}@example.com", "--first-name", "A",
                  "--last-name", "B", "--password-stdin"],
            input=PASSWORD + "\n",
        )  # fmt: skip
        assert created.exit_code == 0, created.output
    assert runner.invoke(args=["deliver-mail", "--once"]).exit_code == 0
    with mail_app.app_context():
        ids = db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
        old = utcnow() - timedelta(days=31)
        for row_id, status, created_at in [
            (ids[0], SENT, old),
            (ids[1], FAILED, old),
            (ids[2], PENDING, old),
            (ids[3], SENT, utcnow()),
        ]:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id)
                .values(status=status, created_at=created_at)
            )
        db.session.commit()
    result = runner.invoke(args=["purge-outbox"])
    assert result.output == "Deleted 2 outbox record(s) older than 30 day(s).\n"
    with mail_app.app_context():
        left = db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)).all()
    assert left == ids[2:]
    assert runner.invoke(args=["purge-outbox", "--days", "-1"]).exit_code == 2
