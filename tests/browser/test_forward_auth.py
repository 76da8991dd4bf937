"""The page's return address in Chromium: opened by a reverse proxy as ``/?next=<address>``, a
login sends the person back there when the host is listed, and shows the welcome otherwise.

The protected app is ``app.test``, a name that resolves nowhere: Playwright answers its
requests in the browser itself.
"""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SERVER_HASHING
from tests.browser.pages import (
    PASSWORD,
    expect_logged_in,
    fill_form,
    log_in,
    open_logged_out,
)
from tests.plugins.accounts import add_user, turn_on_totp
from tests.plugins.databases import make_app

PROTECTED = "http://app.test"
PRIVATE = f"{PROTECTED}/private"
# The server and the test's own app seal and open TOTP secrets with the same key.
MFA_KEY = "4f0c9e27b61d8a35e2c47f9b03d6a158c9e7b2f40a63d18e5b7c2f9a04e6d31b"

pytestmark = pytest.mark.parametrize(
    "server_env",
    [{"FLASK_FORWARD_AUTH_ALLOWED_HOSTS": "app.test", "MFA_KEY": MFA_KEY}],
    ids=["forward-auth"],
)


@pytest.fixture
def server_app(live_server):
    """An app on the live server's database, with its hashing and its MFA key."""
    return make_app(live_server.database_url, MFA_KEY=MFA_KEY, **SERVER_HASHING)


@pytest.fixture
def protected_app(page, problems):
    """The protected app, answered in the browser: the addresses it was asked for."""
    asked = []

    def answer(route):
        asked.append(route.request.url)
        route.fulfill(content_type="text/html", body="<!doctype html><title>Private</title>")

    problems.expect_origin(PROTECTED)
    page.route(f"{PROTECTED}/**", answer)
    return asked


def test_a_login_goes_back_to_a_listed_host(page, problems, alice, protected_app):
    open_logged_out(page, problems, f"/?next={PRIVATE}")
    log_in(page, alice["user_name"])
    expect(page).to_have_url(PRIVATE)
    expect(page).to_have_title("Private")
    assert protected_app == [PRIVATE]


def test_a_login_with_a_foreign_return_address_stays(page, problems, alice, live_server):
    path = "/?next=http://evil.test/private"
    open_logged_out(page, problems, path)
    page.evaluate("window.sameDocument = true")
    log_in(page, alice["user_name"])
    expect_logged_in(page, "Alice")
    assert page.url == live_server.url + path
    assert page.evaluate("window.sameDocument") is True


def test_the_code_step_of_a_login_goes_back_too(page, problems, person, server_app, protected_app):
    fields = {"email": person["email"], "password": PASSWORD, "confirmed": True}
    account = turn_on_totp(server_app, add_user(server_app, person["user_name"], **fields))
    open_logged_out(page, problems, f"/?next={PRIVATE}")
    log_in(page, account.user_name)
    expect(page.locator("#mfa-view")).to_be_visible()
    fill_form(page, "#mfa-form", {"code": pyotp.TOTP(account.secret).at(time.time())})
    page.locator("#mfa-form [type=submit]").click()
    expect(page).to_have_url(PRIVATE)
    assert protected_app == [PRIVATE]
