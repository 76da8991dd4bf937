"""Passkeys in Chromium, with its virtual authenticator (the DevTools protocol's WebAuthn
domain): added on the account view, then used alone to sign in, as a password's second
factor, and to re-authenticate; renamed and removed; and refused by a browser without it.

WebAuthn needs a domain, not an IP address: the live server is ``http://localhost:<port>``.
"""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from app.common import messages
from devtools.processes import HOST
from tests.browser.chromium import enforce_csp
from tests.browser.conftest import PUBLIC_HOST, PageProblems
from tests.browser.pages import (
    Authenticator,
    add_passkey,
    expect_logged_in,
    expect_logged_out,
    log_in,
    log_out,
    open_logged_out,
)
from tests.helpers import age

# What the page says where the browser refuses the domain (an IP address), naming PUBLIC_URL.
WRONG_ADDRESS = "Passkeys do not work at this address. Open the site at {} and try again."
# What the page says when the browser answers no passkey (none here, or cancelled).
NO_PASSKEY_USED = (
    "No passkey was used: it was cancelled, it timed out, or this device has no passkey for "
    "this account."
)


def logged_in(page, problems, account):
    """Log in as ``account`` (sign-up fields) with the password; the account view has read its
    passkeys (none yet)."""
    open_logged_out(page, problems)
    log_in(page, account["user_name"])
    expect_logged_in(page, "Alice")
    expect(page.locator("#passkeys-none")).to_be_visible()
    expect(page.locator("#sessions-list li[data-current]")).to_have_count(1)
    expect(page.locator("#mfa-state")).to_have_text("Off")
    return page


def with_a_passkey(context, page, problems, account, name="Laptop"):
    """Logged in as ``account``, with a passkey added on the account view; the authenticator
    holding it."""
    authenticator = Authenticator(context, page)
    logged_in(page, problems, account)
    add_passkey(page, name)
    # The account's first second factor: its recovery codes, shown once.
    expect(page.locator("#recovery-codes-list li")).to_have_count(10)
    page.locator("#recovery-codes-done").click()
    expect(page.locator("#passkeys-title")).to_be_focused()
    return authenticator


def test_a_passkey_turns_the_second_step_on_without_the_app(
    context, page, problems, confirmed_alice
):
    """The 2FA section counts the passkey: on, with codes to renew, and the app still off."""
    with_a_passkey(context, page, problems, confirmed_alice)
    expect(page.locator("#mfa-state")).to_have_text("On (passkey) · 10 recovery codes left")
    expect(page.locator("#recovery-codes-renew")).to_be_visible()
    expect(page.locator("#totp-setup-button")).to_be_visible()
    expect(page.locator("#totp-disable-form")).to_be_hidden()


def test_add_a_passkey_then_sign_in_with_it_alone(context, page, problems, confirmed_alice):
    authenticator = with_a_passkey(context, page, problems, confirmed_alice)
    entry = page.locator("#passkeys-list li")
    expect(entry.locator("[data-passkey=name]")).to_have_text("Laptop")
    expect(entry.locator("[data-passkey=used]")).to_have_text("Last used never")
    added = entry.locator("[data-passkey=created] time")
    expect(added).to_have_attribute("datetime", re.compile(r"Z$"))
    expect(page.locator("#passkey-add-form [name=name]")).to_have_value("")
    (credential,) = authenticator.credentials()
    assert credential["isResidentCredential"]

    log_out(page)
    expect_logged_out(page)
    with page.expect_request("**/api/auth/passkeys/login/finish") as sent:
        page.locator("#passkey-login-button").click()
    expect_logged_in(page, "Alice")
    assert "password" not in sent.value.post_data_json
    assert page.request.get("/api/auth/verify_auth").status == 200
    expect(entry.locator("[data-passkey=used]")).to_contain_text("Last used")
    expect(entry.locator("[data-passkey=used]")).not_to_have_text("Last used never")


def test_the_password_then_the_passkey_as_the_second_factor(
    context, page, problems, confirmed_alice
):
    with_a_passkey(context, page, problems, confirmed_alice)
    log_out(page)
    expect_logged_out(page)
    log_in(page, confirmed_alice["user_name"])
    expect(page.locator("#mfa-view")).to_be_visible()
    # No TOTP: no code to type, the passkey's button has focus; recovery codes still work.
    button = page.locator("#mfa-passkey-button")
    expect(button).to_be_focused()
    expect(page.locator("#mfa-form")).to_be_hidden()
    expect(page.get_by_role("button", name="Use a recovery code")).to_be_visible()
    assert page.request.get("/api/auth/verify_auth").status == 401
    page.keyboard.press("Enter")
    expect_logged_in(page, "Alice")
    assert page.request.get("/api/auth/verify_auth").status == 200


def test_rename_then_remove_with_the_passkey_as_the_proof(
    context, page, problems, confirmed_alice, server_app
):
    with_a_passkey(context, page, problems, confirmed_alice)
    entry = page.locator("#passkeys-list li")
    entry.get_by_role("button", name="Rename the passkey Laptop").click()
    field = entry.locator("[name=name]")
    expect(field).to_be_focused()
    expect(field).to_have_value("Laptop")
    field.fill("Work laptop")
    page.keyboard.press("Enter")
    expect(page.locator("#passkeys-notice")).to_have_text(messages.PASSKEY_RENAMED)
    expect(entry.locator("[data-passkey=name]")).to_have_text("Work laptop")
    remove = entry.get_by_role("button", name="Remove the passkey Work laptop")
    expect(entry.get_by_role("button", name="Rename the passkey Work laptop")).to_be_focused()

    age(server_app, verified=timedelta(minutes=10), user_name=confirmed_alice["user_name"])
    passkey_id = entry.get_attribute("data-passkey-id")
    problems.expect_failed_load(f"/api/auth/passkeys/{passkey_id}", 403)
    remove.click()
    expect(page.locator("#reauth-modal")).to_be_visible()
    page.locator("#reauth-passkey-button").click()
    expect(page.locator("#reauth-modal")).to_be_hidden()
    expect(page.locator("#passkeys-notice")).to_have_text(messages.PASSKEY_REMOVED)
    expect(entry).to_have_count(0)
    expect(page.locator("#passkeys-none")).to_be_visible()
    expect(page.locator("#passkeys-title")).to_be_focused()
    expect(page.locator("#mfa-state")).to_have_text("Off")
    expect(page.locator("#recovery-codes-renew")).to_be_hidden()

    # The authenticator still holds it, but the server no longer knows it: refused, and
    # the password alone logs in again.
    log_out(page)
    expect_logged_out(page)
    problems.expect_failed_load("/api/auth/passkeys/login/finish", 401)
    page.locator("#passkey-login-button").click()
    expect(page.locator("#passkey-login-form [role=alert]")).to_have_text(messages.PASSKEY_REFUSED)
    expect_logged_out(page)
    log_in(page, confirmed_alice["user_name"])
    expect_logged_in(page, "Alice")


def test_the_same_device_twice_is_refused_by_the_browser(context, page, problems, confirmed_alice):
    with_a_passkey(context, page, problems, confirmed_alice)
    sent = []
    page.on("request", lambda request: sent.append(request.url))
    add = page.locator("#passkey-add-button")
    page.locator("#passkey-add-form [name=name]").fill("Again")
    add.click()
    expect(page.locator("#passkey-add-form [role=alert]")).to_have_text(
        "This device already holds a passkey for your account."
    )
    expect(add).to_be_enabled()
    expect(page.locator("#passkeys-list li")).to_have_count(1)
    assert not [url for url in sent if url.endswith("/passkeys/register/finish")]


def test_a_browser_without_the_passkey_refuses_before_asking_the_server(
    new_context, context, page, problems, confirmed_alice
):
    with_a_passkey(context, page, problems, confirmed_alice)
    elsewhere_context = new_context()
    elsewhere = elsewhere_context.new_page()
    Authenticator(elsewhere_context, elsewhere)
    open_logged_out(elsewhere, problems)
    sent = []
    elsewhere.on("request", lambda request: sent.append(request.url))
    elsewhere.locator("#passkey-login-button").click()
    alert = elsewhere.locator("#passkey-login-form [role=alert]")
    expect(alert).to_have_text(NO_PASSKEY_USED)
    expect(elsewhere.locator("#passkey-login-button")).to_be_enabled()
    expect_logged_out(elsewhere)
    assert [url for url in sent if "/passkeys/login/" in url] == [
        f"{problems.server.url}/api/auth/passkeys/login/begin"
    ]


def test_no_passkey_button_where_the_browser_has_no_webauthn(new_context, problems):
    context = new_context()
    context.add_init_script("delete window.PublicKeyCredential;")
    page = context.new_page()
    open_logged_out(page, problems)
    expect(page.locator("#passkey-login-button")).to_be_hidden()
    expect(page.locator("#login-form [type=submit]")).to_be_visible()


@pytest.mark.parametrize(
    "server_env", [{"FLASK_TRUSTED_HOSTS": f'["{PUBLIC_HOST}", "{HOST}"]'}], ids=["ip-trusted"]
)
def test_at_an_ip_address_the_page_names_the_address_where_passkeys_work(browser, live_server):
    """Chromium refuses WebAuthn at 127.0.0.1 ("This is an invalid domain"): the page names
    PUBLIC_URL, http://localhost:<port>, instead of leaving the reader to guess."""
    at_ip = live_server.url.replace(PUBLIC_HOST, HOST)
    problems = PageProblems(SimpleNamespace(url=at_ip, log=live_server.log))
    context = browser.new_context(base_url=at_ip)
    try:
        enforce_csp(context, at_ip)
        page = context.new_page()
        problems.watch(page)
        Authenticator(context, page)
        open_logged_out(page, problems)
        page.locator("#passkey-login-button").click()
        alert = page.locator("#passkey-login-form [role=alert]")
        expect(alert).to_have_text(WRONG_ADDRESS.format(live_server.url))
        expect_logged_out(page)
        problems.check()
    finally:
        context.close()
