"""The admin API (/api/admin/users...): who may call each route, what each action does and
logs, the last active admin, the search, and what an account's details never show."""

import itertools
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.admin import directory
from app.common import messages
from app.extensions import db
from app.log import SECURITY_LOGGER
from app.mfa.models import RecoveryCode, TotpCredential
from app.sessions.models import AuthSession
from app.users import constants
from app.users.models import User
from tests.helpers import (
    CSRF_MISSING,
    PASSWORD,
    AuthActions,
    age,
    assert_csrf_failure,
    assert_error,
    assert_reauthentication_required,
    confirm_email,
    count_rows,
    session_cookie,
    set_role,
)
from tests.plugins.accounts import add_user, turn_on_totp
from tests.plugins.databases import make_app
from tests.system.client import Client
from tests.system.test_server import all_at_once

USERS = "/api/admin/users"
VERIFY = "/api/auth/verify_auth"
LATER = timedelta(minutes=5, seconds=1)
# Who calls, by role; the target of every action is bob, a plain user with a live session.
ACTORS = {"anonymous": None, "test": "tester", "user": "alice", "staff": "staffer", "admin": "root"}
ROLES = {"root": "admin", "staffer": "staff", "alice": "user", "tester": "test", "bob": "user"}
READ, WRITE = "read", "write"
# (method, path under /api/admin/users/<bob's id>, body, kind)
ROUTES = [
    ("GET", "", None, READ),
    ("POST", "/disable", None, WRITE),
    ("POST", "/enable", None, WRITE),
    ("POST", "/role", {"role": "staff"}, WRITE),
    ("POST", "/logout", None, WRITE),
    ("DELETE", "", None, WRITE),
]
ALLOWED = {READ: {"staff", "admin"}, WRITE: {"admin"}}
REFUSAL = {READ: messages.STAFF_ONLY, WRITE: messages.ADMIN_ONLY}


def logged_in(app, user_name):
    auth = AuthActions(app.test_client())
    assert auth.login(user_name).status_code == 200
    return auth


def call(auth, method, path, body=None):
    """Call ``path`` as the page would: POST and DELETE with the CSRF header."""
    if method == "GET":
        return auth._client.get(path)
    if method == "DELETE":
        return auth._client.delete(path, headers={"X-CSRFToken": auth.token or auth.fetch_token()})
    return auth.post(path, json=body)


def state_of(app, user_name):
    """What a refused write must leave alone: the role, the flag, the sessions; None if gone."""
    with app.app_context():
        user = User.find_by_login(user_name)
        if user is None:
            return None
        sessions = db.session.scalar(
            select(func.count()).select_from(AuthSession).where(AuthSession.user_id == user.id)
        )
        return user.role_code, user.is_active, sessions


def admin_names(app):
    """The user names of the active admins, by id."""
    with app.app_context():
        return db.session.scalars(
            select(User.user_name)
            .where(User.role_code == constants.ADMIN, User.is_active)
            .order_by(User.id)
        ).all()


@pytest.fixture
def accounts(app):
    """Every account of ``ROLES``, by user name."""
    return {name: add_user(app, name, role=role) for name, role in ROLES.items()}


@pytest.fixture
def ids(accounts):
    """Every account of ``ROLES``, by user name: their ids."""
    return {name: account.id for name, account in accounts.items()}


@pytest.fixture
def bob(app, ids):
    """The target's own browser, logged in."""
    return logged_in(app, "bob")


@pytest.fixture
def as_role(app, ids):
    """``as_role(role)``: a client logged in with that role, or an anonymous one."""

    def make(role):
        name = ACTORS[role]
        return AuthActions(app.test_client()) if name is None else logged_in(app, name)

    return make


@pytest.fixture
def root(as_role):
    return as_role("admin")


@pytest.fixture
def events(caplog):
    """``events(name)``: the security events of that name logged so far, parsed."""
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)

    def events(name):
        lines = [r.getMessage() for r in caplog.records if r.name == SECURITY_LOGGER]
        return [event for event in map(json.loads, lines) if event["event"] == name]

    return events


# Who may call what: every route, every role


@pytest.mark.parametrize(
    ("route", "role"),
    list(itertools.product(ROUTES, ACTORS)),
    ids=[f"{m} {p or '/'} {role}" for (m, p, _, _), role in itertools.product(ROUTES, ACTORS)],
)
def test_every_route_answers_each_role_as_its_kind_says(app, ids, bob, as_role, route, role):
    method, suffix, body, kind = route
    before = state_of(app, "bob")
    response = call(as_role(role), method, f"{USERS}/{ids['bob']}{suffix}", body)
    if role == "anonymous":
        assert_error(response, 401, messages.NOT_LOGGED_IN)
    elif role not in ALLOWED[kind]:
        assert_error(response, 403, REFUSAL[kind])
    else:
        assert response.status_code == 200
        assert response.get_json()["success"] is True
        return
    assert state_of(app, "bob") == before


@pytest.mark.parametrize("role", list(ACTORS))
def test_the_list_answers_each_role_as_a_read(as_role, role):
    response = as_role(role)._client.get(USERS)
    if role == "anonymous":
        assert_error(response, 401, messages.NOT_LOGGED_IN)
    elif role in ALLOWED[READ]:
        assert response.status_code == 200
        assert response.get_json()["data"]["total"] == len(ROLES)
    else:
        assert_error(response, 403, messages.STAFF_ONLY)


@pytest.mark.parametrize("role", ["test", "user", "staff"])
def test_a_refused_write_is_a_security_event_naming_the_user_and_the_path(
    app, ids, as_role, events, role
):
    path = f"{USERS}/{ids['bob']}/disable"
    assert call(as_role(role), "POST", path).status_code == 403
    [event] = events("admin_refused")
    assert (event["user_name"], event["path"], event["method"]) == (ACTORS[role], path, "POST")


@pytest.mark.parametrize("role", ["test", "user", "staff"])
def test_no_one_but_an_admin_can_make_themself_an_admin(app, ids, as_role, role):
    name = ACTORS[role]
    response = as_role(role).post(f"{USERS}/{ids[name]}/role", json={"role": "admin"})
    assert_error(response, 403, messages.ADMIN_ONLY)
    assert state_of(app, name)[0] == constants.ROLE_BY_NAME[role]
    assert admin_names(app) == ["root"]


def test_a_write_without_the_csrf_token_changes_nothing(app, ids, bob, root):
    before = state_of(app, "bob")
    response = root._client.post(f"{USERS}/{ids['bob']}/disable")
    assert_csrf_failure(response, CSRF_MISSING)
    assert state_of(app, "bob") == before


@pytest.mark.parametrize(("method", "suffix", "body", "kind"), ROUTES)
def test_an_unknown_user_is_a_404(root, method, suffix, body, kind):
    response = call(root, method, f"{USERS}/999999{suffix}", body)
    assert_error(response, 404, messages.USER_NOT_FOUND)


@pytest.mark.parametrize(("method", "suffix", "body", "kind"), ROUTES)
@pytest.mark.parametrize("user_id", ["bob", "1.5", "-1", "0x1", "%D9%A3", "2147483648", "9" * 30])
def test_an_id_that_is_no_id_is_the_same_404(root, ids, method, suffix, body, kind, user_id):
    response = call(root, method, f"{USERS}/{user_id}{suffix}", body)
    assert_error(response, 404, messages.USER_NOT_FOUND)


# What each action does, and the event that names actor and target


def assert_names_both(event, ids, target="bob"):
    assert (event["actor"], event["actor_id"]) == ("root", ids["root"])
    assert event.get("user_id", event.get("target_id")) == ids[target]


def test_disabling_ends_every_session_and_login(app, ids, bob, root, events):
    response = root.post(f"{USERS}/{ids['bob']}/disable")
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == messages.USER_DISABLED
    assert (body["data"]["user_name"], body["data"]["is_active"]) == ("bob", False)
    assert state_of(app, "bob") == (constants.USER, False, 0)
    assert_error(bob._client.get(VERIFY), 401, messages.NOT_LOGGED_IN)
    assert AuthActions(app.test_client()).login("bob").status_code == 403
    assert_names_both(events("account_disabled")[0], ids)


def test_enabling_lets_the_account_in_again(app, ids, root, events):
    assert root.post(f"{USERS}/{ids['bob']}/disable").status_code == 200
    response = root.post(f"{USERS}/{ids['bob']}/enable")
    assert response.status_code == 200
    assert response.get_json()["message"] == messages.USER_ENABLED
    assert response.get_json()["data"]["is_active"] is True
    assert AuthActions(app.test_client()).login("bob").status_code == 200
    assert_names_both(events("account_enabled")[0], ids)


def test_setting_the_role_holds_from_the_target_s_next_request(app, ids, bob, root, events):
    response = root.post(f"{USERS}/{ids['bob']}/role", json={"role": "staff"})
    assert response.status_code == 200
    assert response.get_json()["message"] == messages.ROLE_SET
    assert response.get_json()["data"]["role"] == "staff"
    assert bob._client.get(USERS).status_code == 200
    [event] = events("role_changed")
    assert_names_both(event, ids)
    assert (event["old_role"], event["role"]) == ("user", "staff")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"role": "king"}, messages.ROLE_UNKNOWN),
        ({"role": "Admin"}, messages.ROLE_UNKNOWN),
        ({"role": ""}, messages.FIELD_REQUIRED),
        ({}, messages.FIELD_REQUIRED),
        ({"role": 0}, messages.FIELD_NOT_STRING),
    ],
)
def test_a_role_that_is_no_role_is_a_422(app, ids, root, body, message):
    response = root.post(f"{USERS}/{ids['bob']}/role", json=body)
    assert_error(response, 422, messages.VALIDATION_FAILED, fields={"role": [message]})
    assert state_of(app, "bob")[0] == constants.USER


def test_a_role_in_a_form_body_is_taken_too(app, ids, root):
    response = root.post(f"{USERS}/{ids['bob']}/role", data={"role": "test"})
    assert response.status_code == 200
    assert state_of(app, "bob")[0] == constants.TEST


def test_logging_out_ends_every_session_but_not_the_account(app, ids, bob, root, events):
    assert logged_in(app, "bob") and state_of(app, "bob")[2] == 2
    response = root.post(f"{USERS}/{ids['bob']}/logout")
    assert response.status_code == 200
    assert response.get_json()["message"] == messages.USER_LOGGED_OUT
    assert state_of(app, "bob") == (constants.USER, True, 0)
    assert_error(bob._client.get(VERIFY), 401, messages.NOT_LOGGED_IN)
    assert_names_both(events("sessions_ended")[0], ids)


def test_deleting_removes_the_account_and_its_cookie(app, ids, bob, root, events):
    response = call(root, "DELETE", f"{USERS}/{ids['bob']}")
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": messages.USER_DELETED}
    assert state_of(app, "bob") is None
    assert_error(bob._client.get(VERIFY), 401, messages.NOT_LOGGED_IN)
    [event] = events("account_deleted")
    assert_names_both(event, ids)
    assert "user_name" not in event


# Every write needs a recent proof of identity: a stolen admin cookie, past the window, can
# promote, disable, enable, log out or delete no one.

WRITES = [route for route in ROUTES if route[3] == WRITE]
WRITE_IDS = [f"{method} {suffix or '/'}" for method, suffix, _, _ in WRITES]


def test_the_writes_are_every_route_of_the_admin_api_but_the_reads(app):
    routed = {
        (method, rule.rule.removeprefix(f"{USERS}/<user_id>"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS", "GET"}
    }
    assert routed == {(method, suffix) for method, suffix, _, _ in WRITES}


@pytest.mark.parametrize(("method", "suffix", "body", "kind"), WRITES, ids=WRITE_IDS)
def test_an_admin_cookie_past_the_window_changes_no_one_until_it_proves_again(
    app, ids, bob, root, method, suffix, body, kind
):
    if suffix == "/enable":
        assert root.post(f"{USERS}/{ids['bob']}/disable").status_code == 200
    before = state_of(app, "bob")
    age(app, verified=LATER)
    path = f"{USERS}/{ids['bob']}{suffix}"
    assert_reauthentication_required(call(root, method, path, body))
    assert state_of(app, "bob") == before
    reauthenticated = root.post("/api/auth/reauthenticate", data={"password": PASSWORD})
    assert reauthenticated.status_code == 200
    assert call(root, method, path, body).status_code == 200
    assert state_of(app, "bob") != before


def test_a_stale_admin_cookie_cannot_promote_its_holder_nor_demote_the_admin(app, ids, root):
    age(app, verified=LATER)
    response = root.post(f"{USERS}/{ids['alice']}/role", json={"role": "admin"})
    assert_reauthentication_required(response)
    set_role(app, "bob", "admin")
    response = root.post(f"{USERS}/{ids['bob']}/role", json={"role": "user"})
    assert_reauthentication_required(response)
    assert admin_names(app) == ["root", "bob"]


@pytest.mark.parametrize("role", ["anonymous", "test", "user", "staff"])
@pytest.mark.parametrize(("method", "suffix", "body", "kind"), WRITES, ids=WRITE_IDS)
def test_others_hear_of_their_role_before_any_talk_of_reauthentication(
    app, ids, as_role, role, method, suffix, body, kind
):
    caller = as_role(role)
    age(app, verified=LATER)
    response = call(caller, method, f"{USERS}/{ids['bob']}{suffix}", body)
    if role == "anonymous":
        assert_error(response, 401, messages.NOT_LOGGED_IN)
    else:
        assert_error(response, 403, messages.ADMIN_ONLY)


# The last active admin


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("POST", "/role", {"role": "user"}), ("POST", "/disable", None), ("DELETE", "", None)],
    ids=["demote", "disable", "delete"],
)
def test_the_only_admin_stays_one(app, ids, root, method, suffix, body):
    response = call(root, method, f"{USERS}/{ids['root']}{suffix}", body)
    assert_error(response, 409, messages.LAST_ADMIN)
    assert state_of(app, "root") == (constants.ADMIN, True, 1)
    assert root._client.get(VERIFY).status_code == 200


def test_a_disabled_admin_is_no_second_admin(app, ids, root):
    add_user(app, "sleeper", role="admin", active=False)
    response = root.post(f"{USERS}/{ids['root']}/role", json={"role": "user"})
    assert_error(response, 409, messages.LAST_ADMIN)
    assert admin_names(app) == ["root"]


def test_an_admin_may_disable_themself_while_another_admin_remains(app, ids, root):
    set_role(app, "bob", "admin")
    response = root.post(f"{USERS}/{ids['root']}/disable")
    assert response.status_code == 200
    assert response.get_json()["data"]["is_active"] is False
    assert_error(root._client.get(VERIFY), 401, messages.NOT_LOGGED_IN)
    assert admin_names(app) == ["bob"]


def test_a_demoted_admin_s_very_next_request_is_refused(app, ids, root):
    set_role(app, "bob", "admin")
    other = logged_in(app, "bob")
    assert other.post(f"{USERS}/{ids['root']}/role", json={"role": "user"}).status_code == 200
    assert_error(root._client.get(USERS), 403, messages.STAFF_ONLY)
    response = root.post(f"{USERS}/{ids['bob']}/role", json={"role": "user"})
    assert_error(response, 403, messages.ADMIN_ONLY)
    assert state_of(app, "bob")[0] == constants.ADMIN


def race_admin(app, server, user_name):
    """A new account, logged in on ``server``: ``(client, id)``."""
    account = add_user(app, user_name)
    client = Client(server.url).fetch_token()
    status, answer = client.call(
        "POST", "/api/auth/login", {"login": user_name, "password": account.password}
    )
    assert status == 200, answer
    return client, account.id


@pytest.mark.server
def test_of_two_admins_demoting_each_other_at_once_exactly_one_wins(live_server, database_url):
    """On the real server, each request on its own worker or thread, round after round."""
    app = make_app(database_url)
    racers = {name: race_admin(app, live_server, name) for name in ("annie", "benny")}
    for _ in range(5):
        for name in racers:
            set_role(app, name, "admin")
        calls = [
            lambda client=client, target=racers[other][1]: client.call(
                "POST", f"{USERS}/{target}/role", {"role": "user"}
            )
            for (client, _), other in zip(racers.values(), reversed(racers), strict=True)
        ]
        results = dict(zip(racers, all_at_once(calls), strict=True))
        [winner] = [name for name, (status, _) in results.items() if status == 200]
        [(status, answer)] = [result for name, result in results.items() if name != winner]
        # The loser read its role after the winner's commit (403), or lost the write (409).
        assert (status, answer["errors"]["message"]) in {
            (403, messages.ADMIN_ONLY),
            (409, messages.LAST_ADMIN),
        }
        assert admin_names(app) == [winner]
    log = live_server.log()
    assert "Traceback" not in log
    assert "database is locked" not in log


# The search


@pytest.fixture
def crowd(app, root):
    """Accounts that ``amber`` finds by each field, one it does not, in the order of their ids."""
    add_user(app, "amber", first_name="Ann", last_name="Ames", email="a1@example.com")
    add_user(app, "basil", first_name="A", last_name="B", role="staff", email="x.AMBER@example.com")
    add_user(app, "cedar", first_name="Amberlyn", last_name="B", active=False)
    add_user(app, "daisy", first_name="A", last_name="Vanamber", role="test")
    add_user(app, "elmer", first_name="Elm", last_name="Tree")
    return root


def names(response):
    assert response.status_code == 200, response.get_json()
    return [user["user_name"] for user in response.get_json()["data"]["users"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "AmBeR"}, ["amber", "basil", "cedar", "daisy"]),
        ({"q": "  x.amber@"}, ["basil"]),
        ({"q": "LYN"}, ["cedar"]),
        ({"q": "vanam"}, ["daisy"]),
        ({"q": "50%"}, []),
        ({"q": "_"}, []),
        ({"q": "amber", "role": "staff"}, ["basil"]),
        ({"q": "amber", "active": "false"}, ["cedar"]),
        ({"q": "amber", "active": "true", "role": "test"}, ["daisy"]),
        ({"role": "admin"}, ["root"]),
        ({"q": "", "role": "", "active": "", "page": "", "per_page": ""}, [*ROLES, *"abcde"]),
        ({"sort": "name", "q": "elm"}, ["elmer"]),
    ],
)
def test_the_search_keeps_what_the_parameters_ask_for(crowd, query, expected):
    found = names(crowd._client.get(USERS, query_string=query))
    if len(expected) > len(ROLES):
        assert len(found) == len(expected)
    else:
        assert found == expected


def test_pages_keep_the_order_of_ids_and_the_total(app, root, ids):
    for number in range(20):
        add_user(app, f"page{number:02}")
    everyone = names(root._client.get(USERS, query_string={"per_page": 100}))
    pages = [
        root._client.get(USERS, query_string={"page": page, "per_page": 10}).get_json()["data"]
        for page in (1, 2, 3, 4)
    ]
    assert [page["total"] for page in pages] == [25] * 4
    assert [len(page["users"]) for page in pages] == [10, 10, 5, 0]
    assert [user["user_name"] for page in pages for user in page["users"]] == everyone
    ids_in_order = [user["id"] for page in pages for user in page["users"]]
    assert ids_in_order == sorted(ids_in_order)


def test_by_default_a_page_holds_twenty(app, root, ids):
    for number in range(20):
        add_user(app, f"page{number:02}")
    data = root._client.get(USERS).get_json()["data"]
    assert (len(data["users"]), data["total"], data["page"], data["per_page"]) == (20, 25, 1, 20)


def test_a_locked_out_account_says_so(app, root, ids):
    for _ in range(5):
        AuthActions(app.test_client()).login("bob", password="not the password")
    [bob] = root._client.get(USERS, query_string={"q": "bob"}).get_json()["data"]["users"]
    assert bob["locked_out"] is True


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("page=0", {"page": [messages.PAGE_NUMBER]}),
        ("page=-1", {"page": [messages.PAGE_NUMBER]}),
        ("page=abc", {"page": [messages.PAGE_NUMBER]}),
        ("page=1.5", {"page": [messages.PAGE_NUMBER]}),
        ("page=%2B1", {"page": [messages.PAGE_NUMBER]}),
        ("page=%D9%A3", {"page": [messages.PAGE_NUMBER]}),
        ("page=9" + "9" * 40, {"page": [messages.PAGE_NUMBER]}),
        ("per_page=0", {"per_page": [messages.PER_PAGE_NUMBER]}),
        ("per_page=101", {"per_page": [messages.PER_PAGE_NUMBER]}),
        ("per_page=1000", {"per_page": [messages.PER_PAGE_NUMBER]}),
        ("role=king", {"role": [messages.ROLE_UNKNOWN]}),
        ("active=maybe", {"active": [messages.FIELD_NOT_BOOLEAN]}),
        ("q=a%00b", {"q": [messages.FIELD_BAD_CHARACTERS]}),
        ("q=" + "a" * 255, {"q": [messages.NAME_TOO_LONG.format(max=254)]}),
        ("page=1&page=2", {"page": [messages.FIELD_REPEATED]}),
        (
            "page=0&role=king",
            {"page": [messages.PAGE_NUMBER], "role": [messages.ROLE_UNKNOWN]},
        ),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(root, ids, query, fields):
    response = root._client.get(f"{USERS}?{query}")
    assert_error(response, 422, messages.VALIDATION_FAILED, fields=fields)


@pytest.mark.parametrize("per_page", [1, directory.MAX_PER_PAGE])
def test_per_page_takes_its_bounds(root, ids, per_page):
    data = root._client.get(USERS, query_string={"per_page": per_page}).get_json()["data"]
    assert data["per_page"] == per_page
    assert len(data["users"]) == min(per_page, len(ROLES))


def test_the_per_page_message_names_the_maximum():
    assert str(directory.MAX_PER_PAGE) in messages.PER_PAGE_NUMBER


# What the details show, and never show


def test_details_show_the_trail_the_sessions_and_the_second_factors(app, accounts, ids, bob, root):
    confirm_email(app, "bob")
    codes = turn_on_totp(app, accounts["bob"]).recovery_codes
    response = root._client.get(f"{USERS}/{ids['bob']}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == messages.USER_SHOWN
    data = body["data"]
    assert (data["user_name"], data["role"], data["is_active"]) == ("bob", "user", True)
    assert data["trail"]["login_count"] == 1
    with app.app_context():
        [public_id] = db.session.scalars(
            select(AuthSession.public_id).where(AuthSession.user_id == ids["bob"])
        ).all()
    assert [session["id"] for session in data["sessions"]] == [public_id]
    assert data["mfa"]["totp"] is True
    assert data["mfa"]["recovery_codes_left"] == len(codes)


def test_details_never_hold_a_hash_a_token_or_a_secret(app, accounts, ids, bob, root):
    confirm_email(app, "bob")
    bob_totp = turn_on_totp(app, accounts["bob"])
    secret, codes = bob_totp.secret, bob_totp.recovery_codes
    text = root._client.get(f"{USERS}/{ids['bob']}").get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, ids["bob"])
        stored = [user.password]
        stored += db.session.scalars(select(AuthSession.token_hash)).all()
        stored += [row.secret for row in db.session.scalars(select(TotpCredential))]
        stored += db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert count_rows(app, TotpCredential) == 1
    for value in [secret, *codes, session_cookie(app, bob._client)["sid"], *stored]:
        assert str(value) not in text
    assert '"password' not in text
