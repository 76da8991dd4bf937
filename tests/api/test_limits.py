"""Flask-Limiter's hooks run only on routes that a limit applies to (``app.api.limits``)."""

import pytest
from flask.globals import request_ctx

from app.api import limits
from tests.helpers import AuthActions
from tests.plugins.accounts import add_user, log_in
from tests.plugins.databases import make_app

VERIFY = "/api/auth/verify_auth"


@pytest.mark.parametrize(
    ("method", "path", "unlimited"),
    [
        ("GET", VERIFY, True),
        ("GET", "/api/auth/csrf", True),
        ("GET", "/api/auth/sessions", True),
        ("GET", "/no/such/route", True),
        ("POST", "/api/auth/login", False),
        ("POST", "/api/auth/signup", False),
        ("POST", "/api/auth/change_password", False),
        ("POST", "/api/auth/reset_password/request", False),
    ],
)
def test_only_routes_without_a_limit_are_unlimited(app, method, path, unlimited):
    with app.test_request_context(path, method=method):
        assert limits.is_unlimited() is unlimited


@pytest.mark.parametrize("key", limits.APP_WIDE_LIMITS)
def test_an_app_wide_limit_applies_to_every_route(app, key):
    # Set after create_app, not through it: Flask-Limiter's init_app would keep the limit on
    # the one shared extension object, for every app built after this test.
    app.config[key] = "100 per minute"
    with app.test_request_context(VERIFY):
        assert limits.is_unlimited() is False


@pytest.fixture
def watched(database_url):
    """An app that notes, for each answer, whether Flask-Limiter made its per-request state."""
    app = make_app(database_url)
    app.seen = []

    @app.after_request
    def look(response):
        app.seen.append(hasattr(request_ctx._get_current_object(), "_limiter_request_context"))
        return response

    return app


def test_an_unlimited_route_is_served_without_flask_limiter(watched):
    auth = AuthActions(watched.test_client())
    log_in(auth, add_user(watched))
    watched.seen.clear()
    assert auth._client.get(VERIFY).status_code == 200
    assert watched.seen == [False]


def test_a_limited_route_still_goes_through_flask_limiter(watched):
    auth = AuthActions(watched.test_client())
    log_in(auth, add_user(watched))
    watched.seen.clear()
    assert auth.login().status_code == 200
    assert watched.seen == [True]
