"""The signed session cookie, its serializer kept per app (``app.sessions.signing``)."""

import secrets

from flask.sessions import SecureCookieSessionInterface

from app.sessions.cookie import SESSION_KEY
from tests.helpers import session_cookie

VERIFY = "/api/auth/verify_auth"


def serializer(app):
    return app.session_interface.get_signing_serializer(app)


def test_the_serializer_is_built_once_per_app(app):
    assert serializer(app) is serializer(app)


def test_the_cookie_is_the_one_flasks_own_interface_reads(app, logged_in_client):
    cookie = logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    assert stock.loads(cookie) == session_cookie(app, logged_in_client)
    assert isinstance(stock.loads(cookie)[SESSION_KEY], str)


def test_a_new_secret_key_ends_the_sessions_of_the_old_one(app, logged_in_client):
    before = serializer(app)
    app.config["SECRET_KEY"] = secrets.token_hex(32)
    assert serializer(app) is not before
    assert logged_in_client.get(VERIFY).status_code == 401


def test_an_old_key_among_the_fallbacks_still_opens_its_cookies(app, logged_in_client):
    old = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY=secrets.token_hex(32), SECRET_KEY_FALLBACKS=[old])
    assert logged_in_client.get(VERIFY).status_code == 200
