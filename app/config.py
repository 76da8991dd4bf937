"""Configuration: a class per ``APP_CONFIG``, then the argument, the environment and checks."""

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta

from app.database import postgresql_engine_options
from app.mail.transports import check_mail_url
from app.public_url import check_public_url, trusted_hosts
from app.secret_key import check_secret_key, instance_secret_key, key_list
from app.users.validators import check_password_min_length

# Environment variables read directly, and the config keys they set.
ENVIRONMENT_KEYS = {
    "SECRET_KEY": "SECRET_KEY",
    "SECRET_KEY_FALLBACKS": "SECRET_KEY_FALLBACKS",
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL": "REDIS_URL",
    "PUBLIC_URL": "PUBLIC_URL",
    "MAIL_URL": "MAIL_URL",
    "MAIL_FROM": "MAIL_FROM",
    "MFA_KEY": "MFA_KEY",
}
HOST_COOKIE_NAME = "__Host-session"
# The tutorial's name, kept where cookies are not Secure.
PLAIN_COOKIE_NAME = "session"
SQLITE_FILE = "app.db"
# Where development's messages go: .eml files under the instance folder.
OUTBOX_DIR = "outbox"


class Config:
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None
    REDIS_URL = None
    # The address people use, for every link in a message. None: development's own address.
    PUBLIC_URL = None
    # None: development's files under instance/outbox (app.mail.transports).
    MAIL_URL = None
    MAIL_FROM = "Flask auth <no-reply@localhost>"
    # None: production trusts only PUBLIC_URL's host, elsewhere any host is answered.
    TRUSTED_HOSTS = None
    MAX_CONTENT_LENGTH = 64 * 1024

    # CSRF: the token lives as long as the session. SSL_STRICT would demand a Referer on
    # HTTPS, which curl and many API clients do not send; the header token and
    # SameSite=Lax are the defence.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = False

    # None: ``__Host-session`` where cookies are Secure and host-only (production), else
    # ``session``. Set it to choose a name.
    SESSION_COOKIE_NAME = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    # Remember-me: the cookie and the server-side record both last this long.
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_IDLE_TIMEOUT = timedelta(hours=1)
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
    # Rows per transaction of purge-sessions.
    PURGE_BATCH_SIZE = 10_000

    # argon2id at OWASP's minimum (m=19 MiB, t=2, p=1).
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024
    ARGON2_PARALLELISM = 1
    # The shortest new password, in code points after NFKC: NIST SP 800-63B-4 (2025) asks 15
    # of a password that is the only factor. Checked wherever a password is set, never at
    # login, so older, shorter passwords keep working until they are next changed.
    PASSWORD_MIN_LENGTH = 15

    # Throttling (Flask-Limiter). Counts live in memory (per process) unless REDIS_URL is set.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    # Off: Flask-Limiter would put Retry-After on every answer of a limited route. Every 429
    # carries its own Retry-After (app.api.errors, app.security.throttle).
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_STRATEGY = "moving-window"
    LOGIN_RATE_LIMIT = "30 per minute"
    # Per login string; an account has two (user name, email). See app/security/throttle.py.
    LOGIN_FAILURE_LIMIT = "5 per 5 minutes; 50 per day"
    SIGNUP_RATE_LIMIT = "10 per hour"
    CHANGE_PASSWORD_RATE_LIMIT = "5 per minute"
    # logout_all and DELETE /sessions/<id>, per user, together.
    SESSION_REVOKE_RATE_LIMIT = "10 per 10 minutes"
    # How many proxies in front set X-Forwarded-For / -Proto; 0 trusts none of them.
    TRUSTED_PROXIES = 0

    RESET_RATE_LIMIT = "10 per hour"
    # Per address asked for, keyed like the failed-login count; known or not, alike.
    RESET_ADDRESS_LIMIT = "3 per hour; 10 per day"
    # Seconds: a reset request's job runs after a random delay up to this, so that its work
    # is never timed by the requester's next request.
    RESET_JOB_DELAY = 5
    CONFIRM_RESEND_RATE_LIMIT = "3 per hour"
    # Using a link's token (confirmation, email change), per client address.
    LINK_RATE_LIMIT = "30 per hour"
    CHANGE_EMAIL_RATE_LIMIT = "5 per hour"

    # Tokens sent by mail (app.accounts.tokens).
    RESET_TOKEN_LIFETIME = timedelta(hours=1)
    CONFIRM_TOKEN_LIFETIME = timedelta(days=3)
    EMAIL_CHANGE_TOKEN_LIFETIME = timedelta(days=1)
    # On: an account whose address is not confirmed cannot log in (a 403 after the password).
    REQUIRE_CONFIRMED_EMAIL = False
    # Sensitive actions need the login, or a password check since, within this long.
    REAUTHENTICATION_WINDOW = timedelta(minutes=5)

    # The second factor (app.mfa). None: its keys are derived from SECRET_KEY, then each of
    # SECRET_KEY_FALLBACKS. Else one key or several, comma-separated: the first seals new
    # secrets, each opens old ones.
    MFA_KEY = None
    # The name authenticator apps show beside the account.
    TOTP_ISSUER = "Flask auth"
    # A login whose password was right waits this long for its second factor, and takes at
    # most this many wrong codes.
    MFA_PENDING_LIFETIME = timedelta(minutes=5)
    MFA_MAX_FAILURES = 5
    MFA_VERIFY_RATE_LIMIT = "30 per minute"
    # Codes tried per account (its id), wherever they are given; apart from the password's
    # counts. See app/security/throttle.py.
    MFA_FAILURE_LIMIT = "5 per 5 minutes; 50 per day"

    # Passkeys (app.passkeys). None: the RP ID is PUBLIC_URL's host; the origin always is
    # PUBLIC_URL's. A challenge waits this long for its one answer.
    PASSKEY_RP_ID = None
    PASSKEY_RP_NAME = "Flask auth"
    PASSKEY_CHALLENGE_LIFETIME = timedelta(minutes=5)
    # Sign-ins with a passkey alone, per client address (begin and finish each); apart from
    # LOGIN_RATE_LIMIT. Password failures never refuse a passkey.
    PASSKEY_LOGIN_RATE_LIMIT = "30 per minute"
    PASSKEY_MAX_PER_ACCOUNT = 20
    # Registrations begun, per user.
    PASSKEY_REGISTER_RATE_LIMIT = "10 per hour"

    # The outbox's sender (app.mail.sender): in a thread of each app process, unless off.
    MAIL_SEND_IN_PROCESS = True
    # Seconds: each SMTP call's timeout, the idle sender's poll, the first retry's delay
    # (doubled at each attempt, up to a day), and how long a claimed message stays claimed.
    MAIL_TIMEOUT = 10
    MAIL_POLL_INTERVAL = 5
    MAIL_RETRY_DELAY = 30
    MAIL_CLAIM_TIMEOUT = 120
    MAIL_MAX_ATTEMPTS = 12
    # At most one notice (a message that tells of a change) per account and address this often;
    # the changes in between wait, merged into one message (app.mail.notices).
    NOTICE_INTERVAL = timedelta(minutes=10)

    SECURITY_LOG_LEVEL = "INFO"

    # PostgreSQL's pool and timeouts (app.database).
    DATABASE_POOL_SIZE = 5
    DATABASE_MAX_OVERFLOW = 5
    DATABASE_POOL_TIMEOUT = 5
    DATABASE_POOL_RECYCLE = 1800
    DATABASE_CONNECT_TIMEOUT = 3
    DATABASE_STATEMENT_TIMEOUT_MS = 5000


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    TESTING = True
    PUBLIC_URL = "http://localhost"
    # Tests that read mail point MAIL_URL at their SMTP server and run the sender themselves.
    MAIL_URL = "log://"
    MAIL_SEND_IN_PROCESS = False
    # Reset jobs due at once: the tests run the sender themselves, when they choose.
    RESET_JOB_DELAY = 0
    # Cheap hashing keeps the suite fast; the algorithm stays argon2id.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 64


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load(app, config=None):
    """Fill ``app.config``: class defaults, ``config``, the environment, ``FLASK_*``, checks."""
    name = os.environ.get("APP_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"APP_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    app.config.from_object(CONFIGS[name])
    app.config["APP_CONFIG"] = name
    if isinstance(config, Mapping):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    for variable, key in ENVIRONMENT_KEYS.items():
        if os.environ.get(variable):
            app.config[key] = os.environ[variable]
    app.config.from_prefixed_env()
    _finish(app, name)


def _finish(app, name):
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
        or "sqlite:///" + os.path.join(app.instance_path, SQLITE_FILE)
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **postgresql_engine_options(app.config),
            **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
        }
    if not app.config["SESSION_COOKIE_NAME"]:
        app.config["SESSION_COOKIE_NAME"] = session_cookie_name(app.config)
    if app.config["REDIS_URL"] and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    _finish_addresses(app, name)
    # Old secret keys: they still open cookies, and without MFA_KEY the second factor's secrets.
    app.config["SECRET_KEY_FALLBACKS"] = key_list(app.config.get("SECRET_KEY_FALLBACKS"))
    check_password_min_length(app.config["PASSWORD_MIN_LENGTH"])
    if name == "production":
        check_secret_key(app.config["SECRET_KEY"])
        for key in app.config["SECRET_KEY_FALLBACKS"]:
            check_secret_key(key, "SECRET_KEY_FALLBACKS")
        for key in key_list(app.config["MFA_KEY"]):
            check_secret_key(key, "MFA_KEY")
    elif not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = (
            secrets.token_hex(32) if app.testing else instance_secret_key(app.instance_path)
        )


def _finish_addresses(app, name):
    """PUBLIC_URL and MAIL_URL: production must name both; elsewhere they have defaults."""
    config = app.config
    if name == "production":
        for key in ("PUBLIC_URL", "MAIL_URL"):
            if not config[key]:
                raise RuntimeError(f"Production needs {key}: see docs/configuration.md")
    config["PUBLIC_URL"] = check_public_url(
        config["PUBLIC_URL"] or f"http://localhost:{os.environ.get('PORT', '5000')}"
    )
    config["MAIL_URL"] = check_mail_url(
        config["MAIL_URL"] or "file://" + os.path.join(app.instance_path, OUTBOX_DIR)
    )
    if name == "production" and config["TRUSTED_HOSTS"] is None:
        config["TRUSTED_HOSTS"] = trusted_hosts(config["PUBLIC_URL"])


def session_cookie_name(config) -> str:
    """``__Host-session`` when the cookie is Secure, host-only and for path ``/`` (a browser
    then refuses it from any other origin, subdomains included); ``session`` otherwise."""
    path = config.get("SESSION_COOKIE_PATH") or config.get("APPLICATION_ROOT") or "/"
    host_only = not config.get("SESSION_COOKIE_DOMAIN") and path == "/"
    return HOST_COOKIE_NAME if config["SESSION_COOKIE_SECURE"] and host_only else PLAIN_COOKIE_NAME


def database_url(url: str) -> str:
    """Map the plain PostgreSQL schemes to the psycopg 3 driver."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url
