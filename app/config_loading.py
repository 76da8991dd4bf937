"""Loading the config: the class by ``APP_CONFIG``, the argument, the environment, the
``FLASK_*`` keys, then the defaults that depend on them and production's checks."""

import os
import secrets
from collections.abc import Mapping

from app.config import CONFIGS, HOST_COOKIE_NAME, PLAIN_COOKIE_NAME
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
SQLITE_FILE = "app.db"
# Where development's messages go: .eml files under the instance folder.
OUTBOX_DIR = "outbox"


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
