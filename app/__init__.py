"""The application factory: ``create_app`` reads like a table of contents."""

import os

from flask import Flask, abort
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app import commands
from app import config as app_config
from app.api import auth, contract, sessions_api
from app.common import messages
from app.common.request import ApiRequest
from app.errors import (
    RATE_LIMIT_STORE_ERRORS,
    handle_database_error,
    handle_http_exception,
    handle_rate_limit_store_error,
    handle_route_limit,
)
from app.extensions import csrf, db, limiter, login_manager, migrate, passwords
from app.frontend import frontend
from app.security import events, headers
from app.sessions import service as sessions

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(config=None):
    """Build the app; ``config`` is a mapping or object of overrides."""
    app = Flask(__name__)
    app.request_class = ApiRequest
    app_config.load(app, config)
    register_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_request_hooks(app)
    register_commands(app)
    return app


def register_proxy(app):
    """Trust X-Forwarded-For/-Proto from exactly ``TRUSTED_PROXIES`` proxies, and no more."""
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


def register_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    csrf.init_app(app)
    passwords.init_app(app)
    limiter.init_app(app)

    login_manager.init_app(app)
    # The server-side record is the session's identity: Flask-Login's own session keys,
    # remember cookie and session protection stay unused.
    login_manager.session_protection = None
    login_manager.request_loader(sessions.load_user)
    login_manager.unauthorized_handler(lambda: abort(401, messages.NOT_LOGGED_IN))

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue instead
    # of failing with "database is locked"; NORMAL is safe under WAL and commits faster.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def register_blueprints(app):
    # Werkzeug would answer /api//auth/... with a redirect to the merged path: an HTML 308
    # where the API promises JSON. Unmerged, such paths are plain JSON 404s.
    app.url_map.merge_slashes = False
    app.register_blueprint(auth)
    app.register_blueprint(sessions_api)
    app.register_blueprint(contract)
    app.register_blueprint(frontend)


def register_error_handlers(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(RateLimitExceeded, handle_route_limit)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
    for error in RATE_LIMIT_STORE_ERRORS:
        app.register_error_handler(error, handle_rate_limit_store_error)


def register_request_hooks(app):
    events.register(app)
    headers.register(app)


def register_commands(app):
    commands.register(app)
