"""The forward-auth block of docs/operations.md, run by Debian's nginx in front of an upstream
that echoes what it got, with the app under gunicorn behind ``/_auth``: nginx, the app and the
page as deployed, started once for the module."""

import html
import json
from collections import namedtuple
from urllib.request import HTTPCookieProcessor

import pytest
from sqlalchemy import select

from app.config import PLAIN_COOKIE_NAME, ProductionConfig
from app.extensions import db
from app.personal_tokens.models import PersonalToken
from devtools.processes import HOST, app_server, free_port
from tests.helpers import RETURN_META
from tests.plugins.accounts import ARGON2_KEYS, add_token, add_user, bearer
from tests.plugins.databases import dispose_apps, make_app
from tests.system.client import TIMEOUT, Client
from tests.system.nginx import Nginx, documented_block, self_signed
from tests.system.upstream import EchoUpstream

# What it tests is nginx's configuration; the endpoint's answers on each database are the API
# tests'. Its server's database is a copy of its own, so it is marked by hand.
pytestmark = [pytest.mark.sqlite, pytest.mark.database]
# A query that a raw $request_uri after next= would break: &, an encoded &, +, UTF-8.
QUERY = "?year=2026&month=5&q=a%26b+c&tag=%C3%A9"
FORGED = {"X-Auth-User": "admin", "x-auth-role": "admin", "X_Auth_User": "admin", "X-Auth-Id": "1"}
Stack = namedtuple("Stack", "nginx auth upstream app")


@pytest.fixture(scope="module")
def stack(database_copies, tmp_path_factory):
    folder = tmp_path_factory.mktemp("forward-auth")
    port = free_port()
    env = {"FLASK_TRUSTED_PROXIES": "1", "FLASK_FORWARD_AUTH_ALLOWED_HOSTS": f"{HOST}:{port}"}
    database_url = database_copies()
    certificate, key = self_signed(folder)
    auth = app_server(database_url, folder / "gunicorn.log", workers=1, env=env)
    with auth, EchoUpstream() as upstream:
        block = documented_block(
            {
                "listen 443 ssl;": f"listen {HOST}:{port} ssl;",
                "/etc/ssl/app.example.com/fullchain.pem": certificate,
                "/etc/ssl/app.example.com/privkey.pem": key,
                "http://127.0.0.1:8000": auth.url,
                "http://127.0.0.1:9000": upstream.url,
                "https://auth.example.com/": auth.url + "/",
                "Host auth.example.com;": f"Host {HOST};",
            }
        )
        # Its server_name stays: the one server on its port answers any Host.
        with Nginx(folder, block, port, certificate) as nginx:
            # Hashed as the server hashes, so that its logins neither rehash nor pad.
            hashing = {name: getattr(ProductionConfig, name) for name in ARGON2_KEYS}
            app = make_app(database_url, FORWARD_AUTH_ALLOWED_HOSTS=f"{HOST}:{port}", **hashing)
            yield Stack(nginx, auth, upstream, app)
            assert "Traceback" not in auth.log()
    dispose_apps()


def assert_sees(echoed, account, role="user"):
    """The upstream got the X-Auth-* headers of ``account``, once each, and no other however
    spelled (an underscore reads as a dash to a WSGI app)."""
    pairs = [(name.lower().replace("_", "-"), value) for name, value in echoed["headers"]]
    got = [(name, value) for name, value in pairs if name.startswith("x-auth-")]
    names = ("x-auth-user", "x-auth-email", "x-auth-role", "x-auth-id")
    values = (account.user_name, account.email, role, str(account.id))
    assert got == list(zip(names, values, strict=True))


def logged_in(stack, user_name):
    """A new account logged in directly at the auth service: ``(account, client, cookie)``."""
    account = add_user(stack.app, user_name, confirmed=True)
    client = Client(stack.auth.url).fetch_token()
    login = {"login": account.user_name, "password": account.password}
    assert client.call("POST", "/api/auth/login", login)[0] == 200
    [jar] = [h.cookiejar for h in client.opener.handlers if isinstance(h, HTTPCookieProcessor)]
    [cookie] = [c.value for c in jar if c.name == PLAIN_COOKIE_NAME]
    return account, client, {"Cookie": f"{PLAIN_COOKIE_NAME}={cookie}"}


def assert_sent_to_login(stack, answer, address, returned):
    """A 302 to the login page with ``next`` the address; the page, opened there, goes back to
    it after the login only when ``returned``."""
    status, headers, _ = answer
    assert status == 302
    location = headers["Location"]
    assert location.startswith(stack.auth.url + "/?next=")
    with stack.app.test_request_context(location.removeprefix(stack.auth.url)) as context:
        assert context.request.args.to_dict(flat=False) == {"next": [address]}
    client = Client(stack.auth.url)
    with client.opener.open(location, timeout=TIMEOUT) as page:
        assert page.status == 200
        found = [html.unescape(meta) for meta in RETURN_META.findall(page.read().decode())]
    assert found == ([address] if returned else [])


def test_anonymous_is_sent_to_the_login_page_and_back(stack):
    path = "/reports/anonymous" + QUERY
    answer = stack.nginx.request(path, FORGED)
    assert_sent_to_login(stack, answer, f"https://{HOST}:{stack.nginx.port}{path}", True)
    assert not [seen for seen in stack.upstream.seen if seen["path"] == path]


def test_a_host_off_the_list_is_not_returned_to(stack):
    path = "/reports/foreign" + QUERY
    answer = stack.nginx.request(path, {"Host": "evil.example"})
    assert_sent_to_login(stack, answer, f"https://evil.example{path}", False)


def test_the_upstream_sees_the_session_s_account_never_a_forged_one(stack):
    account, _, cookie = logged_in(stack, "nginxcookie")
    for method, body in (("GET", None), ("POST", "a=1&b=2")):
        status, _, raw = stack.nginx.request("/app" + QUERY, {**cookie, **FORGED}, method, body)
        assert status == 200, raw
        echoed = json.loads(raw)
        assert_sees(echoed, account)
        # The subrequest is a GET, so a POST meets no CSRF check and arrives whole.
        got = (echoed["method"], echoed["path"], echoed["body"])
        assert got == (method, "/app" + QUERY, body or "")


def test_after_logout_the_same_cookie_is_sent_to_login(stack):
    _, client, cookie = logged_in(stack, "nginxlogout")
    assert stack.nginx.request("/app", cookie)[0] == 200
    assert client.call("POST", "/api/auth/logout")[0] == 200
    answer = stack.nginx.request("/app", cookie)
    assert_sent_to_login(stack, answer, f"https://{HOST}:{stack.nginx.port}/app", True)


def test_a_token_is_let_through_and_its_ip_is_the_client_s(stack):
    account = add_user(stack.app, "nginxtoken", role="staff", confirmed=True)
    token = add_token(stack.app, account)
    # From 127.0.0.2, with an X-Forwarded-For of its own, which the service must not believe.
    headers = {**bearer(token), **FORGED, "X-Forwarded-For": "203.0.113.9"}
    status, _, raw = stack.nginx.request("/app", headers, source="127.0.0.2")
    assert status == 200, raw
    assert_sees(json.loads(raw), account, role="staff")
    with stack.app.app_context():
        query = select(PersonalToken.last_used_ip).filter_by(user_id=account.id)
        assert db.session.scalar(query) == "127.0.0.2"


def test_a_token_that_is_no_token_is_sent_to_login(stack):
    path = "/unknown-token" + QUERY
    answer = stack.nginx.request(path, bearer("fat_" + "A" * 43))
    assert_sent_to_login(stack, answer, f"https://{HOST}:{stack.nginx.port}{path}", True)
    assert not [seen for seen in stack.upstream.seen if seen["path"] == path]


def test_a_token_without_account_read_is_403_not_a_redirect(stack):
    account = add_user(stack.app, "nginxscope", confirmed=True)
    token = add_token(stack.app, account, scopes=["sessions:read"])
    status, headers, _ = stack.nginx.request("/scoped", bearer(token))
    assert (status, headers["Location"]) == (403, None)
    assert not [seen for seen in stack.upstream.seen if seen["path"] == "/scoped"]


def test_a_cookie_and_a_token_together_are_a_500(stack):
    """The service refuses them (400); auth_request makes any status but 2xx, 401, 403 a 500."""
    account, _, cookie = logged_in(stack, "nginxboth")
    status, _, _ = stack.nginx.request("/both", {**cookie, **bearer(add_token(stack.app, account))})
    assert status == 500
    assert "auth request unexpected status: 400" in stack.nginx.log()
