"""Personal access tokens on the account view in Chromium: made behind the password prompt,
shown once and copied, used as a bearer from outside the browser, listed without the token
after a reload, and revoked; the scopes each role is offered; a form error under its field."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from app.common import messages
from app.personal_tokens.scopes import ACCOUNT_READ, ADMIN_READ, ADMIN_WRITE, SESSIONS_READ
from tests.browser.pages import (
    PASSWORD,
    expect_logged_in,
    expect_logged_out,
    log_in,
    log_out,
    new_person,
    open_logged_out,
)
from tests.helpers import age
from tests.plugins.accounts import add_user

TOKEN = re.compile(r"^fat_[A-Za-z0-9_-]{43}$")


def logged_in(page, problems, account):
    """``page`` logged in as ``account`` (sign-up fields), the account view's tokens read."""
    open_logged_out(page, problems)
    log_in(page, account["user_name"])
    expect_logged_in(page, "Alice")
    expect(page.locator("#tokens-none")).to_be_visible()
    return page


def scope_box(page, scope):
    return page.locator(f"#token-add-form [name=scopes][value='{scope}']")


def bearer_status(new_context, token, path="/api/auth/verify_auth"):
    """The status of a GET with ``token`` and no cookie, as a script would send it."""
    request = new_context().request
    return request.get(path, headers={"Authorization": f"Bearer {token}"}).status


def test_make_copy_use_and_revoke_a_token(new_context, problems, alice, server_app):
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = logged_in(context.new_page(), problems, alice)
    # The login's proof of identity is past the window: making a token asks for the password.
    age(server_app, verified=timedelta(minutes=10), user_name=alice["user_name"])
    problems.expect_failed_load("/api/auth/tokens", 403)
    page.locator("#token-add-form [name=name]").fill("Nightly backup")
    scope_box(page, ACCOUNT_READ).check()
    page.locator("#token-add-button").click()
    expect(page.locator("#reauth-modal")).to_be_visible()
    page.locator("#reauth-form [name=password]").fill(PASSWORD)
    page.locator("#reauth-form [type=submit]").click()
    expect(page.locator("#reauth-modal")).to_be_hidden()

    expect(page.locator("#token-add-form [role=status]")).to_have_text(messages.TOKEN_CREATED)
    value = page.locator("#token-new-value")
    expect(value).to_have_text(TOKEN)
    token = value.inner_text()
    expect(page.locator("#token-new")).to_contain_text("it will not be shown again")
    expect(page.locator("#token-new-title")).to_be_focused()
    expect(page.locator("#token-add-form [name=name]")).to_have_value("")
    expect(page.locator("#token-add-form [name=expires_in_days]")).to_have_value("30")
    entry = page.locator("#tokens-list li")
    expect(entry.locator("[data-token=name]")).to_have_text("Nightly backup")
    expect(entry.locator("[data-token=scopes]")).to_have_text(ACCOUNT_READ)
    expect(entry.locator("[data-token=used]")).to_have_text("Never used")
    expires = entry.locator("[data-token=expires] time").nth(1).get_attribute("datetime")
    left = datetime.fromisoformat(expires) - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < left <= timedelta(days=30)

    page.locator("#token-new-copy").click()
    expect(page.locator("#token-new-status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == token

    assert bearer_status(new_context, token) == 200
    # Only what its scopes allow: not the sessions.
    assert bearer_status(new_context, token, "/api/auth/sessions") == 403

    page.reload()
    expect_logged_in(page, "Alice")
    expect(entry.locator("[data-token=name]")).to_have_text("Nightly backup")
    expect(entry.locator("[data-token=used]")).to_contain_text("from 127.0.0.1")
    expect(page.locator("#token-new")).to_be_hidden()
    assert token not in page.content()

    entry.get_by_role("button", name="Revoke the token Nightly backup").click()
    expect(page.locator("#tokens-notice")).to_have_text(messages.TOKEN_REVOKED)
    expect(entry).to_have_count(0)
    expect(page.locator("#tokens-none")).to_be_visible()
    expect(page.locator("#tokens-title")).to_be_focused()
    assert bearer_status(new_context, token) == 401


def test_a_user_gets_no_admin_scope_and_a_missing_scope_shows_under_its_field(
    page, problems, alice
):
    logged_in(page, problems, alice)
    for scope in (ADMIN_READ, ADMIN_WRITE):
        expect(scope_box(page, scope)).to_be_hidden()
    expect(page.locator("#token-add-form input[name=scopes]:visible")).to_have_count(3)

    problems.expect_failed_load("/api/auth/tokens", 422)
    page.locator("#token-add-form [name=name]").fill("CI")
    page.locator("#token-add-button").click()
    scopes = page.locator("#token-add-scopes")
    expect(scopes).to_have_attribute("aria-invalid", "true")
    expect(scopes).to_be_focused()
    error = page.locator("#token-add-scopes-error")
    expect(error).to_have_text(messages.TOKEN_SCOPES_REQUIRED)
    expect(error).to_be_visible()
    expect(page.locator("#token-new")).to_be_hidden()

    # Ticking a scope takes the error away; the login is recent, so no prompt.
    scope_box(page, SESSIONS_READ).check()
    expect(error).to_have_text("")
    page.locator("#token-add-button").click()
    expect(page.locator("#token-new-value")).to_have_text(TOKEN)
    expect(page.locator("#reauth-modal")).to_be_hidden()
    expect(page.locator("#tokens-list [data-token=scopes]")).to_have_text(SESSIONS_READ)

    # Logging out takes the token off the page.
    log_out(page)
    expect_logged_out(page)
    expect(page.locator("#token-new")).to_be_hidden()
    expect(page.locator("#token-new-value")).to_have_text("")
    expect(page.locator("#tokens-list li")).to_have_count(0)


@pytest.mark.parametrize(
    ("role", "offered", "withheld"),
    [("staff", [ADMIN_READ], [ADMIN_WRITE]), ("admin", [ADMIN_READ, ADMIN_WRITE], [])],
)
def test_the_admin_scopes_are_offered_by_role(page, problems, server_app, role, offered, withheld):
    person = new_person(role)
    add_user(server_app, person["user_name"], email=person["email"], password=PASSWORD, role=role)
    logged_in(page, problems, person)
    for scope in offered:
        expect(scope_box(page, scope)).to_be_visible()
        expect(scope_box(page, scope)).to_be_enabled()
    for scope in withheld:
        expect(scope_box(page, scope)).to_be_hidden()
