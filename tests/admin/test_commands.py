"""The operator's ``users`` commands (manage.py users ...), through the CLI runner, on
accounts from ``add_user``, logged in through the API where a command must end or spare their
sessions: each command's effect on the database, on logins and on old cookies, and its output;
unknown users; the last active admin."""

import json
import logging

import pytest
from sqlalchemy import select, update

from app.common import messages
from app.extensions import db
from app.log import SECURITY_LOGGER
from app.sessions.models import AuthSession
from app.users import constants
from app.users.models import User
from tests.helpers import PASSWORD, AuthActions, assert_error, count_rows
from tests.plugins.accounts import add_user, log_in
from tests.plugins.databases import make_app
from tests.test_commands import manage

LAST_ADMIN_ERROR = f"Error: {messages.LAST_ADMIN}\n"
OUT_OF_REACH_ERROR = f"Error: {messages.CLI_COUNTS_OUT_OF_REACH}\n"
OUT_OF_REACH_NOTE = f"Note: {messages.CLI_COUNTS_OUT_OF_REACH}\n"
# The table of users made by the ``people`` fixture: name, role, active, confirmed, first name.
PEOPLE = [
    ("alice", "admin", True, True, "Alice"),
    ("bobby", "staff", True, False, "Robert"),
    ("carol", "user", False, True, "Carol"),
    ("david", "user", True, False, "David"),
]
EVERYONE = [person[0] for person in PEOPLE]
# Every command that takes a USER, with the arguments it needs besides.
USER_COMMANDS = [
    ["show"],
    ["show", "--json"],
    ["disable"],
    ["enable"],
    ["set-role", "{login}", "admin"],
    ["logout"],
    ["unlock"],
    ["delete", "--yes"],
]


def users(runner, *args):
    return runner.invoke(args=["users", *args])


def command(words, login):
    """``words`` with ``login`` put in: where it says {login}, or else second."""
    if "{login}" in words:
        return [login if word == "{login}" else word for word in words]
    return [words[0], login, *words[1:]]


def stored(app, user_name="alice"):
    with app.app_context():
        return db.session.scalar(select(User).where(User.user_name == user_name))


def logged_in(app, user_name="alice"):
    """A new account from ``add_user``, logged in on a client of its own."""
    actions = AuthActions(app.test_client())
    log_in(actions, add_user(app, user_name))
    return actions


def set_fields(app, user_name, **values):
    with app.app_context():
        db.session.execute(update(User).where(User.user_name == user_name).values(**values))
        db.session.commit()


def security_events(caplog, name):
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == SECURITY_LOGGER]
    return [event for event in records if event["event"] == name]


def assert_logged_in(actions):
    assert actions._client.get("/api/auth/verify_auth").status_code == 200


def assert_logged_out(actions):
    response = actions._client.get("/api/auth/verify_auth")
    assert_error(response, 401, messages.NOT_LOGGED_IN)


def lock_out(actions, login="alice"):
    """Fail logins with ``login`` until the right password is refused too (a 429)."""
    for _ in range(5):
        assert_error(actions.login(login, "wrong password"), 401, messages.INVALID_CREDENTIALS)
    assert_error(actions.login(login), 429, messages.TOO_MANY_ATTEMPTS)


def shared_counts(database_url, redis_url):
    """An app whose failed-login counts are in Redis, where the servers and manage.py both
    see them (``REDIS_URL``)."""
    return make_app(database_url, REDIS_URL=redis_url)


@pytest.fixture
def people(app):
    """The accounts of ``PEOPLE``, in that order of ids."""
    make_people(app)


def make_people(app):
    for user_name, role, active, confirmed, first_name in PEOPLE:
        email = "carol@example.org" if user_name == "carol" else None
        add_user(app, user_name, email=email, role=role, active=active, confirmed=confirmed)
        set_fields(app, user_name, first_name=first_name)


# list


def test_list_prints_one_line_per_user_and_a_footer(app, runner, people):
    result = users(runner, "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split() for line in lines[:-1]] == [
        ["ID", "USER", "NAME", "EMAIL", "ROLE", "STATUS", "EMAIL", "CONFIRMED", "LOCKED", "OUT"],
        ["1", "alice", "alice@example.com", "admin", "active", "yes", "unknown"],
        ["2", "bobby", "bobby@example.com", "staff", "active", "no", "unknown"],
        ["3", "carol", "carol@example.org", "user", "disabled", "yes", "unknown"],
        ["4", "david", "david@example.com", "user", "active", "no", "unknown"],
    ]
    assert lines[-1] == "Page 1 of 1 (4 users)"
    # The suite's limiter keeps its counts in memory, out of a command's reach.
    assert result.stderr == OUT_OF_REACH_NOTE


def test_list_json_is_one_object_and_nothing_else(app, runner, people):
    result = users(runner, "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert (listed["total"], listed["page"], listed["per_page"]) == (4, 1, 20)
    carol = listed["users"][2]
    created_on = carol.pop("created_on")
    assert created_on.endswith("Z")
    assert carol == {
        "id": 3,
        "user_name": "carol",
        "email": "carol@example.org",
        "first_name": "Carol",
        "last_name": "Liddell",
        "role": "user",
        "email_confirmed": True,
        "is_active": False,
        "locked_out": None,
    }
    assert [user["user_name"] for user in listed["users"]] == EVERYONE


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], EVERYONE),
        (["--role", "admin"], ["alice"]),
        (["--role", "staff"], ["bobby"]),
        (["--role", "user"], ["carol", "david"]),
        (["--role", "test"], []),
        (["--active"], ["alice", "bobby", "david"]),
        (["--disabled"], ["carol"]),
        (["--unconfirmed"], ["bobby", "david"]),
        (["--role", "user", "--active"], ["david"]),
        (["--unconfirmed", "--disabled"], []),
        (["-q", "ROB"], ["bobby"]),
        (["--query", "Example.ORG"], ["carol"]),
        (["-q", "david@"], ["david"]),
        (["-q", "liddell"], EVERYONE),
        (["-q", "%"], []),
        (["-q", "nobody"], []),
    ],
)
def test_list_filters(app, runner, people, args, expected):
    result = users(runner, "list", "--json", *args)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [user["user_name"] for user in listed["users"]] == expected
    assert listed["total"] == len(expected)


@pytest.mark.parametrize(
    ("page", "per_page", "expected", "footer"),
    [
        (1, 3, ["alice", "bobby", "carol"], "Page 1 of 2 (4 users)"),
        (2, 3, ["david"], "Page 2 of 2 (4 users)"),
        (3, 3, [], "Page 3 of 2 (4 users)"),
        (2, 1, ["bobby"], "Page 2 of 4 (4 users)"),
        (1, 100, EVERYONE, "Page 1 of 1 (4 users)"),
    ],
)
def test_list_pages_in_order_of_id_with_the_total(
    app, runner, people, page, per_page, expected, footer
):
    paging = ["--page", str(page), "--per-page", str(per_page)]
    listed = json.loads(users(runner, "list", "--json", *paging).stdout)
    assert [user["user_name"] for user in listed["users"]] == expected
    assert (listed["total"], listed["page"], listed["per_page"]) == (4, page, per_page)
    text = users(runner, "list", *paging).stdout.splitlines()
    assert [line.split()[1] for line in text[1:-1]] == expected
    assert text[-1] == footer


def test_list_of_nobody_prints_only_the_footer(runner):
    result = users(runner, "list")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Page 1 of 1 (0 users)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--page", "0"], "Invalid value for '--page'"),
        (["--per-page", "0"], "Invalid value for '--per-page'"),
        (["--per-page", "101"], "Invalid value for '--per-page'"),
        (["--role", "root"], "Invalid value for '--role'"),
        (["--page", "two"], "Invalid value for '--page'"),
    ],
)
def test_list_refuses_bad_options(runner, user, args, message):
    result = users(runner, "list", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.redis
@pytest.mark.parametrize("login", ["alice", "ALICE@Example.com"])
def test_list_locked_finds_an_account_locked_out_by_failed_logins(database_url, redis_url, login):
    app = shared_counts(database_url, redis_url)
    runner = app.test_cli_runner()
    make_people(app)
    lock_out(AuthActions(app.test_client()), login)
    listed = json.loads(users(runner, "list", "--locked", "--json").stdout)
    assert [(user["user_name"], user["locked_out"]) for user in listed["users"]] == [
        ("alice", True)
    ]
    assert listed["total"] == 1
    lines = users(runner, "list", "--locked").stdout.splitlines()
    assert lines[1].split() == ["1", "alice", "alice@example.com", "admin", "active", "yes", "yes"]
    assert lines[-1] == "Page 1 of 1 (1 user)"


def test_manage_py_prints_only_the_json_on_stdout(app, people, database_url):
    """As an operator runs it: the security events go to stderr, never into the JSON."""
    assert manage(database_url, "users", "disable", "david").stdout == (
        "Disabled david: every session of it has ended.\n"
    )
    result = manage(database_url, "users", "list", "--json", "--disabled")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [user["user_name"] for user in listed["users"]] == ["carol", "david"]
    result = manage(database_url, "users", "show", "nobody")
    assert (result.returncode, result.stdout) == (1, "")
    assert messages.CLI_USER_UNKNOWN.format(login="nobody") in result.stderr


# show


def test_show_prints_the_account(app, runner, logged_in_client):
    with app.app_context():
        public_id = db.session.scalar(select(AuthSession.public_id))
    result = users(runner, "show", "ALICE")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:5] == [
        "alice (id 1): Alice Liddell <alice@example.com>",
        "role: user",
        "status: active",
        "email confirmed: no",
        "locked out: unknown",
    ]
    assert lines[6].startswith("last login: ")
    assert lines[6].endswith(" from 127.0.0.1 (1 login)")
    assert lines[7:9] == ["second factor: none", "live sessions: 1"]
    assert lines[9].split()[:3] == [public_id, "from", "127.0.0.1,"]


def test_show_json_is_the_account_its_sessions_trail_and_second_factor(
    app, runner, logged_in_client
):
    other = AuthActions(app.test_client())
    assert other.login("alice@example.com", remember_me=True).status_code == 200
    with app.app_context():
        public_ids = set(db.session.scalars(select(AuthSession.public_id)))
    result = users(runner, "show", "alice@EXAMPLE.com", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["id"], shown["user_name"], shown["is_active"]) == (1, "alice", True)
    assert {record["id"] for record in shown["sessions"]} == public_ids
    assert sorted(record["remember"] for record in shown["sessions"]) == [False, True]
    assert shown["trail"]["login_count"] == 2
    assert shown["trail"]["last_login_ip"] == "127.0.0.1"
    assert shown["mfa"] == {
        "totp": False,
        "webauthn": False,
        "recovery_codes_left": 0,
        "methods": [],
    }
    assert "password" not in shown
    assert PASSWORD not in result.stdout


def test_show_names_the_second_factor_and_a_login_never_made(app, runner, user_with_totp):
    secret, codes = user_with_totp.secret, user_with_totp.recovery_codes
    lines = users(runner, "show", "alice").stdout.splitlines()
    assert f"second factor: TOTP ({len(codes)} recovery codes left)" in lines
    assert "last login: never" in lines
    shown = json.loads(users(runner, "show", "alice", "--json").stdout)
    assert shown["mfa"]["totp"] is True
    assert shown["mfa"]["recovery_codes_left"] == len(codes)
    assert secret not in json.dumps(shown)


# disable and enable


def test_disable_refuses_the_password_and_ends_every_session(
    app, runner, auth, logged_in_client, caplog
):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    other = AuthActions(app.test_client())
    assert other.login().status_code == 200
    result = users(runner, "disable", "Alice@Example.COM")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Disabled alice: every session of it has ended.\n"
    assert stored(app).is_active is False
    assert count_rows(app, AuthSession) == 0
    for actions in (auth, other):
        assert_logged_out(actions)
    assert_error(
        AuthActions(app.test_client()).login(),
        403,
        messages.ACCOUNT_DISABLED,
        error_type=messages.ACCOUNT_DISABLED_TYPE,
    )
    [event] = security_events(caplog, "account_disabled")
    assert (event["actor"], event["user_id"], event["user_name"]) == ("cli", 1, "alice")


def test_enable_lets_a_disabled_account_log_in_again(app, runner, user):
    assert users(runner, "disable", "alice").exit_code == 0
    result = users(runner, "enable", "ALICE")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Enabled alice: it may log in again.\n"
    assert stored(app).is_active is True
    assert AuthActions(app.test_client()).login().status_code == 200


# set-role


@pytest.mark.parametrize("role", list(constants.ROLE_BY_NAME))
def test_set_role_stores_the_role_that_sessions_then_read(app, runner, logged_in_client, role):
    result = users(runner, "set-role", "alice", role)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Set the role of alice to {role} (was user).\n"
    assert stored(app).role_code == constants.ROLE_BY_NAME[role]
    assert logged_in_client.get("/api/auth/verify_auth").get_json()["data"]["role"] == role


def test_set_role_refuses_an_unknown_role(app, runner, user):
    result = users(runner, "set-role", "alice", "root")
    assert result.exit_code == 2
    assert "Invalid value for 'ROLE'" in result.stderr
    assert stored(app).role_code == constants.USER


# logout


def test_logout_ends_every_session_of_the_account_only(app, runner, auth, logged_in_client):
    other = AuthActions(app.test_client())
    assert other.login().status_code == 200
    bobby = logged_in(app, "bobby")
    result = users(runner, "logout", "alice")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Ended every session of alice.\n"
    for actions in (auth, other):
        assert_logged_out(actions)
    assert_logged_in(bobby)
    assert count_rows(app, AuthSession) == 1
    assert AuthActions(app.test_client()).login().status_code == 200


# unlock


@pytest.mark.redis
@pytest.mark.parametrize(
    ("locked_as", "unlocked_as"), [("alice", "ALICE@example.com"), ("Alice@Example.com", "alice")]
)
def test_unlock_lets_a_locked_out_account_log_in_again(
    database_url, redis_url, caplog, locked_as, unlocked_as
):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    app = shared_counts(database_url, redis_url)
    runner = app.test_cli_runner()
    visitor = logged_in(app)
    lock_out(visitor, locked_as)
    assert json.loads(users(runner, "show", "alice", "--json").stdout)["locked_out"] is True
    result = users(runner, "unlock", unlocked_as)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Cleared the failed logins of alice: it may try again.\n"
    assert json.loads(users(runner, "show", "alice", "--json").stdout)["locked_out"] is False
    assert visitor.login(locked_as).status_code == 200
    [event] = security_events(caplog, "account_unlocked")
    assert (event["actor"], event["user_id"], event["user_name"]) == ("cli", 1, "alice")


@pytest.mark.redis
def test_manage_py_sees_and_clears_what_the_server_counted(database_url, redis_url):
    """Two processes, as deployed: the server counts, the operator's command clears."""
    visitor = logged_in(shared_counts(database_url, redis_url))
    lock_out(visitor)
    listed = manage(database_url, "users", "list", "--locked", "--json", REDIS_URL=redis_url)
    assert listed.returncode == 0, listed.stderr
    assert [user["user_name"] for user in json.loads(listed.stdout)["users"]] == ["alice"]
    unlocked = manage(database_url, "users", "unlock", "alice", REDIS_URL=redis_url)
    assert unlocked.returncode == 0, unlocked.stderr
    assert visitor.login().status_code == 200


def test_with_counts_in_memory_unlock_says_it_cannot_reach_them_and_changes_nothing(
    app, runner, user, caplog
):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    visitor = AuthActions(app.test_client())
    lock_out(visitor)
    result = users(runner, "unlock", "alice")
    assert result.exit_code == 1
    assert (result.stdout, result.stderr) == ("", OUT_OF_REACH_ERROR)
    assert security_events(caplog, "account_unlocked") == []
    # Here the command runs in the server's own process, and still clears nothing.
    assert_error(visitor.login(), 429, messages.TOO_MANY_ATTEMPTS)


def test_with_counts_in_memory_list_locked_says_it_cannot_reach_them(runner, people):
    for extra in ([], ["--json"]):
        result = users(runner, "list", "--locked", *extra)
        assert result.exit_code == 1
        assert (result.stdout, result.stderr) == ("", OUT_OF_REACH_ERROR)


def test_with_counts_in_memory_show_says_the_lockout_is_unknown(app, runner, user):
    lock_out(AuthActions(app.test_client()))
    result = users(runner, "show", "alice")
    assert result.exit_code == 0, result.output
    assert "locked out: unknown" in result.stdout.splitlines()
    assert result.stderr == OUT_OF_REACH_NOTE
    shown = users(runner, "show", "alice", "--json")
    assert json.loads(shown.stdout)["locked_out"] is None
    assert shown.stderr == OUT_OF_REACH_NOTE


def test_with_the_throttle_off_there_is_nothing_to_reach(database_url):
    app = make_app(database_url, RATELIMIT_ENABLED=False)
    add_user(app)
    runner = app.test_cli_runner()
    assert users(runner, "unlock", "alice").exit_code == 0
    result = users(runner, "show", "alice", "--json")
    assert (json.loads(result.stdout)["locked_out"], result.stderr) == (False, "")


# delete


def test_delete_yes_deletes_the_account_and_its_sessions(
    app, runner, auth, logged_in_client, caplog
):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    bobby = logged_in(app, "bobby")
    result = users(runner, "delete", "ALICE", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Deleted alice <alice@example.com> (id 1).\n"
    assert stored(app) is None
    assert count_rows(app, AuthSession) == 1
    assert_logged_out(auth)
    assert_logged_in(bobby)
    assert_error(AuthActions(app.test_client()).login(), 401, messages.INVALID_CREDENTIALS)
    [event] = security_events(caplog, "account_deleted")
    assert (event["actor"], event["target_id"]) == ("cli", 1)
    assert "alice" not in json.dumps(event)


def test_delete_without_yes_is_a_usage_error_and_deletes_nothing(
    app, runner, auth, logged_in_client
):
    result = users(runner, "delete", "alice")
    assert result.exit_code == 2
    assert messages.CLI_DELETE_NEEDS_YES in result.stderr
    assert stored(app) is not None
    assert_logged_in(auth)


# unknown users, refusals and events


@pytest.mark.parametrize("words", USER_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("login", ["bob", "alice@example.org", "alice1"])
def test_an_unknown_user_is_an_error_that_changes_nothing(
    app, runner, auth, logged_in_client, words, login
):
    before = stored(app)
    result = users(runner, *command(words, login))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {messages.CLI_USER_UNKNOWN.format(login=login)}\n"
    assert result.stdout == ""
    after = stored(app)
    assert (after.is_active, after.role_code) == (before.is_active, before.role_code)
    assert_logged_in(auth)


@pytest.mark.parametrize(
    "words",
    [
        ["disable", "alice"],
        ["set-role", "alice", "staff"],
        ["set-role", "alice", "user"],
        ["delete", "alice", "--yes"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("other_admin", [None, "disabled"])
def test_the_last_active_admin_stays(app, runner, auth, words, other_admin):
    log_in(auth, add_user(app, role="admin"))
    if other_admin:
        add_user(app, "bobby", role="admin", active=False)
    result = users(runner, *words)
    assert result.exit_code == 1
    assert result.stderr == LAST_ADMIN_ERROR
    assert result.stdout == ""
    after = stored(app)
    assert (after.role_code, after.is_active) == (constants.ADMIN, True)
    assert_logged_in(auth)


@pytest.mark.parametrize(
    ("words", "left"),
    [
        (["disable", "alice"], (constants.ADMIN, False)),
        (["set-role", "alice", "staff"], (constants.STAFF, True)),
        (["delete", "alice", "--yes"], None),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_an_admin_goes_while_another_active_admin_stays(app, runner, words, left):
    add_user(app, role="admin")
    add_user(app, "bobby", role="admin")
    result = users(runner, *words)
    assert result.exit_code == 0, result.output
    after = stored(app)
    assert (after and (after.role_code, after.is_active)) == left
    bobby = stored(app, "bobby")
    assert (bobby.role_code, bobby.is_active) == (constants.ADMIN, True)


@pytest.mark.parametrize(
    ("words", "event_name"),
    [
        (["disable", "alice"], "account_disabled"),
        (["enable", "alice"], "account_enabled"),
        (["set-role", "alice", "test"], "role_changed"),
        (["logout", "alice"], "sessions_ended"),
    ],
    ids=lambda value: value if isinstance(value, str) else " ".join(value),
)
def test_every_change_logs_an_event_naming_the_cli_and_the_account(
    runner, logged_in_client, caplog, words, event_name
):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    assert users(runner, *words).exit_code == 0
    [event] = security_events(caplog, event_name)
    assert (event["actor"], event["user_id"], event["user_name"]) == ("cli", 1, "alice")
