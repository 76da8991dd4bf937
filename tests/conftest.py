"""Fixtures in the style of Flask's tutorial: ``app``, ``client``, ``runner`` and ``auth``.

Every test gets its own real SQLite file, copied from one migrated at the start of the
run, and CSRF protection stays on.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import func, select

from app import create_app
from app.common.response import ERROR_TYPES
from app.extensions import db
from app.users import policy

# The suite decides its database and secrets; a developer's environment must not leak in.
for _variable in ("DATABASE_URL", "SECRET_KEY", "REDIS_URL"):
    os.environ.pop(_variable, None)
for _variable in [name for name in os.environ if name.startswith("FLASK_")]:
    os.environ.pop(_variable)
os.environ["APP_CONFIG"] = "testing"

ROOT = Path(__file__).resolve().parent.parent
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "correct horse battery staple"
# 128 code points in no pattern zxcvbn knows: strong, and unlike any of its own prefixes.
STRONG_128 = (
    "P&+}5J]<f&i>ry$:Vu7L3ohD4rcqH>@B;uuT;^,H-s:u>hiG(a=aAKYHD_e>t,js2I0{2"
    "RH&-Y*?P[d!MqK4*f*1x*D=93dh?_nNc;sFFn[*-7_v99K}aVoS9V#fgV}V"
)
# A complete, valid signup body.
SIGNUP_FIELDS = {
    "user_name": "alice",
    "first_name": "Alice",
    "last_name": "Liddell",
    "email": "alice@example.com",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def make_app(database_path, **overrides):
    """An app on the SQLite file at ``database_path``."""
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_path}", **overrides})


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database file at the head revision, made once through the real migrations."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = make_app(path)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def database_path(migrated_database, tmp_path):
    path = tmp_path / "app.db"
    shutil.copy(migrated_database, path)
    return path


@pytest.fixture
def app(database_path):
    app = make_app(database_path)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(params=["argument", "environment"])
def configured(request, database_path, monkeypatch):
    """``configured(key, value, text)``: an app with ``key`` set to ``value`` through
    create_app's argument, or to ``text`` through the environment as ``FLASK_<key>``."""
    apps = []

    def build(key, value, text):
        if request.param == "environment":
            monkeypatch.setenv(f"FLASK_{key}", text)
            app = make_app(database_path)
        else:
            app = make_app(database_path, **{key: value})
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Signs up, logs in and out the way the page does: form posts with the CSRF header."""

    def __init__(self, client):
        self._client = client
        self.token = None

    def fetch_token(self):
        """Read the token from the page's meta tag, as the page's script does."""
        page = self._client.get("/")
        self.token = CSRF_META.search(page.get_data(as_text=True)).group(1)
        return self.token

    def post(self, path, data=None, **kwargs):
        """POST with the current token; adopt the token a successful answer hands back."""
        if self.token is None:
            self.fetch_token()
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        response = self._client.post(path, data=data, headers=headers, **kwargs)
        body = response.get_json(silent=True) or {}
        if body.get("csrf_token"):
            self.token = body["csrf_token"]
        return response

    def signup(self, user_name="alice", email="alice@example.com", password=PASSWORD, **extra):
        fields = {
            "user_name": user_name,
            "first_name": "Alice",
            "last_name": "Liddell",
            "email": email,
            "password": password,
            "confirm": password,
            **extra,
        }
        return self.post("/api/auth/signup", data=fields)

    def login(self, login="alice", password=PASSWORD, remember_me=False):
        fields = {"login": login, "password": password}
        if remember_me:
            fields["remember_me"] = "y"
        return self.post("/api/auth/login", data=fields)

    def logout(self):
        return self.post("/api/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def no_scoring(monkeypatch):
    """Fail the test if any password reaches zxcvbn."""

    def fail(*args, **kwargs):
        raise AssertionError("zxcvbn must not score this password")

    monkeypatch.setattr(policy, "zxcvbn", fail)


def assert_error(response, status, message, fields=None):
    """Assert that ``response`` is exactly the contract's error envelope."""
    errors = {"type": ERROR_TYPES[status], "message": message}
    if fields is not None:
        errors["fields"] = fields
    assert response.status_code == status
    assert response.is_json
    assert response.get_json() == {"success": False, "errors": errors}


def count_rows(app, model):
    """How many rows the table of ``model`` holds now."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def session_cookie(app, client):
    """The decoded content of ``client``'s signed session cookie, or None without one."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, a skipped test is a failure: something the suite needs was not installed."""
    report = yield
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {report.longrepr}"
    return report


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log_path: Path

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        """Terminate the server and wait for it; kill it if it lingers."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(database_url, log_path, workers=2, threads=4, env=None):
    """Serve the app under gunicorn on a free loopback port, as in production (but HTTP)."""
    port = free_port()
    environment = {
        **os.environ,
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        # The test talks plain HTTP to the server; production runs behind TLS.
        "FLASK_SESSION_COOKIE_SECURE": "false",
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "app:create_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--no-control-socket",  # parallel servers would share one socket path
        "--threads",
        str(threads),
    ]
    return serve(command, environment, log_path, port)


def serve(command, environment, log_path, port):
    """Run the server ``command`` from the project root; return once 127.0.0.1:``port`` answers."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(server.url + "/api/auth/csrf", timeout=2):
                return server
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{command} did not start:\n{server.log()}") from None
            time.sleep(0.2)


@pytest.fixture
def server_env():
    """Extra environment for ``live_server``; a test parametrizes it to change the server."""
    return {}


@pytest.fixture
def live_server(database_path, tmp_path, server_env):
    """The app under gunicorn (2 workers, 4 threads each) on this test's SQLite file."""
    server = start_server(f"sqlite:///{database_path}", tmp_path / "gunicorn.log", env=server_env)
    yield server
    server.stop()
