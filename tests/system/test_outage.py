"""Outages under a running gunicorn: PostgreSQL stopped and started again, Redis likewise.

While a service is down the API answers 503 JSON within seconds, not gunicorn's 30 s
timeout or a 500; once it is back, requests succeed again by themselves and nothing is lost.
"""

import time

import pytest
from sqlalchemy import select

from app import schema
from app.api.responses import ERROR_TYPES
from app.common import messages
from app.extensions import db
from app.users.models import User
from devtools.processes import free_port
from devtools.services import PostgresCluster, RedisServer
from tests.helpers import PASSWORD
from tests.plugins.databases import make_app
from tests.system.client import Client, signup_body

# Far below gunicorn's 30 s worker timeout: the connect timeout (3 s) is the bound.
QUICK = 5
# Enough requests of each kind to reach both workers and several of their threads.
ROUNDS = 6
UNAVAILABLE = {
    "success": False,
    "errors": {"type": ERROR_TYPES[503], "message": messages.SERVICE_UNAVAILABLE},
}


@pytest.fixture
def cluster():
    """A PostgreSQL cluster of this test's own, migrated to the head revision."""
    cluster = PostgresCluster(free_port())
    try:
        cluster.start()
        app = make_app(cluster.url)
        with app.app_context():
            schema.upgrade()
            db.engine.dispose()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def redis_server():
    server = RedisServer(free_port())
    try:
        server.start()
        yield server
    finally:
        server.remove()


def timed(call):
    """``call()``'s answer, asserting that it came quickly."""
    start = time.monotonic()
    answer = call()
    elapsed = time.monotonic() - start
    assert elapsed < QUICK, f"took {elapsed:.1f} s"
    return answer


def assert_unavailable(answers):
    assert answers == [(503, UNAVAILABLE)] * len(answers)


def login_body(login):
    return {"login": login, "password": PASSWORD}


def stored_user_names(url):
    app = make_app(url)
    try:
        with app.app_context():
            return set(db.session.scalars(select(User.user_name)))
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.postgres
def test_postgresql_outage_answers_503_quickly_and_recovers(cluster, servers):
    server = servers(cluster.url)
    alice = Client(server.url).fetch_token()
    assert (
        alice.call("POST", "/api/auth/signup", signup_body("alice", "alice@example.com"))[0] == 201
    )
    bob = Client(server.url).fetch_token()
    assert bob.call("POST", "/api/auth/signup", signup_body("bobby", "bob@example.com"))[0] == 201
    assert bob.call("POST", "/api/auth/logout")[0] == 200
    for _ in range(ROUNDS):
        assert alice.call("GET", "/api/auth/verify_auth")[0] == 200

    cluster.stop("fast")
    newcomer = Client(server.url).fetch_token()
    for number in range(ROUNDS):
        assert_unavailable(
            [
                timed(lambda: alice.call("GET", "/api/auth/verify_auth")),
                timed(lambda: bob.call("POST", "/api/auth/login", login_body("bobby"))),
                timed(
                    lambda number=number: newcomer.call(
                        "POST", "/api/auth/signup", signup_body(f"carol{number}", "c@example.com")
                    )
                ),
            ]
        )
    # What needs no database goes on working.
    assert timed(lambda: Client(server.url).call("GET", "/api/auth/csrf"))[0] == 200

    cluster.start()
    for _ in range(ROUNDS):
        status, answer = alice.call("GET", "/api/auth/verify_auth")
        assert (status, answer["data"]["user_name"]) == (200, "alice")
    assert bob.call("POST", "/api/auth/login", login_body("bobby"))[0] == 200
    assert bob.call("GET", "/api/auth/verify_auth")[0] == 200
    signup = newcomer.call("POST", "/api/auth/signup", signup_body("carol", "c@example.com"))
    assert signup[0] == 201
    assert stored_user_names(cluster.url) == {"alice", "bobby", "carol"}
    assert "Traceback" not in server.log()


@pytest.mark.redis
def test_redis_outage_answers_503_and_recovers(database_url, redis_server, servers):
    server = servers(database_url, REDIS_URL=redis_server.url)
    alice = Client(server.url).fetch_token()
    assert (
        alice.call("POST", "/api/auth/signup", signup_body("alice", "alice@example.com"))[0] == 201
    )
    assert alice.call("POST", "/api/auth/logout")[0] == 200

    redis_server.stop()
    for _ in range(ROUNDS):
        assert_unavailable(
            [timed(lambda: alice.call("POST", "/api/auth/login", login_body("alice")))]
        )

    redis_server.start()
    status, answer = alice.call("POST", "/api/auth/login", login_body("alice"))
    assert (status, answer["data"]["user_name"]) == (200, "alice")
    assert alice.call("GET", "/api/auth/verify_auth")[0] == 200
    assert "Traceback" not in server.log()
