"""Server-side sessions: the record decides, logout ends it, every success rotates it."""

import hashlib
import secrets
from dataclasses import replace
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy import bindparam, column, delete, event, literal_column, select, table
from sqlalchemy.exc import DBAPIError
from wtforms.validators import ValidationError

from app.common import messages
from app.common.time import as_utc, utcnow
from app.extensions import db
from app.sessions import cookie, lookup, store
from app.sessions.models import MAX_USER_AGENT_LEN, AuthSession, hash_token
from app.users.models import User
from tests.helpers import (
    CSRF_MISMATCH,
    PASSWORD,
    SIGNUP_FIELDS,
    AuthActions,
    age,
    assert_csrf_failure,
    assert_error,
    count_rows,
    session_cookie,
    use_production,
)
from tests.plugins.accounts import add_user, log_in
from tests.plugins.databases import make_app

VERIFY = "/api/auth/verify_auth"
COOKIE_KEYS = {"sid", "csrf_token"}


def cookie_value(app, client):
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def replay(app, value):
    """A fresh client holding a copy of a session cookie."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], value)
    return other


def records(app):
    with app.app_context():
        return db.session.scalars(select(AuthSession).order_by(AuthSession.id)).all()


def set_cookie_header(response, name="session"):
    (header,) = [
        value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"{name}=")
    ]
    return header


def browser(app):
    """Another client with its own auth helper: a second browser or device."""
    client = app.test_client()
    return client, AuthActions(client)


# Logout really ends the session


def test_cookie_copy_works_while_logged_in(app, logged_in_client):
    assert replay(app, cookie_value(app, logged_in_client)).get(VERIFY).status_code == 200


def test_logout_deletes_the_record(app, auth, logged_in_client):
    copy = cookie_value(app, logged_in_client)
    assert auth.logout().status_code == 200
    assert count_rows(app, AuthSession) == 0
    assert_error(replay(app, copy).get(VERIFY), 401, messages.NOT_LOGGED_IN)


def test_cookie_copy_cannot_log_out_again(app, auth, logged_in_client):
    copy = cookie_value(app, logged_in_client)
    token = auth.token
    auth.logout()
    other = replay(app, copy)
    response = other.post("/api/auth/logout", headers={"X-CSRFToken": token})
    assert_error(response, 401, messages.NOT_LOGGED_IN)


def test_logout_ends_only_this_session(app, auth, logged_in_client):
    other, other_auth = browser(app)
    assert other_auth.login().status_code == 200
    assert count_rows(app, AuthSession) == 2
    auth.logout()
    assert logged_in_client.get(VERIFY).status_code == 401
    assert other.get(VERIFY).status_code == 200
    assert count_rows(app, AuthSession) == 1


def test_deleting_the_user_deletes_the_sessions(app, logged_in_client):
    with app.app_context():
        db.session.execute(delete(User))
        db.session.commit()
    assert count_rows(app, AuthSession) == 0
    assert logged_in_client.get(VERIFY).status_code == 401


# Every success replaces the session (no fixation)


def test_login_replaces_the_session(app, auth, logged_in_client):
    before = session_cookie(app, logged_in_client)["sid"]
    copy = cookie_value(app, logged_in_client)
    assert auth.login().status_code == 200
    after = session_cookie(app, logged_in_client)["sid"]
    assert after != before
    assert count_rows(app, AuthSession) == 1
    assert replay(app, copy).get(VERIFY).status_code == 401
    assert logged_in_client.get(VERIFY).status_code == 200


def test_pre_login_cookie_is_not_logged_in(app, auth, logged_in_client):
    auth.logout()
    pre_login = cookie_value(app, logged_in_client)
    pre_login_token = auth.token
    assert "sid" not in session_cookie(app, logged_in_client)
    assert auth.login().status_code == 200
    stale = replay(app, pre_login)
    assert stale.get(VERIFY).status_code == 401
    response = logged_in_client.post("/api/auth/logout", headers={"X-CSRFToken": pre_login_token})
    assert_csrf_failure(response, CSRF_MISMATCH)


def test_login_as_someone_else_deletes_the_previous_record(app, auth, logged_in_client):
    _, bob = browser(app)
    log_in(bob, add_user(app, "bobby", email="bob@example.com"))
    alice_copy = cookie_value(app, logged_in_client)
    assert auth.login(login="bobby").status_code == 200
    assert logged_in_client.get(VERIFY).get_json()["data"]["user_name"] == "bobby"
    assert replay(app, alice_copy).get(VERIFY).status_code == 401
    with app.app_context():
        owners = db.session.scalars(select(AuthSession.user_id)).all()
        bob = User.find_by_login("bobby")
    assert owners == [bob.id, bob.id]


def test_signup_while_logged_in_replaces_the_session(app, auth, logged_in_client):
    copy = cookie_value(app, logged_in_client)
    response = auth.signup(user_name="bobby", email="bob@example.com")
    assert response.status_code == 201
    assert logged_in_client.get(VERIFY).get_json()["data"]["user_name"] == "bobby"
    assert replay(app, copy).get(VERIFY).status_code == 401
    assert count_rows(app, AuthSession) == 1


@pytest.mark.parametrize(
    ("path", "kwargs", "status"),
    [
        ("/api/auth/login", {"data": {"login": "alice", "password": "wrong"}}, 401),
        ("/api/auth/login", {"data": {"login": "nobody", "password": PASSWORD}}, 401),
        ("/api/auth/login", {"data": {"login": "alice"}}, 422),
        ("/api/auth/login", {"json": {"login": 1, "password": PASSWORD}}, 422),
        ("/api/auth/login", {"data": "{", "content_type": "application/json"}, 400),
        ("/api/auth/login", {"data": "x", "content_type": "text/plain"}, 415),
        ("/api/auth/signup", {"data": {"user_name": "x"}}, 422),
        ("/api/auth/signup", {"data": {**SIGNUP_FIELDS, "user_name": "ALICE"}}, 409),
        ("/api/auth/signup", {"json": {**SIGNUP_FIELDS, "email": "Alice@Example.com"}}, 409),
    ],
)
def test_failure_leaves_the_session_and_token_alone(
    app, auth, logged_in_client, path, kwargs, status
):
    cookie_before = cookie_value(app, logged_in_client)
    token = auth.token
    response = auth.post(path, **kwargs)
    assert response.status_code == status
    assert response.headers.getlist("Set-Cookie") == []
    assert cookie_value(app, logged_in_client) == cookie_before
    assert logged_in_client.get(VERIFY).get_json()["data"]["user_name"] == "alice"
    assert count_rows(app, AuthSession) == 1
    assert auth.token == token
    assert auth.logout().status_code == 200


def test_failed_login_while_logged_out_sets_no_cookie(app, auth, logged_in_client):
    auth.logout()
    response = auth.login(password="wrong")
    assert response.status_code == 401
    assert response.headers.getlist("Set-Cookie") == []
    assert count_rows(app, AuthSession) == 0


# The CSRF token that a success hands back is the one the next POST needs


def test_token_from_login_is_accepted_by_logout(app, auth, logged_in_client):
    auth.logout()
    token = auth.login().get_json()["csrf_token"]
    response = logged_in_client.post("/api/auth/logout", headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_token_from_signup_is_accepted_by_logout(app, auth, client):
    token = auth.signup().get_json()["csrf_token"]
    response = client.post("/api/auth/logout", headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_token_from_logout_is_accepted_by_login(app, auth, logged_in_client):
    token = auth.logout().get_json()["csrf_token"]
    response = logged_in_client.post(
        "/api/auth/login",
        data={"login": "alice", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200


def test_each_success_rotates_the_token(app, auth, client):
    """Every success, a signup through the API among them."""
    tokens = [auth.fetch_token()]
    for step in (auth.signup, auth.logout, auth.login, auth.login, auth.logout):
        tokens.append(step().get_json()["csrf_token"])
    for old in tokens[:-1]:
        response = client.post("/api/auth/logout", headers={"X-CSRFToken": old})
        assert_csrf_failure(response, CSRF_MISMATCH)
    response = client.post(
        "/api/auth/login",
        data={"login": "alice", "password": PASSWORD},
        headers={"X-CSRFToken": tokens[-1]},
    )
    assert response.status_code == 200


def test_a_new_cookie_gets_a_new_token_though_the_request_made_one_before(app):
    """Flask-WTF keeps a request's token in ``g``, under the field's name; the cookie's
    rotation drops it there (``app.sessions.cookie``), or the token made earlier in the
    request, of the old cookie, would come back for the new one."""
    with app.test_request_context():
        before = generate_csrf()
        after = cookie.end().hand_over()
        assert after != before
        validate_csrf(after)
        with pytest.raises(ValidationError):
            validate_csrf(before)


# What the cookie holds


def test_cookie_holds_only_sid_and_csrf_token(app, auth, client):
    """After each success, a signup through the API among them."""
    auth.signup()
    assert set(session_cookie(app, client)) == COOKIE_KEYS
    auth.login()
    assert set(session_cookie(app, client)) == COOKIE_KEYS
    client.get(VERIFY)
    assert set(session_cookie(app, client)) == COOKIE_KEYS
    auth.logout()
    assert set(session_cookie(app, client)) == {"csrf_token"}


def test_remembered_cookie_adds_only_the_permanent_flag(app, auth, logged_in_client):
    """Flask records a permanent session as ``_permanent``; Flask-Login adds nothing."""
    auth.login(remember_me=True)
    content = session_cookie(app, logged_in_client)
    assert content.pop("_permanent") is True
    assert set(content) == COOKIE_KEYS
    auth.logout()
    assert set(session_cookie(app, logged_in_client)) == {"csrf_token"}


def test_cookie_token_is_random_and_long(app, logged_in_client):
    token = session_cookie(app, logged_in_client)["sid"]
    # 32 random bytes, URL-safe base64: 256 bits.
    assert len(token) >= 43


def test_flask_login_remember_cookie_is_never_set(app, auth, client):
    """Not by any answer that starts or ends a session, a signup through the API among them."""
    responses = [auth.signup(), auth.logout(), auth.login(remember_me=True)]
    for response in responses:
        for header in response.headers.getlist("Set-Cookie"):
            assert header.startswith("session=")
    assert client.get_cookie("remember_token") is None


def test_stale_remember_cookie_does_not_hide_the_session(app, logged_in_client):
    """A browser may still hold a ``remember_token`` (the tutorial set one for a year)."""
    logged_in_client.set_cookie("remember_token", "1|" + "0" * 128)
    assert logged_in_client.get(VERIFY).status_code == 200
    assert set(session_cookie(app, logged_in_client)) == COOKIE_KEYS


@pytest.mark.parametrize("logged_in", [True, False])
def test_stale_remember_cookie_is_deleted(app, auth, client, logged_in):
    if logged_in:
        log_in(auth, add_user(app))
    client.set_cookie("remember_token", "1|" + "0" * 128)
    response = client.get(VERIFY)
    assert response.status_code == (200 if logged_in else 401)
    (deletion,) = [
        header
        for header in response.headers.getlist("Set-Cookie")
        if header.startswith("remember_token=")
    ]
    assert deletion.startswith("remember_token=; Expires=Thu, 01 Jan 1970")
    assert client.get_cookie("remember_token") is None
    # Deleted once: the next answer has nothing more to say about it.
    assert not any(
        header.startswith("remember_token=")
        for header in client.get(VERIFY).headers.getlist("Set-Cookie")
    )


def test_tutorial_remember_cookie_logs_nobody_in(app, auth, user, logged_in_client):
    """A validly signed Flask-Login cookie is not a session: only the record is."""
    with app.test_request_context():
        remember = encode_cookie(str(user.id))
    auth.logout()
    logged_in_client.set_cookie("remember_token", remember)
    assert logged_in_client.get(VERIFY).status_code == 401
    assert set(session_cookie(app, logged_in_client)) == {"csrf_token"}
    assert auth.login().status_code == 200
    assert logged_in_client.get(VERIFY).status_code == 200
    assert set(session_cookie(app, logged_in_client)) == COOKIE_KEYS


# Cookie lifetime and flags


def test_cookie_without_remember_me_ends_with_the_browser(app, auth, client):
    """The cookies of a signup through the API and of a login."""
    header = set_cookie_header(auth.signup())
    assert "Expires=" not in header
    assert "Max-Age=" not in header
    auth.logout()
    header = set_cookie_header(auth.login())
    assert "Expires=" not in header
    assert "Max-Age=" not in header


def test_cookie_with_remember_me_lasts_30_days(app, auth, user, client):
    header = set_cookie_header(auth.login(remember_me=True))
    assert "Expires=" in header
    expires = client.get_cookie("session").expires
    expected = utcnow() + app.config["PERMANENT_SESSION_LIFETIME"]
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=30)
    assert abs(expires - expected) < timedelta(minutes=1)


def test_remember_me_then_plain_login_drops_the_expiry(app, auth, logged_in_client):
    auth.login(remember_me=True)
    header = set_cookie_header(auth.login())
    assert "Expires=" not in header
    assert "_permanent" not in session_cookie(app, logged_in_client)


def test_cookie_flags(auth):
    """The cookie a signup through the API sets."""
    header = set_cookie_header(auth.signup())
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


@pytest.fixture
def production_app(database_url, monkeypatch):
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    return make_app(database_url)


def test_cookie_is_secure_and_host_only_in_production(production_app):
    response = browser(production_app)[1].signup()
    assert response.status_code == 201
    header = set_cookie_header(response, "__Host-session")
    assert "; Secure" in header
    assert "; Path=/" in header
    assert "Domain" not in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


@pytest.mark.parametrize(
    ("config", "name"),
    [
        ({}, "__Host-session"),
        ({"SESSION_COOKIE_SECURE": False}, "session"),
        ({"SESSION_COOKIE_DOMAIN": "example.com"}, "session"),
        ({"SESSION_COOKIE_PATH": "/app"}, "session"),
        ({"SESSION_COOKIE_NAME": "auth"}, "auth"),
    ],
)
def test_the_host_prefix_only_where_the_cookie_qualifies(database_url, monkeypatch, config, name):
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    assert make_app(database_url, **config).config["SESSION_COOKIE_NAME"] == name


def test_the_tutorials_session_cookie_is_ignored_and_deleted(production_app):
    """A browser that still holds the tutorial's ``session`` cookie signs up as usual."""
    client, auth = browser(production_app)
    client.set_cookie("session", "eyJfZnJlc2giOmZhbHNlLCJfdXNlcl9pZCI6IjEifQ.tutorial.cookie")
    page = client.get("/")
    assert page.status_code == 200
    assert "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/" in (
        page.headers.getlist("Set-Cookie")
    )
    assert client.get_cookie("session") is None
    assert auth.signup().status_code == 201
    assert client.get("/api/auth/verify_auth").status_code == 200


# The record


def test_record_stores_only_the_token_hash(app, auth, user, client):
    """The record of a login (signup starts its session the same way: ``cookie.start``)."""
    auth.post(
        "/api/auth/login",
        data={"login": user.user_name, "password": user.password},
        headers={"User-Agent": "Mozilla/5.0 (test)"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    before = utcnow()
    token = session_cookie(app, client)["sid"]
    (record,) = records(app)
    assert record.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert record.token_hash == hash_token(token)
    assert token not in {record.public_id, record.token_hash}
    assert record.public_id not in {token, record.token_hash}
    assert record.public_id
    with app.app_context():
        row = db.session.execute(select(AuthSession.__table__)).one()
    assert token not in [str(value) for value in row]
    assert record.user.user_name == "alice"
    assert record.remember is False
    assert record.ip == "203.0.113.7"
    assert record.user_agent == "Mozilla/5.0 (test)"
    assert abs(as_utc(record.created_at) - before) < timedelta(minutes=1)
    assert as_utc(record.last_seen_at) == as_utc(record.created_at)


def test_record_remembers_remember_me(app, auth, logged_in_client):
    auth.login(remember_me=True)
    (record,) = records(app)
    assert record.remember is True


def test_record_cuts_a_long_user_agent(app, auth, user):
    auth.fetch_token()
    auth.post(
        "/api/auth/login",
        data={"login": user.user_name, "password": user.password},
        headers={"User-Agent": "x" * 5000},
    )
    (record,) = records(app)
    assert record.user_agent == "x" * MAX_USER_AGENT_LEN


def test_public_ids_and_hashes_are_unique(app, auth, logged_in_client):
    for _ in range(3):
        auth.login()
    assert browser(app)[1].login().status_code == 200
    rows = records(app)
    assert len(rows) == 2
    assert len({row.public_id for row in rows}) == 2
    assert len({row.token_hash for row in rows}) == 2


@pytest.mark.parametrize("sid", ["not-a-token", "", 12345, None, ["x"], {"a": 1}])
def test_cookie_with_unknown_or_odd_sid_is_logged_out(app, logged_in_client, sid):
    serializer = app.session_interface.get_signing_serializer(app)
    logged_in_client.set_cookie("session", serializer.dumps({"sid": sid}))
    assert_error(logged_in_client.get(VERIFY), 401, messages.NOT_LOGGED_IN)


def test_cookie_signed_with_another_key_is_ignored(app, logged_in_client, database_url):
    other_app = make_app(database_url)
    content = session_cookie(app, logged_in_client)
    forged = other_app.session_interface.get_signing_serializer(other_app).dumps(content)
    logged_in_client.set_cookie("session", forged)
    assert logged_in_client.get(VERIFY).status_code == 401
    with other_app.app_context():
        db.engine.dispose()


# Expiry: the record decides


@pytest.mark.parametrize(
    ("remember", "ago_created", "ago_seen", "alive"),
    [
        (False, timedelta(minutes=59), timedelta(minutes=59), True),
        (False, timedelta(minutes=61), timedelta(minutes=61), False),
        (False, timedelta(hours=5), timedelta(hours=1, seconds=1), False),
        (False, timedelta(hours=11, minutes=59), timedelta(minutes=1), True),
        (False, timedelta(hours=12, minutes=1), timedelta(seconds=5), False),
        (False, timedelta(days=2), timedelta(0), False),
        (True, timedelta(days=29, hours=23), timedelta(days=29, hours=23), True),
        (True, timedelta(hours=13), timedelta(hours=2), True),
        (True, timedelta(days=30, minutes=1), timedelta(0), False),
    ],
)
def test_expiry(app, auth, logged_in_client, remember, ago_created, ago_seen, alive):
    auth.login(remember_me=remember)
    age(app, created=ago_created, seen=ago_seen)
    response = logged_in_client.get(VERIFY)
    if alive:
        assert response.status_code == 200
    else:
        assert_error(response, 401, messages.NOT_LOGGED_IN)


def test_expired_session_cannot_log_out(app, auth, logged_in_client):
    age(app, seen=timedelta(hours=2))
    assert_error(auth.logout(), 401, messages.NOT_LOGGED_IN)


def test_durations_from_the_environment_are_seconds(database_url, monkeypatch):
    monkeypatch.setenv("FLASK_SESSION_IDLE_TIMEOUT", "60")
    app = make_app(database_url)
    assert app.config["SESSION_IDLE_TIMEOUT"] == 60
    client, auth = browser(app)
    log_in(auth, add_user(app))
    assert client.get(VERIFY).status_code == 200
    age(app, seen=timedelta(seconds=61))
    assert client.get(VERIFY).status_code == 401
    with app.app_context():
        db.engine.dispose()


def test_last_seen_is_touched_at_most_once_per_interval(app, logged_in_client):
    (record,) = records(app)
    first_seen = record.last_seen_at
    for _ in range(3):
        assert logged_in_client.get(VERIFY).status_code == 200
    assert records(app)[0].last_seen_at == first_seen

    age(app, seen=timedelta(seconds=50))
    (record,) = records(app)
    kept = record.last_seen_at
    logged_in_client.get(VERIFY)
    assert records(app)[0].last_seen_at == kept

    age(app, seen=timedelta(minutes=1, seconds=5))
    before = utcnow()
    logged_in_client.get(VERIFY)
    touched = as_utc(records(app)[0].last_seen_at)
    assert touched >= before - timedelta(seconds=1)
    assert as_utc(records(app)[0].created_at) == as_utc(record.created_at)


def test_is_expired_takes_naive_datetimes(app):
    """SQLite hands back naive datetimes; they are UTC."""
    now = utcnow()
    naive = now.replace(tzinfo=None)
    with app.app_context():
        fresh = AuthSession(created_at=naive, last_seen_at=naive, remember=False)
        assert store.is_expired(fresh, now) is False
        idle = AuthSession(
            created_at=naive - timedelta(hours=2),
            last_seen_at=naive - timedelta(hours=2),
            remember=False,
        )
        assert store.is_expired(idle, now) is True
        remembered = AuthSession(
            created_at=naive - timedelta(days=3),
            last_seen_at=naive - timedelta(days=3),
            remember=True,
        )
        assert store.is_expired(remembered, now) is False


@pytest.mark.sqlite
def test_stored_datetimes_come_back_naive_and_still_work(app, logged_in_client):
    (record,) = records(app)
    assert record.created_at.tzinfo is None
    age(app, seen=timedelta(minutes=5))
    assert logged_in_client.get(VERIFY).status_code == 200


# The per-request lookup: one read, outside the ORM session


def test_an_authenticated_request_is_one_select(app, logged_in_client, statements):
    assert logged_in_client.get(VERIFY).status_code == 200
    (statement,) = statements
    assert statement.startswith("SELECT ")
    assert "auth_session" in statement


def test_the_lookup_never_reads_the_password_hash(app, logged_in_client, statements):
    assert logged_in_client.get(VERIFY).status_code == 200
    (statement,) = statements
    columns = statement.split(" FROM ")[0]
    assert "password" not in columns
    assert "token_hash" not in columns


def test_a_lost_connection_under_the_lookup_is_invalidated(app, monkeypatch):
    """The lookup runs on the DB-API cursor, below SQLAlchemy's own handling of errors: it
    raises SQLAlchemy's error itself, and invalidates the connection when the dialect says
    that the error means it is lost, as a Core read would."""
    missing_table = select(literal_column("1")).select_from(table("no_such_table"))
    with app.app_context():
        engine = db.engine
        broken = missing_table.where(column("token_hash") == bindparam("token_hash"))
        sql = str(broken.compile(dialect=engine.dialect))
        compiled = lookup.READ.prepared.compiled_for(engine)
        monkeypatch.setitem(lookup.READ.prepared.compiled, engine, replace(compiled, sql=sql))
        monkeypatch.setattr(engine.dialect, "is_disconnect", lambda *_: True)
        invalidated = []
        event.listen(engine, "invalidate", lambda _dbapi, _record, exc: invalidated.append(exc))
        with pytest.raises(DBAPIError) as caught:
            lookup.find_by_token_hash(hash_token("any"))
    assert caught.value.connection_invalidated
    assert invalidated == [caught.value.orig]


def test_current_user_has_the_same_json_as_the_model(app, logged_in_client):
    body = logged_in_client.get(VERIFY).get_json()
    with app.app_context():
        user = db.session.scalar(select(User))
        assert body["data"] == user.to_json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/api/auth/change_password",
            {"current_password": PASSWORD, "password": "Zq8#vT2!x-renewed"},
        ),
        ("/api/auth/logout_all", {}),
    ],
)
def test_user_deleted_after_the_lookup_is_logged_out(
    app, auth, logged_in_client, monkeypatch, path, body
):
    """The account goes between reading the session and the view that changes it."""
    lookup = cookie.find_by_token_hash

    def lookup_then_delete(token_hash):
        found = lookup(token_hash)
        with db.engine.begin() as connection:
            connection.execute(delete(User))
        return found

    monkeypatch.setattr(cookie, "find_by_token_hash", lookup_then_delete)
    if "password" in body:
        body["confirm"] = body["password"]
    response = auth.post(path, json=body)
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    assert count_rows(app, User) == 0
    assert count_rows(app, AuthSession) == 0
