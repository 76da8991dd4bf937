"""The application factory: ``create_app`` reads like a table of contents."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import commands, config_loading, database, log, schema
from app.accounts import recovery
from app.api import errors, limits
from app.api.account import account_api
from app.api.addresses import addresses_api
from app.api.admin import admin_api
from app.api.auth import auth
from app.api.contract import contract
from app.api.forward import forward_api
from app.api.mfa import mfa_api
from app.api.passkeys import passkeys_api
from app.api.recovery import recovery_api
from app.api.request import ApiRequest
from app.api.sessions import sessions_api
from app.api.tokens import tokens_api
from app.extensions import csrf, limiter
from app.frontend import frontend
from app.mail import sender
from app.personal_tokens import guard
from app.security import headers
from app.sessions import login, signing
from app.users.passwords import passwords


def create_app(config=None):
    """Build the app; ``config`` is a mapping or object of overrides."""
    app = Flask(__name__)
    app.request_class = ApiRequest
    config_loading.load(app, config)
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
    database.register(app)
    csrf.init_app(app)
    guard.register(app)
    passwords.init_app(app)
    limiter.init_app(app)
    limits.register(app)
    signing.register(app)
    login.register(app)
    sender.register(app, jobs={recovery.RESET_JOB: recovery.fulfil_reset_request})


def register_blueprints(app):
    # Werkzeug would answer /api//auth/... with a redirect to the merged path: an HTML 308
    # where the API promises JSON. Unmerged, such paths are plain JSON 404s.
    app.url_map.merge_slashes = False
    app.register_blueprint(auth)
    app.register_blueprint(sessions_api)
    app.register_blueprint(recovery_api)
    app.register_blueprint(addresses_api)
    app.register_blueprint(mfa_api)
    app.register_blueprint(passkeys_api)
    app.register_blueprint(admin_api)
    app.register_blueprint(account_api)
    app.register_blueprint(tokens_api)
    app.register_blueprint(forward_api)
    app.register_blueprint(contract)
    app.register_blueprint(frontend)


def register_error_handlers(app):
    errors.register(app)


def register_request_hooks(app):
    log.register(app)
    headers.register(app)


def register_commands(app):
    schema.register(app)
    commands.register(app)
