"""Scale-out: two gunicorn servers on one PostgreSQL database and one Redis.

Like two machines behind a load balancer: one client's requests land on either. Sessions live
in the database and throttling counts in Redis, so both servers see the same state.
"""

import secrets
from urllib.request import HTTPCookieProcessor

import pytest

from app.common import messages
from tests.helpers import PASSWORD, set_role
from tests.plugins.databases import make_app
from tests.system.client import Client, signup_body

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class Balanced(Client):
    """One user agent (one cookie jar) whose requests go to whichever server it is told."""

    def __init__(self, base_url):
        super().__init__(base_url)
        processors = [h for h in self.opener.handlers if isinstance(h, HTTPCookieProcessor)]
        self.jar = processors[0].cookiejar

    def on(self, server, method, path, body=None):
        self.base_url = server.url
        return self.call(method, path, body)

    def copy(self):
        """Another user agent holding this one's cookies and token, as a thief would."""
        other = Balanced(self.base_url)
        for cookie in self.jar:
            other.jar.set_cookie(cookie)
        other.token = self.token
        return other


@pytest.fixture
def pair(database_url, redis_url, servers):
    """``pair(**env)``: servers A and B sharing the database, Redis and the secret key."""

    def start(**env):
        shared = {"REDIS_URL": redis_url, "SECRET_KEY": secrets.token_hex(32), **env}
        return servers(database_url, **shared), servers(database_url, **shared)

    return start


def login_body(login, password=PASSWORD):
    return {"login": login, "password": password}


def test_a_session_made_on_one_server_is_honoured_by_the_other(pair):
    a, b = pair()
    alice = Balanced(a.url).fetch_token()
    assert alice.on(a, "POST", "/api/auth/signup", signup_body("alice", "a@example.com"))[0] == 201
    status, answer = alice.on(b, "GET", "/api/auth/verify_auth")
    assert (status, answer["data"]["user_name"]) == (200, "alice")

    assert alice.on(b, "POST", "/api/auth/logout")[0] == 200
    assert alice.on(a, "POST", "/api/auth/login", login_body("alice"))[0] == 200
    assert alice.on(b, "GET", "/api/auth/verify_auth")[0] == 200


def test_a_logout_on_one_server_ends_the_session_on_the_other(pair):
    a, b = pair()
    alice = Balanced(a.url).fetch_token()
    assert alice.on(a, "POST", "/api/auth/signup", signup_body("alice", "a@example.com"))[0] == 201
    replay = alice.copy()
    assert replay.on(b, "GET", "/api/auth/verify_auth")[0] == 200

    assert alice.on(a, "POST", "/api/auth/logout")[0] == 200
    for client in (alice, replay):
        status, answer = client.on(b, "GET", "/api/auth/verify_auth")
        assert (status, answer["errors"]["message"]) == (401, messages.NOT_LOGGED_IN)


def test_failed_logins_on_both_servers_share_one_per_account_limit(pair):
    a, b = pair()
    alice = Balanced(a.url).fetch_token()
    assert alice.on(a, "POST", "/api/auth/signup", signup_body("alice", "a@example.com"))[0] == 201
    assert alice.on(a, "POST", "/api/auth/logout")[0] == 200

    # The default limit is 5 failures in 5 minutes; spread them over both servers.
    for server in (a, b, a, b, a):
        status, answer = alice.on(server, "POST", "/api/auth/login", login_body("alice", "wrong"))
        assert (status, answer["errors"]["message"]) == (401, messages.INVALID_CREDENTIALS)
    for server in (b, a):
        status, answer = alice.on(server, "POST", "/api/auth/login", login_body("alice"))
        assert (status, answer["errors"]["message"]) == (429, messages.TOO_MANY_ATTEMPTS)


def test_the_per_ip_login_limit_is_shared_by_both_servers(pair):
    a, b = pair(FLASK_LOGIN_RATE_LIMIT="4 per minute")
    client = Balanced(a.url).fetch_token()
    # Four different unknown logins: no per-account count reaches its limit.
    for number, server in enumerate((a, b, a, b)):
        status, _ = client.on(server, "POST", "/api/auth/login", login_body(f"nobody{number}"))
        assert status == 401
    for server in (a, b):
        status, answer = client.on(server, "POST", "/api/auth/login", login_body("nobody9"))
        assert (status, answer["errors"]["message"]) == (429, messages.TOO_MANY_REQUESTS)


def test_a_disable_on_one_server_ends_the_sessions_on_both(pair, database_url):
    a, b = pair()
    alice = Balanced(a.url).fetch_token()
    status, answer = alice.on(a, "POST", "/api/auth/signup", signup_body("alice", "a@example.com"))
    assert status == 201
    alice_id = answer["data"]["id"]
    replay = alice.copy()
    admin = Balanced(b.url).fetch_token()
    assert admin.on(b, "POST", "/api/auth/signup", signup_body("bobby", "b@example.com"))[0] == 201
    set_role(make_app(database_url), "bobby", "admin")

    assert admin.on(b, "POST", f"/api/admin/users/{alice_id}/disable")[0] == 200
    for client in (alice, replay):
        for server in (a, b):
            status, answer = client.on(server, "GET", "/api/auth/verify_auth")
            assert (status, answer["errors"]["message"]) == (401, messages.NOT_LOGGED_IN)
    status, answer = alice.on(a, "POST", "/api/auth/login", login_body("alice"))
    assert (status, answer["errors"]["type"]) == (403, messages.ACCOUNT_DISABLED_TYPE)
