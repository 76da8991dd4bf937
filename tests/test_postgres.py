"""PostgreSQL: the engine's pool and timeouts, both URL schemes, case-insensitive keys, and
connections that die or stall under the app."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from app.common import messages
from app.common.time import utcnow
from app.extensions import db
from app.users.keys import email_key, user_name_key
from app.users.models import User
from tests.helpers import AuthActions, assert_error
from tests.plugins.databases import make_app
from tests.system.client import Client, signup_body

pytestmark = pytest.mark.postgres

# Far below gunicorn's 30 s worker timeout.
QUICK = 5


def app_backends(server, database_url):
    """The process ids of the server's sessions on ``database_url``'s database, but ours."""
    rows = server.admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [make_url(database_url).database],
    )
    return {pid for (pid,) in rows}


def wait_until_gone(server, database_url, pids):
    deadline = time.monotonic() + QUICK
    while app_backends(server, database_url) & pids:
        assert time.monotonic() < deadline, f"backends {pids} did not end"
        time.sleep(0.05)


# The engine


def test_engine_pings_pooled_connections_and_bounds_the_pool(app):
    with app.app_context():
        pool = db.engine.pool
        assert db.engine.dialect.driver == "psycopg"
        assert pool._pre_ping is True
        assert (pool.size(), pool._max_overflow, pool.timeout()) == (5, 5, 5)


def test_connections_have_the_statement_and_connect_timeouts(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "5s"
        parameters = connection.connection.dbapi_connection.info.get_parameters()
    assert parameters["connect_timeout"] == "3"


def test_pool_and_timeouts_follow_the_config(database_url, monkeypatch):
    monkeypatch.setenv("FLASK_DATABASE_STATEMENT_TIMEOUT_MS", "1234")
    monkeypatch.setenv("FLASK_DATABASE_CONNECT_TIMEOUT", "7")
    monkeypatch.setenv("FLASK_DATABASE_POOL_SIZE", "2")
    app = make_app(database_url)
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "1234ms"
        parameters = connection.connection.dbapi_connection.info.get_parameters()
        assert db.engine.pool.size() == 2
    assert parameters["connect_timeout"] == "7"


def test_timestamps_come_back_aware_in_utc(app, auth):
    """Unlike SQLite's naive ones (tests/sessions/test_service.py)."""
    assert auth.signup().status_code == 201
    with app.app_context():
        created_on = db.session.scalar(select(User.created_on))
    assert created_on.utcoffset().total_seconds() == 0
    assert abs((utcnow() - created_on).total_seconds()) < 60


# DATABASE_URL


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_database_url_scheme_works_end_to_end(database_url, servers, scheme):
    """An operator's DATABASE_URL, as Heroku-style hosts (postgres://) or libpq write it."""
    url = make_url(database_url).set(drivername=scheme).render_as_string(hide_password=False)
    assert url.startswith(f"{scheme}://")
    client = Client(servers(url).url).fetch_token()
    signup = client.call("POST", "/api/auth/signup", signup_body("schemer", "s@example.com"))
    assert signup[0] == 201
    status, answer = client.call("GET", "/api/auth/verify_auth")
    assert (status, answer["data"]["user_name"]) == (200, "schemer")
    app = make_app(database_url)
    with app.app_context():
        assert db.session.scalar(select(User.user_name)) == "schemer"


# Case-insensitive uniqueness


@pytest.mark.parametrize("checked_first", [True, False], ids=["checked", "raced"])
@pytest.mark.parametrize(
    ("user_name", "email", "fields"),
    [
        ("ALICE", "other@example.com", {"user_name": [messages.USER_NAME_TAKEN]}),
        ("bobby", "Alice@EXAMPLE.com", {"email": [messages.EMAIL_TAKEN]}),
    ],
)
def test_names_and_emails_differing_in_case_conflict(
    app, auth, monkeypatch, checked_first, user_name, email, fields
):
    """By the view's check, and, when a race gets past it, by PostgreSQL's unique keys."""
    assert auth.signup().status_code == 201
    assert auth.logout().status_code == 200
    if not checked_first:
        monkeypatch.setattr(User, "is_user_name_taken", classmethod(lambda cls, name: False))
        monkeypatch.setattr(User, "is_email_taken", classmethod(lambda cls, email: False))
    response = auth.signup(user_name=user_name, email=email)
    assert_error(response, 409, messages.CONFLICT, fields)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


INSERT_USER = text(
    'INSERT INTO "user" (first_name, last_name, user_name, email, user_name_key, email_key,'
    " created_on, role_code, password)"
    " VALUES ('A', 'B', :user_name, :email, :user_name_key, :email_key, now(), 0, 'x')"
)


@pytest.mark.parametrize(
    ("user_name", "email", "constraint"),
    [
        ("ALICE", "other@example.com", "uq_user_user_name_key"),
        ("other", "ALICE@Example.com", "uq_user_email_key"),
    ],
)
def test_the_database_itself_refuses_a_key_in_another_case(app, user_name, email, constraint):
    rows = [("alice", "alice@example.com"), (user_name, email)]
    with app.app_context():
        first, second = (
            {
                "user_name": name,
                "email": address,
                "user_name_key": user_name_key(name),
                "email_key": email_key(address),
            }
            for name, address in rows
        )
        db.session.execute(INSERT_USER, first)
        db.session.commit()
        with pytest.raises(IntegrityError) as error:
            db.session.execute(INSERT_USER, second)
        db.session.rollback()
        assert error.value.orig.diag.constraint_name == constraint
        # PostgreSQL compares text case-sensitively: only the casefolded keys collide.
        assert db.session.scalar(select(func.count()).where(User.user_name == "ALICE")) == 0
        assert db.session.scalar(select(func.count()).where(User.user_name == "alice")) == 1


# Dead and stalled connections


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({}, 200),
        # The control: without the ping, the dead connection reaches the request.
        ({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}}, 503),
    ],
    ids=["configured", "without-pre-ping"],
)
def test_a_terminated_pooled_connection_is_replaced(
    database_url, postgres_server, overrides, status
):
    app = make_app(database_url, **overrides)
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.signup().status_code == 201
    assert client.get("/api/auth/verify_auth").status_code == 200
    pooled = app_backends(postgres_server, database_url)
    assert len(pooled) == 1

    postgres_server.admin.execute(
        "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [list(pooled)]
    )
    wait_until_gone(postgres_server, database_url, pooled)

    response = client.get("/api/auth/verify_auth")
    if status == 503:
        assert_error(response, 503, messages.SERVICE_UNAVAILABLE)
    else:
        assert response.status_code == 200
        assert response.get_json()["data"]["user_name"] == "alice"
    # Either way the pool has let go of the dead connection.
    assert client.get("/api/auth/verify_auth").status_code == 200
    assert not app_backends(postgres_server, database_url) & pooled


def test_a_stalled_server_answers_503_within_the_connect_timeout():
    """A server that takes the TCP connection and never answers, like a hung host."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the handshakes; nobody ever replies
        port = listener.getsockname()[1]
        app = make_app(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", DATABASE_CONNECT_TIMEOUT=1
        )
        client = app.test_client()
        serializer = app.session_interface.get_signing_serializer(app)
        client.set_cookie("session", serializer.dumps({"sid": "some-session-token"}))
        start = time.monotonic()
        # On a thread, so that a missing timeout fails the test instead of hanging it (closing
        # the listener then resets the connection, which ends the thread).
        pool = ThreadPoolExecutor(max_workers=1)
        try:
            response = pool.submit(client.get, "/api/auth/verify_auth").result(timeout=QUICK)
        finally:
            pool.shutdown(wait=False)
        elapsed = time.monotonic() - start
    assert_error(response, 503, messages.SERVICE_UNAVAILABLE)
    assert 1 <= elapsed < QUICK


def test_a_statement_over_the_timeout_answers_503(database_url):
    app = make_app(database_url, DATABASE_STATEMENT_TIMEOUT_MS=200)

    def slow():
        db.session.execute(text("SELECT pg_sleep(3)"))

    # A real route's view, so that its 503 is held to openapi.yaml like any answer.
    app.view_functions["auth.verify_auth"] = slow
    start = time.monotonic()
    response = app.test_client().get("/api/auth/verify_auth")
    elapsed = time.monotonic() - start
    assert_error(response, 503, messages.SERVICE_UNAVAILABLE)
    assert elapsed < 2
    # The connection went back to the pool clean: the next statement runs.
    with app.app_context():
        assert db.session.scalar(text("SELECT 1")) == 1
