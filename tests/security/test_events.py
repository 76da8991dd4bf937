"""The security log: one JSON line per event, with no secret in it; request ids; the trail."""

import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.common import messages
from app.common.time import as_utc, utcnow
from app.extensions import db
from app.sessions.models import AuthSession
from app.users.models import User
from tests.helpers import PASSWORD, AuthActions, assert_error, session_cookie
from tests.plugins.databases import make_app

LOGGER = "app.security"
NEW_PASSWORD = "a brand new passphrase 42"
GENERATED_ID = re.compile(r"\A[0-9a-f]{32}\Z")
SOCKET_ADDRESS = "127.0.0.1"
SESSIONS = "/api/auth/sessions"


@pytest.fixture
def events(caplog):
    """``events()``: every security event logged so far, each checked to be one JSON line."""
    caplog.set_level(logging.INFO, logger=LOGGER)

    def events():
        lines = [record.getMessage() for record in caplog.records if record.name == LOGGER]
        for line in lines:
            assert len(line.splitlines()) == 1
        return [json.loads(line) for line in lines]

    return events


def event_of(events, response, name):
    """The one ``name`` event of the request that ``response`` answered, checked for its
    common fields: a recent aware UTC time, the client IP and the request id."""
    request_id = response.headers["X-Request-ID"]
    (event,) = [e for e in events() if e["request_id"] == request_id and e["event"] == name]
    logged_at = datetime.fromisoformat(event["time"])
    assert logged_at.utcoffset() == timedelta(0)
    assert timedelta(0) <= utcnow() - logged_at < timedelta(seconds=30)
    assert event["ip"] == SOCKET_ADDRESS
    return event


def alice_fields(app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.user_name == "alice"))
    return {"user_id": user.id, "user_name": "alice"}


def other_device(app, password=PASSWORD):
    auth = AuthActions(app.test_client())
    assert auth.login("alice", password).status_code == 200
    return auth


def delete(client, auth, path):
    return client.delete(path, headers={"X-CSRFToken": auth.token})


def change_password(auth, current=PASSWORD, confirm=NEW_PASSWORD):
    fields = {"current_password": current, "password": NEW_PASSWORD, "confirm": confirm}
    return auth.post("/api/auth/change_password", data=fields)


# One event per action


def test_signup_is_logged(app, auth, events):
    response = auth.signup()
    event = event_of(events, response, "signup")
    assert event.items() >= alice_fields(app).items()
    assert "login" not in event


@pytest.mark.parametrize("remember", [False, True])
def test_login_ok_is_logged(app, user, auth, events, remember):
    response = auth.login("ALICE", remember_me=remember)
    event = event_of(events, response, "login_ok")
    assert event.items() >= {**alice_fields(app), "remember": remember}.items()


@pytest.mark.parametrize("login", ["ALICE", "alice@example.com", "nobody"])
def test_login_failed_is_logged_with_the_attempted_login(user, auth, events, login):
    response = auth.login(login, "wrong password")
    event = event_of(events, response, "login_failed")
    assert event["login"] == login
    assert "user_id" not in event


def test_account_throttle_is_logged_with_the_attempted_login(user, auth, events):
    for _ in range(5):
        auth.login("Alice", "wrong password")
    response = auth.login("Alice")
    assert response.status_code == 429
    event = event_of(events, response, "throttled")
    assert event["login"] == "Alice"
    assert event["limit"] == "5 per 5 minute"


def test_login_route_throttle_is_logged(auth, events):
    for number in range(30):
        auth.login(f"nobody{number}", "wrong password")
    response = auth.login("nobody", "wrong password")
    assert response.status_code == 429
    event = event_of(events, response, "throttled")
    assert event["path"] == "/api/auth/login"
    assert event["limit"] == "30 per 1 minute"


def test_change_password_throttle_is_logged_with_the_user(app, auth, logged_in_client, events):
    for _ in range(5):
        assert change_password(auth, confirm="something else entirely").status_code == 422
    response = change_password(auth)
    assert response.status_code == 429
    event = event_of(events, response, "throttled")
    assert event.items() >= {**alice_fields(app), "path": "/api/auth/change_password"}.items()


def test_logout_is_logged(app, auth, logged_in_client, events):
    response = auth.logout()
    assert event_of(events, response, "logout").items() >= alice_fields(app).items()


def test_password_change_is_logged(app, auth, logged_in_client, events):
    response = change_password(auth)
    assert response.status_code == 200
    assert event_of(events, response, "password_changed").items() >= alice_fields(app).items()


def test_wrong_current_password_is_logged(app, auth, logged_in_client, events):
    response = change_password(auth, current="wrong password")
    assert_error(response, 403, messages.WRONG_CURRENT_PASSWORD)
    event = event_of(events, response, "password_change_failed")
    assert event.items() >= alice_fields(app).items()


def test_ending_another_session_is_logged(app, auth, logged_in_client, events):
    other_device(app)
    (other,) = [s for s in logged_in_client.get(SESSIONS).get_json()["data"] if not s["current"]]
    response = delete(logged_in_client, auth, f"{SESSIONS}/{other['id']}")
    assert response.status_code == 200
    event = event_of(events, response, "session_revoked")
    assert event.items() >= {**alice_fields(app), "session": other["id"]}.items()


def test_ending_the_current_session_is_a_logged_logout(app, auth, logged_in_client, events):
    (current,) = logged_in_client.get(SESSIONS).get_json()["data"]
    response = delete(logged_in_client, auth, f"{SESSIONS}/{current['id']}")
    assert response.status_code == 200
    assert event_of(events, response, "logout").items() >= alice_fields(app).items()


def test_logout_all_is_logged(app, auth, logged_in_client, events):
    other_device(app)
    response = auth.post("/api/auth/logout_all")
    assert response.status_code == 200
    event = event_of(events, response, "session_revoked")
    assert event.items() >= {**alice_fields(app), "session": "all-others"}.items()


def test_failed_requests_log_nothing_else(auth, logged_in_client, events):
    response = auth.post("/api/auth/logout", headers={"X-CSRFToken": "forged"})
    assert response.status_code == 403
    request_id = response.headers["X-Request-ID"]
    assert [e for e in events() if e["request_id"] == request_id] == []


def test_events_carry_the_forwarded_client_behind_a_trusted_proxy(database_url, events):
    app = make_app(database_url, TRUSTED_PROXIES=1)
    try:
        auth = AuthActions(app.test_client())
        fields = {"login": "nobody", "password": PASSWORD}
        response = auth.post("/api/auth/login", fields, headers={"X-Forwarded-For": "198.51.100.7"})
    finally:
        with app.app_context():
            db.engine.dispose()
    (event,) = [e for e in events() if e["request_id"] == response.headers["X-Request-ID"]]
    assert event["ip"] == "198.51.100.7"


# One line, whatever the input


@pytest.mark.parametrize(
    "login",
    [
        'ali"ce',
        "alice\nINJECTED",
        'x\r\n{"event": "login_ok", "user_name": "alice"}',
        "tab\there",
        "line\u2028separator\u2029paragraph\x85next",
        "back\\slash",
        "\x1b[31mred",
    ],
)
def test_an_odd_login_is_still_one_parseable_line(auth, events, login):
    response = auth.post("/api/auth/login", json={"login": login, "password": "wrong password"})
    assert_error(response, 401, messages.INVALID_CREDENTIALS)
    (event,) = [e for e in events() if e["request_id"] == response.headers["X-Request-ID"]]
    assert event["event"] == "login_failed"
    assert event["login"] == login.strip()


def test_a_long_login_is_logged_within_bounds(auth, events):
    login = "a" * 250 + "@example.com"
    response = auth.login(login, "wrong password")
    assert response.status_code == 422
    assert [e for e in events() if e["request_id"] == response.headers["X-Request-ID"]] == []


# No secret in any line


class Secrets:
    """Everything that must never be logged, gathered while a test runs."""

    def __init__(self, app, client):
        self.app, self.client, self.values = app, client, set()

    def add(self, *values):
        self.values.update(value for value in values if value)

    def gather(self, auth):
        """The session's cookie, its token and CSRF token, the hashes in the database."""
        self.add(auth.token, self.client.get("/api/auth/csrf").get_json()["csrf_token"])
        cookie = self.client.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
        if cookie is not None:
            contents = session_cookie(self.app, self.client)
            self.add(cookie.value, contents.get("sid"), contents.get("csrf_token"))
        with self.app.app_context():
            self.add(*db.session.scalars(select(User._password)))
            self.add(*db.session.scalars(select(AuthSession.token_hash)))


def pieces(secret, size=16):
    """``secret`` and every run of ``size`` characters in it: a cut-off secret still leaks."""
    return {secret} | {secret[start : start + size] for start in range(len(secret) - size + 1)}


def test_no_line_holds_a_password_hash_cookie_or_token(app, client, auth, caplog, events):
    caplog.set_level(logging.DEBUG)
    secrets = Secrets(app, client)
    wrong = "wrong guess Kq7v"
    secrets.add(PASSWORD, NEW_PASSWORD, wrong)
    steps = [
        auth.signup,
        auth.logout,
        lambda: auth.login("alice", wrong),
        lambda: auth.login("nobody", wrong),
        lambda: auth.login(remember_me=True),
        lambda: change_password(auth, current=wrong),
        lambda: change_password(auth),
        lambda: other_device(app, NEW_PASSWORD).logout(),
        lambda: auth.post("/api/auth/logout_all"),
        auth.logout,
        *[lambda: auth.login("alice", wrong)] * 6,
        lambda: auth.login("alice", NEW_PASSWORD),
    ]
    for step in steps:
        secrets.gather(auth)
        step()
        secrets.gather(auth)
    assert {e["event"] for e in events()} >= {
        "signup",
        "login_ok",
        "login_failed",
        "throttled",
        "logout",
        "password_changed",
        "password_change_failed",
        "session_revoked",
    }
    text = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets.values:
        for piece in pieces(secret):
            assert piece not in text


# Request ids


def test_every_answer_carries_a_fresh_request_id(client):
    ids = [
        client.get(path).headers["X-Request-ID"]
        for path in ["/", "/api/auth/csrf", "/api/auth/verify_auth", "/api/nope", "/api/auth/csrf"]
    ]
    assert all(GENERATED_ID.match(request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)


SAFE_REQUEST_IDS = ["abc-123", "req.1_2-3", "a" * 64, "0f6c1e4b-5b1a-4c47-9a7e-1d2c3b4a5e6f"]


@pytest.fixture
def behind_proxy(database_url):
    """AuthActions on an app behind one trusted proxy."""
    app = make_app(database_url, TRUSTED_PROXIES=1)
    return AuthActions(app.test_client())


@pytest.mark.parametrize("incoming", SAFE_REQUEST_IDS)
def test_a_trusted_proxys_safe_request_id_is_kept(behind_proxy, events, incoming):
    fields = {"login": "nobody", "password": "wrong password"}
    response = behind_proxy.post("/api/auth/login", fields, headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert event_of(events, response, "login_failed")["request_id"] == incoming


@pytest.mark.parametrize("incoming", SAFE_REQUEST_IDS)
def test_a_clients_request_id_is_ignored_without_a_trusted_proxy(auth, events, incoming):
    """Any client could otherwise give its request another request's id in the log."""
    fields = {"login": "nobody", "password": "wrong password"}
    response = auth.post("/api/auth/login", fields, headers={"X-Request-ID": incoming})
    assert GENERATED_ID.match(response.headers["X-Request-ID"])
    event = event_of(events, response, "login_failed")
    assert incoming not in json.dumps(event)


@pytest.mark.parametrize(
    "incoming",
    ["has space", "a" * 65, "x" * 200, "a\nb", "a\r\nSet-Cookie: x=1", "semi;colon", "ü", ""],
)
def test_an_unsafe_incoming_request_id_is_replaced(behind_proxy, events, incoming):
    # Through the environ: the test client itself refuses a header with a newline.
    response = behind_proxy.post(
        "/api/auth/login",
        {"login": "nobody", "password": "wrong password"},
        environ_overrides={"HTTP_X_REQUEST_ID": incoming},
    )
    assert GENERATED_ID.match(response.headers["X-Request-ID"])
    assert "x=1" not in response.headers.getlist("Set-Cookie")
    event_of(events, response, "login_failed")


# The account trail


def trail(app):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.user_name == "alice"))
    return user.last_login_at, user.last_login_ip, user.login_count


def test_each_successful_login_updates_the_trail(app, user, auth):
    _, _, count = trail(app)
    before = datetime.now(UTC)
    assert auth.login().status_code == 200
    at, ip, after_first = trail(app)
    assert as_utc(at).tzinfo == UTC
    assert before <= as_utc(at) <= datetime.now(UTC)
    assert (ip, after_first) == (SOCKET_ADDRESS, count + 1)
    other_client = app.test_client()
    other_client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    elsewhere = AuthActions(other_client)
    assert elsewhere.login("alice@example.com").status_code == 200
    later, ip, after_second = trail(app)
    assert as_utc(later) >= as_utc(at)
    assert (ip, after_second) == ("198.51.100.7", count + 2)


def test_signup_counts_as_the_first_login(app, auth):
    assert auth.signup().status_code == 201
    at, ip, count = trail(app)
    assert (ip, count) == (SOCKET_ADDRESS, 1)
    assert as_utc(at) <= datetime.now(UTC)


def test_failed_and_throttled_logins_leave_the_trail_alone(app, user, auth):
    assert auth.login().status_code == 200
    auth.logout()
    unchanged = trail(app)
    for _ in range(5):
        assert_error(auth.login("alice", "wrong password"), 401, messages.INVALID_CREDENTIALS)
    assert_error(auth.login(), 429, messages.TOO_MANY_ATTEMPTS)
    assert trail(app) == unchanged
