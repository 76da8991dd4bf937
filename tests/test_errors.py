"""Every error under ``/api/`` is the JSON envelope: routing, server errors, a lost database."""

import time

import itsdangerous
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DisconnectionError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)

from app.api.errors import is_connection_error
from app.common import messages
from app.common.paths import is_api_path
from app.extensions import db
from app.users.models import User
from devtools.processes import free_port
from tests.helpers import (
    CSRF_BAD_REFERRER,
    CSRF_EXPIRED,
    CSRF_INVALID,
    CSRF_MISMATCH,
    CSRF_MISSING,
    CSRF_NO_REFERRER,
    CSRF_SESSION_MISSING,
    PASSWORD,
    SIGNUP_FIELDS,
    AuthActions,
    assert_csrf_failure,
    assert_error,
    count_rows,
)
from tests.plugins.databases import POSTGRESQL, TEST_DATABASE, TEST_DATABASE_URL, make_app

NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again."
)
NOT_ALLOWED = "The method is not allowed for the requested URL."
# The routes whose views failing_app replaces.
BOOM = "/api/auth/csrf"
BAD_QUERY = "/api/auth/verify_auth"


@pytest.fixture
def failing_app(database_url):
    """An app whose csrf view fails and whose verify_auth view runs a bad query, a test-only
    page route that fails, and exceptions handled as in production. Real API routes, so that
    their 500s are held to openapi.yaml like any answer."""
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)

    def boom():
        raise RuntimeError("secret detail: /srv/app/config.py line 12")

    def bad_query():
        db.session.execute(text("SELECT * FROM no_such_table"))

    app.view_functions["auth.csrf"] = boom
    app.view_functions["auth.verify_auth"] = bad_query

    @app.get("/boom")
    def page_boom():
        raise RuntimeError("page failure")

    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def lost_database_app(tmp_path):
    """An app whose database cannot be reached: a SQLite file in a directory that does not
    exist, or a PostgreSQL server on a port where nothing listens."""
    if TEST_DATABASE == POSTGRESQL:
        unreachable = make_url(TEST_DATABASE_URL).set(port=free_port())
        app = make_app(unreachable.render_as_string(hide_password=False))
    else:
        app = make_app(tmp_path / "missing" / "app.db")
    yield app
    with app.app_context():
        db.engine.dispose()


# 404 and 405


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/",
        "/api/nope",
        "/api/auth",
        "/api/auth/nope",
        "/api/auth/login/",
        "/api/auth/login/x",
    ],
)
def test_unknown_api_path_is_json_404(client, path):
    assert_error(client.get(path), 404, NOT_FOUND)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/auth/login", {"POST", "OPTIONS"}),
        ("GET", "/api/auth/signup", {"POST", "OPTIONS"}),
        ("GET", "/api/auth/logout", {"POST", "OPTIONS"}),
        ("POST", "/api/auth/verify_auth", {"GET", "HEAD", "OPTIONS"}),
        ("POST", "/api/auth/csrf", {"GET", "HEAD", "OPTIONS"}),
        ("PUT", "/api/auth/login", {"POST", "OPTIONS"}),
        ("DELETE", "/api/auth/logout", {"POST", "OPTIONS"}),
    ],
)
def test_wrong_method_is_json_405_with_allow(client, method, path, allowed):
    response = client.open(path, method=method)
    assert_error(response, 405, NOT_ALLOWED)
    assert set(response.headers["Allow"].split(", ")) == allowed


def test_unknown_api_post_is_404_not_a_csrf_error(client):
    assert_error(client.post("/api/nope"), 404, NOT_FOUND)


def test_head_and_options_have_no_body(client):
    response = client.options("/api/auth/login")
    assert response.status_code == 200
    assert response.get_data() == b""
    assert "POST" in response.headers["Allow"]
    head = client.head("/api/auth/csrf")
    assert head.status_code == 200
    assert head.get_data() == b""


def test_error_outside_the_api_stays_html(client):
    response = client.post("/")
    assert response.status_code == 405
    assert response.mimetype == "text/html"


# CSRF failures: a 403 of their own type, whatever Flask-WTF found wrong

HTTPS = "https://localhost"


def token_of(client, **request):
    return client.get("/api/auth/csrf", **request).get_json()["csrf_token"]


def no_header(app, client, monkeypatch):
    token_of(client)
    return {}


def forged(app, client, monkeypatch):
    token_of(client)
    return {"headers": {"X-CSRFToken": "forged"}}


def no_session(app, client, monkeypatch):
    """A token, but from another client: this one has no session holding one."""
    return {"headers": {"X-CSRFToken": token_of(app.test_client())}}


def another_sessions(app, client, monkeypatch):
    token_of(client)
    return {"headers": {"X-CSRFToken": token_of(app.test_client())}}


def expired(app, client, monkeypatch):
    """Made two days ago, with a time limit of an hour (the app's default has none)."""
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    two_days_ago = int(time.time()) - 2 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: two_days_ago)
        return {"headers": {"X-CSRFToken": token_of(client)}}


def no_referrer(app, client, monkeypatch):
    """HTTPS with Flask-WTF's strict mode on (the app's default has it off)."""
    app.config["WTF_CSRF_SSL_STRICT"] = True
    return {"headers": {"X-CSRFToken": token_of(client, base_url=HTTPS)}, "base_url": HTTPS}


def other_referrer(app, client, monkeypatch):
    request = no_referrer(app, client, monkeypatch)
    request["headers"]["Referer"] = "https://elsewhere.example/"
    return request


CSRF_FAILURES = [
    (no_header, CSRF_MISSING),
    (forged, CSRF_INVALID),
    (no_session, CSRF_SESSION_MISSING),
    (another_sessions, CSRF_MISMATCH),
    (expired, CSRF_EXPIRED),
    (no_referrer, CSRF_NO_REFERRER),
    (other_referrer, CSRF_BAD_REFERRER),
]


@pytest.mark.parametrize(
    ("refused", "reason"), CSRF_FAILURES, ids=[kind.__name__ for kind, _ in CSRF_FAILURES]
)
def test_every_csrf_failure_is_a_403_of_its_own_type(app, client, monkeypatch, refused, reason):
    """Not a 400: the token is a credential, missing or wrong. The message says why, and
    where a good one comes from; nothing is done."""
    request = refused(app, client, monkeypatch)
    response = client.post("/api/auth/signup", data=SIGNUP_FIELDS, **request)
    assert_csrf_failure(response, reason)
    assert count_rows(app, User) == 0


def test_a_csrf_failure_leaves_the_session_and_its_token(app, client):
    """A client that was refused takes the session's token, as the message says, and the
    same request goes through."""
    refused = client.post("/api/auth/signup", data=SIGNUP_FIELDS, headers={"X-CSRFToken": "x"})
    assert refused.status_code == 403
    token = token_of(client)
    response = client.post("/api/auth/signup", data=SIGNUP_FIELDS, headers={"X-CSRFToken": token})
    assert response.status_code == 201


# 500


def test_unexpected_error_is_generic_json_500(failing_app):
    response = failing_app.test_client().get(BOOM)
    assert_error(response, 500, messages.SERVER_ERROR)
    body = response.get_data(as_text=True)
    assert "secret detail" not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body


def test_unexpected_error_goes_to_the_log(failing_app, caplog):
    failing_app.test_client().get(BOOM)
    assert "secret detail" in caplog.text


def test_database_error_that_is_not_a_lost_connection_is_500(failing_app):
    response = failing_app.test_client().get(BAD_QUERY)
    assert_error(response, 500, messages.SERVER_ERROR)
    assert "no_such_table" not in response.get_data(as_text=True)


def test_unexpected_error_outside_the_api_is_not_json(failing_app):
    response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"


def test_errors_propagate_in_testing(app):
    """The testing config keeps Flask's default: a test sees the real exception."""

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("visible in tests")

    with pytest.raises(RuntimeError, match="visible in tests"):
        app.test_client().get("/api/boom")


# 503


def test_lost_database_on_verify_auth_is_503(lost_database_app):
    client = lost_database_app.test_client()
    serializer = lost_database_app.session_interface.get_signing_serializer(lost_database_app)
    client.set_cookie("session", serializer.dumps({"sid": "some-session-token"}))
    assert_error(client.get("/api/auth/verify_auth"), 503, messages.SERVICE_UNAVAILABLE)


def test_lost_database_on_login_is_503(lost_database_app):
    client = lost_database_app.test_client()
    auth = AuthActions(client)
    auth.token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = auth.login(password=PASSWORD)
    assert_error(response, 503, messages.SERVICE_UNAVAILABLE)


def test_lost_database_on_signup_is_503(lost_database_app):
    client = lost_database_app.test_client()
    auth = AuthActions(client)
    auth.token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    assert_error(auth.signup(), 503, messages.SERVICE_UNAVAILABLE)


def test_lost_database_does_not_stop_what_needs_none(lost_database_app):
    client = lost_database_app.test_client()
    assert client.get("/api/auth/csrf").status_code == 200
    assert_error(client.get("/api/auth/verify_auth"), 401, messages.NOT_LOGGED_IN)


# The pieces


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/api", True),
        ("/api/", True),
        ("/api/auth/login", True),
        ("/", False),
        ("/apiary", False),
        ("/some/api/path", False),
    ],
)
def test_is_api_path(path, api):
    assert is_api_path(path) is api


def dbapi_error(cls, message, invalidated=False):
    return cls("SELECT 1", {}, Exception(message), connection_invalidated=invalidated)


@pytest.mark.parametrize(
    ("exc", "connection"),
    [
        (dbapi_error(OperationalError, "unable to open database file"), True),
        (dbapi_error(OperationalError, "could not connect to server: Connection refused"), True),
        (dbapi_error(OperationalError, "connection timeout expired"), True),
        (dbapi_error(OperationalError, "server closed the connection unexpectedly"), True),
        (dbapi_error(OperationalError, "FATAL: the database system is starting up"), True),
        (dbapi_error(OperationalError, "anything", invalidated=True), True),
        (DisconnectionError("gone"), True),
        (dbapi_error(OperationalError, "no such table: user"), False),
        (dbapi_error(OperationalError, "database is locked"), False),
        (dbapi_error(IntegrityError, "UNIQUE constraint failed: user.email_key"), False),
        (dbapi_error(ProgrammingError, "syntax error"), False),
        (SQLAlchemyError("mapper trouble"), False),
    ],
)
def test_is_connection_error(exc, connection):
    assert is_connection_error(exc) is connection
