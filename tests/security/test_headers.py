"""Security headers on every answer: CSP, nosniff, Referrer-Policy, no-store, HSTS."""

import secrets
import urllib.request

import flask
import pytest

from app.extensions import db
from tests.helpers import PASSWORD, PRODUCTION_NEEDS, SIGNUP_FIELDS, AuthActions
from tests.plugins.accounts import add_user, log_in
from tests.plugins.databases import make_app
from tests.plugins.servers import start_server

REQUIRED_CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
}
# Directives that must say exactly 'none'.
NOTHING_ALLOWED = ("object-src", "base-uri", "frame-ancestors")
UNSAFE_SCRIPT_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}
ONE_YEAR = 365 * 24 * 3600


@pytest.fixture
def app(database_url):
    """The testing app, errors handled as in production, a low limit, a failing page route, and
    a failing openapi.json (a real API route, whose 500 is held to openapi.yaml)."""
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False, LOGIN_RATE_LIMIT="2 per minute")

    def boom():
        raise RuntimeError("boom")

    app.view_functions["contract.openapi"] = boom

    @app.get("/boom")
    def page_boom():
        raise RuntimeError("boom")

    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def build(database_url, tmp_path, monkeypatch):
    """``build(config_name, **env)``: an app under APP_CONFIG and ``FLASK_*``-style env."""
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(tmp_path / "i"))

    def build(config_name, overrides=None, **environment):
        monkeypatch.setenv("APP_CONFIG", config_name)
        monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
        for name, value in {**PRODUCTION_NEEDS, **environment}.items():
            monkeypatch.setenv(name, value)
        return make_app(database_url, **(overrides or {}))

    return build


def csp(response):
    """The policy as ``{directive: set of sources}``; there must be exactly one header."""
    (policy,) = response.headers.getlist("Content-Security-Policy")
    directives = {}
    for part in policy.split(";"):
        if part.strip():
            name, *sources = part.split()
            assert name not in directives, f"{name} given twice"
            directives[name.lower()] = set(sources)
    return directives


def assert_security_headers(response, path):
    policy = csp(response)
    for directive, sources in REQUIRED_CSP.items():
        assert sources <= policy[directive], directive
    for directive in NOTHING_ALLOWED:
        assert policy[directive] == {"'none'"}
    assert not policy["script-src"] & UNSAFE_SCRIPT_SOURCES
    assert response.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert response.headers.getlist("Referrer-Policy") == ["same-origin"]
    if path.startswith("/api/auth/"):
        cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
        assert "no-store" in cache


def logged_in(client):
    """``client`` logged in as alice, from ``add_user``, on its app."""
    auth = AuthActions(client)
    log_in(auth, add_user(client.application))
    return auth


def logged_in_get(path):
    def answer(client):
        logged_in(client)
        return client.get(path)

    return answer


def delete_unknown_session(client):
    token = logged_in(client).token
    return client.delete("/api/auth/sessions/nope", headers={"X-CSRFToken": token})


def too_many_logins(client):
    auth = AuthActions(client)
    for _ in range(2):
        auth.login(password="wrong")
    return auth.login(password="wrong")


# (name, path, expected status, how to get the answer from a fresh client)
ANSWERS = [
    ("page", "/", 200, lambda c: c.get("/")),
    ("deep page", "/some/page", 200, lambda c: c.get("/some/page")),
    ("page 405", "/", 405, lambda c: c.post("/")),
    ("page 500", "/boom", 500, lambda c: c.get("/boom")),
    ("script", "/static/js/main.js", 200, lambda c: c.get("/static/js/main.js")),
    (
        "vendor css",
        "/static/vendor/bootstrap-5.3.9/bootstrap.min.css",
        200,
        lambda c: c.get("/static/vendor/bootstrap-5.3.9/bootstrap.min.css"),
    ),
    ("static 404", "/static/nope.js", 404, lambda c: c.get("/static/nope.js")),
    ("csrf", "/api/auth/csrf", 200, lambda c: c.get("/api/auth/csrf")),
    ("csrf HEAD", "/api/auth/csrf", 200, lambda c: c.head("/api/auth/csrf")),
    ("login OPTIONS", "/api/auth/login", 200, lambda c: c.options("/api/auth/login")),
    ("signup", "/api/auth/signup", 201, lambda c: AuthActions(c).signup()),
    ("verify", "/api/auth/verify_auth", 200, logged_in_get("/api/auth/verify_auth")),
    ("sessions", "/api/auth/sessions", 200, logged_in_get("/api/auth/sessions")),
    ("logout", "/api/auth/logout", 200, lambda c: logged_in(c).logout()),
    ("403 csrf", "/api/auth/logout", 403, lambda c: c.post("/api/auth/logout")),
    (
        "400 json",
        "/api/auth/login",
        400,
        lambda c: AuthActions(c).post("/api/auth/login", data="{", content_type="application/json"),
    ),
    ("401", "/api/auth/verify_auth", 401, lambda c: c.get("/api/auth/verify_auth")),
    ("401 login", "/api/auth/login", 401, lambda c: AuthActions(c).login(password="wrong")),
    ("404 api", "/api/nope", 404, lambda c: c.get("/api/nope")),
    ("404 auth", "/api/auth/nope", 404, lambda c: c.get("/api/auth/nope")),
    ("404 session", "/api/auth/sessions/nope", 404, delete_unknown_session),
    ("405", "/api/auth/login", 405, lambda c: c.get("/api/auth/login")),
    ("409", "/api/auth/signup", 409, lambda c: logged_in(c).signup()),
    (
        "413",
        "/api/auth/login",
        413,
        lambda c: AuthActions(c).post("/api/auth/login", json={"pad": "x" * 70_000}),
    ),
    (
        "415",
        "/api/auth/login",
        415,
        lambda c: AuthActions(c).post("/api/auth/login", data="x", content_type="text/plain"),
    ),
    ("422", "/api/auth/login", 422, lambda c: AuthActions(c).post("/api/auth/login")),
    ("429", "/api/auth/login", 429, too_many_logins),
    ("500", "/api/openapi.json", 500, lambda c: c.get("/api/openapi.json")),
]


@pytest.mark.parametrize(
    ("path", "status", "answer"),
    [row[1:] for row in ANSWERS],
    ids=[row[0] for row in ANSWERS],
)
def test_every_answer_has_the_security_headers(client, path, status, answer):
    with answer(client) as response:
        assert response.status_code == status
        assert_security_headers(response, path)
        assert "Strict-Transport-Security" not in response.headers


def test_the_page_loads_no_inline_script(client):
    """script-src 'self' without 'unsafe-inline' only works if the page has none."""
    page = client.get("/").get_data(as_text=True)
    assert "<script>" not in page
    assert " onclick=" not in page.lower()
    assert 'src="/static/' in page


def test_api_error_answers_are_not_cached(client):
    for response in (client.get("/api/auth/verify_auth"), client.post("/api/auth/login")):
        assert response.status_code in {401, 403}
        assert "no-store" in response.headers["Cache-Control"]


# Strict-Transport-Security: production, or wherever the cookie is Secure


def hsts_max_age(headers):
    """The max-age of the one HSTS header, from Werkzeug's or http.client's headers."""
    (value,) = headers.get_all("Strict-Transport-Security")
    (max_age,) = [part for part in value.split(";") if part.strip().startswith("max-age=")]
    return int(max_age.strip().removeprefix("max-age="))


def production_answers(app):
    """Answers of every kind, a signup through the API among them."""
    client = app.test_client()
    auth = AuthActions(client)
    with client.get("/static/js/main.js") as static:
        static.get_data()
    return [
        client.get("/"),
        static,
        client.get("/api/auth/csrf"),
        client.get("/api/auth/verify_auth"),
        client.get("/api/nope"),
        auth.signup(),
        auth.post("/api/auth/login", data={"login": "alice"}),
    ]


def test_production_sends_hsts_everywhere(build):
    app = build("production")
    for response in production_answers(app):
        assert hsts_max_age(response.headers) >= ONE_YEAR
        assert_security_headers(response, response.request.path)


@pytest.mark.parametrize("config_name", ["development", "testing"])
def test_no_hsts_outside_production(build, config_name):
    app = build(config_name)
    for response in production_answers(app):
        assert "Strict-Transport-Security" not in response.headers
        assert_security_headers(response, response.request.path)


def test_production_with_plain_cookies_from_the_environment_has_no_hsts(build):
    app = build("production", FLASK_SESSION_COOKIE_SECURE="false")
    for response in production_answers(app):
        assert "Strict-Transport-Security" not in response.headers


def test_production_with_plain_cookies_from_the_argument_has_no_hsts(build):
    app = build("production", {"SESSION_COOKIE_SECURE": False})
    for response in production_answers(app):
        assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(
    ("config_name", "environment", "secure"),
    [
        ("production", {}, True),
        ("production", {"FLASK_SESSION_COOKIE_SECURE": "false"}, False),
        ("testing", {}, False),
        ("testing", {"FLASK_SESSION_COOKIE_SECURE": "true"}, True),
        ("development", {}, False),
        ("development", {"FLASK_SESSION_COOKIE_SECURE": "true"}, True),
    ],
)
def test_hsts_goes_with_the_secure_cookie(build, config_name, environment, secure):
    """One switch, SESSION_COOKIE_SECURE as finally configured, decides both: on the answer
    of a signup through the API, which sets the cookie."""
    app = build(config_name, **environment)
    response = AuthActions(app.test_client()).signup()
    assert response.status_code == 201
    name = "__Host-session" if secure else "session"
    assert app.config["SESSION_COOKIE_NAME"] == name
    (cookie,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert ("; Secure" in cookie) is secure
    assert ("Strict-Transport-Security" in response.headers) is secure


# The app never redirects to HTTPS: the TLS proxy does that


@pytest.mark.parametrize("proxies", ["0", "1"])
def test_production_answers_plain_http_without_redirecting(build, proxies):
    """Pages and API calls, a signup through the API among them."""
    app = build("production", FLASK_TRUSTED_PROXIES=proxies)
    client = app.test_client()
    auth = AuthActions(client)
    headers = {"X-Forwarded-Proto": "http", "X-Forwarded-For": "192.0.2.1"}
    responses = [
        client.get("/", base_url="http://localhost", headers=headers),
        client.get("/api/auth/csrf", base_url="http://localhost", headers=headers),
        auth.post("/api/auth/signup", data=SIGNUP_FIELDS, headers=headers),
        auth.post("/api/auth/login", data={"login": "alice", "password": PASSWORD}),
    ]
    assert [response.status_code for response in responses] == [200, 200, 201, 200]
    for response in responses:
        assert "Location" not in response.headers


def test_gunicorn_in_production_sends_hsts_over_plain_http(database_url, tmp_path):
    server = start_server(
        database_url,
        tmp_path / "gunicorn.log",
        workers=1,
        threads=1,
        env={"FLASK_SESSION_COOKIE_SECURE": "true"},
    )
    try:
        for path in ("/", "/api/auth/csrf"):
            with urllib.request.urlopen(server.url + path, timeout=30) as response:
                assert response.status == 200
                assert response.url == server.url + path
                assert hsts_max_age(response.headers) >= ONE_YEAR
                assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    finally:
        server.stop()
