"""Configuration: the class by APP_CONFIG, then the argument, the environment, FLASK_*, checks."""

import os
import secrets
import stat
import subprocess
import sys
import time
from datetime import timedelta

import flask
import itsdangerous
import pytest
from argon2 import extract_parameters

from app import config_loading, create_app
from app.config import DevelopmentConfig, ProductionConfig, TestingConfig
from app.extensions import db
from app.secret_key import (
    MIN_SECRET_KEY_LEN,
    SECRET_KEY_FILE,
    check_secret_key,
    instance_secret_key,
)
from app.users.passwords import passwords
from tests.helpers import (
    CSRF_EXPIRED,
    PASSWORD,
    ROOT,
    AuthActions,
    assert_csrf_failure,
    assert_error,
    use_production,
)
from tests.plugins.databases import make_app

RANDOM_KEY = secrets.token_hex(32)


@pytest.fixture
def instance_path(tmp_path, monkeypatch):
    """Point every app made in this test at a fresh instance folder."""
    path = tmp_path / "instance"
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: str(path))
    return path


@pytest.fixture
def build(database_url):
    """``build(config)``: create_app on this test's database; engines are disposed after."""
    apps = []

    def build(config=None, **overrides):
        app = create_app(config) if config is not None else make_app(database_url, **overrides)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


# The class


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("development", DevelopmentConfig),
        ("testing", TestingConfig),
        ("production", ProductionConfig),
    ],
)
def test_app_config_selects_the_class(build, monkeypatch, instance_path, name, cls):
    use_production(monkeypatch, APP_CONFIG=name, SECRET_KEY=RANDOM_KEY)
    app = build()
    assert app.config["APP_CONFIG"] == name
    assert app.testing is (name == "testing")
    assert app.config["SESSION_COOKIE_SECURE"] is cls.SESSION_COOKIE_SECURE
    assert app.config["ARGON2_MEMORY_COST"] == cls.ARGON2_MEMORY_COST


def test_development_is_the_default(build, monkeypatch, instance_path):
    monkeypatch.delenv("APP_CONFIG")
    assert build().config["APP_CONFIG"] == "development"


@pytest.mark.parametrize("name", ["staging", "Production", "prod", ""])
def test_unknown_app_config_raises(database_url, monkeypatch, name):
    monkeypatch.setenv("APP_CONFIG", name)
    with pytest.raises(RuntimeError, match="development, testing, production"):
        make_app(database_url)


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert DevelopmentConfig.SESSION_COOKIE_SECURE is False


def test_defaults(app):
    config = app.config
    assert config["MAX_CONTENT_LENGTH"] == 64 * 1024
    assert config["WTF_CSRF_TIME_LIMIT"] is None
    assert config["WTF_CSRF_SSL_STRICT"] is False
    assert config["SESSION_COOKIE_NAME"] == "session"
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=30)
    assert config["SESSION_IDLE_TIMEOUT"] == timedelta(hours=1)
    assert config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(hours=12)
    assert config["SESSION_TOUCH_INTERVAL"] == timedelta(minutes=1)


# The order: class, argument, environment, FLASK_*


def test_argument_overrides_the_class(build):
    assert build(MAX_CONTENT_LENGTH=100).config["MAX_CONTENT_LENGTH"] == 100


def test_argument_may_be_an_object(build, database_url):
    class Overrides:
        SQLALCHEMY_DATABASE_URI = database_url
        MAX_CONTENT_LENGTH = 123

    assert build(Overrides).config["MAX_CONTENT_LENGTH"] == 123


def test_environment_overrides_the_argument(build, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from the environment")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = build(
        {
            "SECRET_KEY": "from the argument",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'argument.db'}",
            "REDIS_URL": "redis://argument",
        }
    )
    assert app.config["SECRET_KEY"] == "from the environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == config_loading.database_url(database_url)
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_empty_environment_variable_is_ignored(build, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "")
    assert build(SECRET_KEY="from the argument").config["SECRET_KEY"] == "from the argument"


def test_prefixed_environment_overrides_the_plain_one(build, monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "plain")
    monkeypatch.setenv("FLASK_SECRET_KEY", "prefixed")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'plain.db'}")
    monkeypatch.setenv("FLASK_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path / 'prefixed.db'}")
    app = build({"SECRET_KEY": "argument"})
    assert app.config["SECRET_KEY"] == "prefixed"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'prefixed.db'}"


def test_prefixed_values_are_parsed_as_json(build, monkeypatch):
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "100")
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SAMESITE", "Strict")
    app = build()
    assert app.config["MAX_CONTENT_LENGTH"] == 100
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Strict"


def test_prefixed_booleans_must_be_lowercase(build, monkeypatch):
    """The pitfall the README warns about: ``False`` is not JSON, so it stays a string."""
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "false")
    assert build().config["SESSION_COOKIE_SECURE"] is False
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "False")
    assert build().config["SESSION_COOKIE_SECURE"] == "False"


def test_prefixed_max_content_length_is_enforced(build, monkeypatch):
    monkeypatch.setenv("FLASK_MAX_CONTENT_LENGTH", "100")
    auth = AuthActions(build().test_client())
    response = auth.post("/api/auth/login", data={"login": "alice", "password": "x" * 100})
    assert_error(response, 413, "The request body is too large.")


def test_extensions_read_the_final_config(build, monkeypatch):
    monkeypatch.setenv("FLASK_ARGON2_TIME_COST", "3")
    app = build(ARGON2_TIME_COST=2)
    with app.app_context():
        assert extract_parameters(passwords.hash(PASSWORD)).time_cost == 3


def test_production_cookie_security_can_be_switched_off_for_plain_http(
    build, monkeypatch, instance_path
):
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", RANDOM_KEY)
    monkeypatch.setenv("FLASK_SESSION_COOKIE_SECURE", "false")
    assert build().config["SESSION_COOKIE_SECURE"] is False


# Production's checks


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        secrets.token_hex(15),
        "x" * 64,
        "0123456789" * 2,
        "change-me-" + secrets.token_hex(16),
        "replace-with-a-real-key-" + secrets.token_hex(8),
        "your-secret-key-goes-here-please-thanks",
        "dev-key-" + secrets.token_hex(16),
        "development-" + secrets.token_hex(16),
        "EXAMPLE" + secrets.token_hex(16),
        "placeholder" + secrets.token_hex(16),
    ],
    # The same names in every worker of a parallel run.
    ids=[
        "none",
        "empty",
        "short",
        "one-character",
        "digits",
        "change-me",
        "replace-with",
        "goes-here",
        "dev-key",
        "development",
        "example",
        "placeholder",
    ],
)
def test_production_refuses_a_weak_secret_key(database_url, monkeypatch, instance_path, key):
    use_production(monkeypatch)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_app(database_url, SECRET_KEY=key)


@pytest.mark.parametrize(
    "key",
    [secrets.token_hex(32), secrets.token_hex(MIN_SECRET_KEY_LEN // 2), RANDOM_KEY.upper()],
    ids=["64-hex", "shortest", "upper-case"],
)
def test_production_accepts_a_random_secret_key(build, monkeypatch, instance_path, key):
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", key)
    assert build().config["SECRET_KEY"] == key


@pytest.mark.parametrize("word", ["dev", "your", "secret", "Example"[:4]])
def test_production_accepts_a_random_key_that_happens_to_hold_a_word(
    build, monkeypatch, instance_path, word
):
    # Hex around the word, so that the random part cannot complete it into a marker.
    key = secrets.token_hex(16) + word + secrets.token_hex(16)
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", key)
    assert build().config["SECRET_KEY"] == key


@pytest.mark.parametrize("make_key", [secrets.token_urlsafe, secrets.token_hex])
def test_production_accepts_every_generated_key(make_key):
    # Short markers such as "dev_" once refused about one urlsafe key in 40,000.
    refused = []
    for _ in range(100_000):
        key = make_key(32)
        try:
            check_secret_key(key)
        except RuntimeError:
            refused.append(key)
    assert refused == []


def test_production_checks_a_prefixed_secret_key_too(database_url, monkeypatch, instance_path):
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", RANDOM_KEY)
    monkeypatch.setenv("FLASK_SECRET_KEY", "short")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make_app(database_url)


def test_production_writes_no_secret_key_file(build, monkeypatch, instance_path):
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", RANDOM_KEY)
    build()
    assert not (instance_path / SECRET_KEY_FILE).exists()


def test_check_secret_key_accepts_a_random_key():
    check_secret_key(secrets.token_hex(32))


@pytest.mark.sqlite
def test_production_accepts_sqlite(build, database_path, monkeypatch, instance_path):
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", RANDOM_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database_path}")
    app = build({})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database_path}"
    assert app.test_client().get("/api/auth/verify_auth").status_code == 401


def test_production_never_redirects_to_https(build, monkeypatch, instance_path):
    """The TLS proxy redirects; the app answers plain HTTP as asked."""
    use_production(monkeypatch, PUBLIC_URL="https://auth.example")
    monkeypatch.setenv("SECRET_KEY", RANDOM_KEY)
    client = build().test_client()
    for path in ("/api/auth/csrf", "/"):
        response = client.get(path, base_url="http://auth.example")
        assert response.status_code == 200
        assert "Location" not in response.headers


# SQLite settings for many workers and threads


@pytest.mark.sqlite
def test_sqlite_connections_are_tuned(app):
    names = ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
    with app.app_context(), db.engine.connect() as connection:
        settings = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in names}
    assert settings == {
        "journal_mode": "wal",
        "busy_timeout": 10000,
        "synchronous": 1,
        "foreign_keys": 1,
    }


# Database URLs


@pytest.mark.parametrize(
    ("url", "mapped"),
    [
        ("postgres://u:p@db:5432/auth", "postgresql+psycopg://u:p@db:5432/auth"),
        (
            "postgresql://u:p@db/auth?sslmode=require",
            "postgresql+psycopg://u:p@db/auth?sslmode=require",
        ),
        ("postgresql+psycopg://u@db/auth", "postgresql+psycopg://u@db/auth"),
        ("postgresql+asyncpg://u@db/auth", "postgresql+asyncpg://u@db/auth"),
        ("sqlite:////srv/auth/app.db", "sqlite:////srv/auth/app.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_url(url, mapped):
    assert config_loading.database_url(url) == mapped


def test_postgres_url_from_the_environment_uses_psycopg(build, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://auth:pw@127.0.0.1:1/auth")
    app = build({})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://auth:pw@127.0.0.1:1/auth"
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.dialect.driver == "psycopg"


def test_sqlite_in_the_instance_folder_by_default(build, instance_path):
    app = build({})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance_path / 'app.db'}"
    assert instance_path.is_dir()


# Secret keys outside production


def test_testing_makes_a_random_key_per_app(build, instance_path):
    first, second = build({}), build({})
    assert len(first.config["SECRET_KEY"]) >= MIN_SECRET_KEY_LEN
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert not (instance_path / SECRET_KEY_FILE).exists()


def test_development_keeps_its_key_in_the_instance_folder(build, monkeypatch, instance_path):
    monkeypatch.setenv("APP_CONFIG", "development")
    first, second = build({}), build({})
    key = (instance_path / SECRET_KEY_FILE).read_text().strip()
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key
    assert len(key) >= MIN_SECRET_KEY_LEN


def test_instance_secret_key_is_made_once(tmp_path):
    key = instance_secret_key(str(tmp_path))
    assert len(key) == 64
    int(key, 16)
    path = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert instance_secret_key(str(tmp_path)) == key
    assert os.listdir(tmp_path) == [SECRET_KEY_FILE]


def test_instance_secret_key_keeps_an_existing_file(tmp_path):
    (tmp_path / SECRET_KEY_FILE).write_text("kept as it is\n")
    assert instance_secret_key(str(tmp_path)) == "kept as it is"


# Loads app/secret_key.py alone (it needs only the standard library), so processes start fast.
RACE = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("config", sys.argv[2])
config = importlib.util.module_from_spec(spec)
spec.loader.exec_module(config)
print("ready", flush=True)
sys.stdin.readline()
print(config.instance_secret_key(sys.argv[1]))
"""


@pytest.mark.parametrize("attempt", range(10))
def test_processes_starting_at_once_share_one_key(tmp_path, attempt):
    """Like gunicorn workers booting together: every one must end up with the same key."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, str(tmp_path), str(ROOT / "app" / "secret_key.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(12)
    ]
    # Each has imported everything; release them together.
    for process in processes:
        assert process.stdout.readline() == "ready\n"
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    keys = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        keys.append(out.strip())
    assert len(set(keys)) == 1
    assert keys[0] == (tmp_path / SECRET_KEY_FILE).read_text().strip()
    assert os.listdir(tmp_path) == [SECRET_KEY_FILE]


# CSRF tokens live as long as the session


def test_csrf_token_does_not_expire_after_an_hour(app, client, monkeypatch):
    two_days_ago = int(time.time()) - 2 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: two_days_ago)
        token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.post(
        "/api/auth/login",
        data={"login": "nobody", "password": PASSWORD},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 401


def test_a_time_limit_would_expire_old_tokens(build, monkeypatch):
    """The counter-check: the test above would catch a one-hour limit."""
    app = build(WTF_CSRF_TIME_LIMIT=3600)
    client = app.test_client()
    two_days_ago = int(time.time()) - 2 * 24 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: two_days_ago)
        token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.post("/api/auth/logout", headers={"X-CSRFToken": token})
    assert_csrf_failure(response, CSRF_EXPIRED)


# The public address and the mail


@pytest.mark.parametrize("missing", ["PUBLIC_URL", "MAIL_URL"])
def test_production_refuses_to_start_without_a_public_address_or_mail(
    database_url, monkeypatch, instance_path, missing
):
    use_production(monkeypatch, SECRET_KEY=RANDOM_KEY)
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        make_app(database_url)


def test_production_takes_no_mail_only_when_told(build, monkeypatch, instance_path):
    use_production(monkeypatch, SECRET_KEY=RANDOM_KEY, MAIL_URL="log://")
    assert build().config["MAIL_URL"] == "log://"


@pytest.mark.parametrize(
    "url",
    [
        "auth.example.com",
        "ftp://auth.example.com",
        "https://",
        "https://user:pw@auth.example.com",
        "https://auth.example.com/?next=1",
        "https://auth.example.com/#top",
    ],
)
def test_a_public_url_that_is_no_address_is_refused(database_url, monkeypatch, url):
    monkeypatch.setenv("PUBLIC_URL", url)
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        make_app(database_url)


def test_a_bad_mail_url_is_refused_at_start(database_url, monkeypatch):
    monkeypatch.setenv("MAIL_URL", "smtp:/nohost")
    with pytest.raises(RuntimeError, match="MAIL_URL"):
        make_app(database_url)


def test_development_mails_to_files_in_the_instance_folder(build, monkeypatch, instance_path):
    monkeypatch.setenv("APP_CONFIG", "development")
    monkeypatch.delenv("FLASK_MAIL_SEND_IN_PROCESS")
    app = build({})
    assert app.config["MAIL_URL"] == f"file://{instance_path}/outbox"
    assert app.config["PUBLIC_URL"] == "http://localhost:5000"
    assert app.config["MAIL_SEND_IN_PROCESS"] is True


def test_development_links_follow_the_port(build, monkeypatch, instance_path):
    monkeypatch.setenv("APP_CONFIG", "development")
    monkeypatch.setenv("PORT", "8123")
    assert build({}).config["PUBLIC_URL"] == "http://localhost:8123"


def test_the_public_url_loses_its_trailing_slash(build, monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://auth.example.com/")
    assert build().config["PUBLIC_URL"] == "https://auth.example.com"


def test_production_trusts_only_the_public_host(build, monkeypatch, instance_path):
    use_production(monkeypatch, SECRET_KEY=RANDOM_KEY, PUBLIC_URL="https://auth.example.com")
    app = build()
    assert app.config["TRUSTED_HOSTS"] == ["auth.example.com"]
    client = app.test_client()
    assert client.get("/api/auth/csrf", base_url="https://auth.example.com").status_code == 200
    for host in ("evil.example", "auth.example.com.evil.example", "localhost"):
        response = client.get("/api/auth/csrf", base_url=f"https://{host}")
        assert_error(response, 400, response.get_json()["errors"]["message"])
        assert client.get("/", base_url=f"https://{host}").status_code == 400


def test_an_operator_may_trust_more_hosts(build, monkeypatch, instance_path):
    use_production(
        monkeypatch,
        SECRET_KEY=RANDOM_KEY,
        PUBLIC_URL="https://auth.example.com",
        FLASK_TRUSTED_HOSTS='["auth.example.com", "10.0.0.5"]',
    )
    client = build().test_client()
    assert client.get("/api/auth/csrf", base_url="http://10.0.0.5:8000").status_code == 200


def test_outside_production_any_host_is_answered(build):
    response = build().test_client().get("/api/auth/csrf", base_url="http://anything.example")
    assert response.status_code == 200


@pytest.mark.parametrize("mfa_key", ["short", f"{secrets.token_hex(32)},change-me-{RANDOM_KEY}"])
def test_production_refuses_a_weak_mfa_key(database_url, monkeypatch, instance_path, mfa_key):
    use_production(monkeypatch, SECRET_KEY=RANDOM_KEY, MFA_KEY=mfa_key)
    with pytest.raises(RuntimeError, match="MFA_KEY"):
        make_app(database_url)


def test_production_takes_several_random_mfa_keys(build, monkeypatch, instance_path):
    keys = f"{secrets.token_hex(32)}, {secrets.token_hex(32)}"
    use_production(monkeypatch, SECRET_KEY=RANDOM_KEY, MFA_KEY=keys)
    assert build().config["MFA_KEY"] == keys


@pytest.mark.parametrize(
    ("variable", "text"),
    [
        ("SECRET_KEY_FALLBACKS", "{0}, {1}"),
        ("FLASK_SECRET_KEY_FALLBACKS", '["{0}", "{1}"]'),
        # JSON text, not a list: split like the plain variable, never into its characters.
        ("FLASK_SECRET_KEY_FALLBACKS", '"{0},{1}"'),
    ],
)
def test_old_secret_keys_come_from_the_environment_as_a_list(build, monkeypatch, variable, text):
    old, older = secrets.token_hex(32), secrets.token_hex(32)
    monkeypatch.setenv(variable, text.format(old, older))
    assert build().config["SECRET_KEY_FALLBACKS"] == [old, older]


def test_without_old_secret_keys_the_fallbacks_are_an_empty_list(build):
    assert build().config["SECRET_KEY_FALLBACKS"] == []


@pytest.mark.parametrize("fallbacks", ["short", f"{secrets.token_hex(32)},change-me-{RANDOM_KEY}"])
def test_production_refuses_a_weak_old_secret_key(
    database_url, monkeypatch, instance_path, fallbacks
):
    use_production(monkeypatch, SECRET_KEY=RANDOM_KEY, SECRET_KEY_FALLBACKS=fallbacks)
    with pytest.raises(RuntimeError, match="SECRET_KEY_FALLBACKS"):
        make_app(database_url)


def test_production_takes_random_old_secret_keys(build, monkeypatch, instance_path):
    old = secrets.token_hex(32)
    use_production(monkeypatch, SECRET_KEY=RANDOM_KEY, SECRET_KEY_FALLBACKS=old)
    assert build().config["SECRET_KEY_FALLBACKS"] == [old]
