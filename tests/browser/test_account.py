"""The account view in Chromium: a new password, the sessions, a new email address, and the
password prompt of an action that wants the password again."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.common import messages
from tests.browser.conftest import sign_up_through_the_api
from tests.browser.pages import (
    PASSWORD,
    expect_logged_in,
    expect_logged_out,
    fill_form,
    log_in,
    mail_domain,
    open_logged_out,
)
from tests.helpers import age

NEW_PASSWORD = "Quartz-Meadow-Lantern-48"
# Long enough, and easy to guess.
WEAK = "Password1234567"
FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def alice(browser, live_server, person):
    """The test's person, signed up through the API as curl would before the page opens: that
    sign-up is a session of its own, which the sessions list shows (``SIGNUP_SESSION``)."""
    return sign_up_through_the_api(browser, live_server, person)


def logged_in(page, problems, account):
    """``page`` logged in as ``account`` (sign-up fields), on the account view."""
    open_logged_out(page, problems)
    log_in(page, account["user_name"])
    expect_logged_in(page, "Alice")
    expect(page.locator("#account-view")).to_be_visible()
    # The list is read when the view opens: wait for it, so that no request is left running.
    expect(page.locator("#sessions-list li[data-current]")).to_have_count(1)
    return page


def logged_in_elsewhere(new_context, problems, account, user_agent=FIREFOX_ON_WINDOWS):
    """A page of another browser, logged in as ``account``."""
    return logged_in(new_context(user_agent=user_agent).new_page(), problems, account)


def api_login_status(new_context, account, password):
    """The status of a login as ``account`` with ``password``, as curl would send it."""
    request = new_context().request
    token = request.get("/api/auth/csrf").json()["csrf_token"]
    response = request.post(
        "/api/auth/login",
        data={"login": account["user_name"], "password": password},
        headers={"X-CSRFToken": token},
    )
    return response.status


def expect_ended(page):
    """That browser's session is gone: its next request is refused, a reload logs it out."""
    assert page.request.get("/api/auth/verify_auth").status == 401
    page.reload()
    expect_logged_out(page)


def make_proof_old(server_app, account):
    """The proof of who ``account``'s sessions are dates from ten minutes ago."""
    age(server_app, verified=timedelta(minutes=10), user_name=account["user_name"])


def other_entries(page):
    return page.locator("#sessions-list li:not([data-current])")


# The ``alice`` fixture's sign-up, made through the API, is a session of its own.
SIGNUP_SESSION = 1


def test_the_account_view_shows_only_when_logged_in(page, problems, alice):
    open_logged_out(page, problems)
    expect(page.locator("#account-view")).to_be_hidden()
    logged_in(page, problems, alice)
    for title in ("Password", "Sessions", "Email address"):
        expect(page.locator("#account-view h3", has_text=title)).to_be_visible()
    # The account view sits outside the welcome, whose one button stays the logout.
    expect(page.locator("#logged-in-view #account-view")).to_have_count(0)
    expect(page.locator("#logged-in-view button")).to_have_count(1)
    hint = page.locator("#password-form [name=password] + .form-text")
    expect(hint).to_contain_text("15 to 128 characters")
    page.locator("#logged-in-view button").click()
    expect_logged_out(page)
    expect(page.locator("#account-view")).to_be_hidden()
    expect(page.locator("#sessions-list li")).to_have_count(0)


def test_change_password_ends_the_other_sessions_and_the_new_one_works(
    new_context, problems, alice
):
    elsewhere = logged_in_elsewhere(new_context, problems, alice)
    page = logged_in(new_context().new_page(), problems, alice)
    expect(other_entries(page)).to_have_count(1 + SIGNUP_SESSION)
    fill_form(
        page,
        "#password-form",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    page.locator("#password-form [type=submit]").click()
    status = page.locator("#password-form [role=status]")
    expect(status).to_have_text(messages.PASSWORD_CHANGED)
    expect(status).to_have_attribute("aria-live", "polite")
    for name in ("current_password", "password", "confirm"):
        expect(page.locator(f"#password-form [name={name}]")).to_have_value("")
    # The list is read again: only this device is left.
    expect(other_entries(page)).to_have_count(0)
    expect(page.locator("#sessions-list li[data-current]")).to_have_count(1)

    expect_ended(elsewhere)
    # This session goes on, under its new token.
    page.reload()
    expect_logged_in(page, "Alice")
    assert api_login_status(new_context, alice, PASSWORD) == 401
    assert api_login_status(new_context, alice, NEW_PASSWORD) == 200


def test_a_wrong_current_password_shows_under_its_field(page, problems, alice):
    logged_in(page, problems, alice)
    problems.expect_failed_load("/api/auth/change_password", 403)
    fill_form(
        page,
        "#password-form",
        {"current_password": "not it", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    page.locator("#password-form [type=submit]").click()
    current = page.locator("#password-form [name=current_password]")
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(current).to_be_focused()
    expect(page.locator("#account-current-password-error")).to_have_text(
        messages.WRONG_CURRENT_PASSWORD
    )
    expect(page.locator("#password-form [role=status]")).to_have_text("")


def test_a_weak_new_password_shows_the_rule_under_its_field(page, problems, alice):
    logged_in(page, problems, alice)
    problems.expect_failed_load("/api/auth/change_password", 422)
    fill_form(
        page,
        "#password-form",
        {"current_password": PASSWORD, "password": WEAK, "confirm": WEAK},
    )
    page.locator("#password-form [type=submit]").click()
    password = page.locator("#password-form [name=password]")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    expect(page.locator("#account-password-error")).to_contain_text(messages.PASSWORD_WEAK)
    expect(page.locator("#account-password-error")).to_be_visible()
    expect(page.locator("#password-form [role=status]")).to_have_text("")
    # The old password still logs in: nothing changed.
    page.reload()
    expect_logged_in(page, "Alice")


def test_the_sessions_list_shows_each_device_and_ends_another(new_context, problems, alice):
    elsewhere = logged_in_elsewhere(new_context, problems, alice)
    page = logged_in(new_context().new_page(), problems, alice)
    entries = page.locator("#sessions-list li")
    expect(entries).to_have_count(2 + SIGNUP_SESSION)
    current = page.locator("#sessions-list li[data-current]")
    expect(current.locator("[data-session=device]")).to_have_text("Chrome on Linux")
    expect(current.locator("[data-session=current]")).to_have_text("This device")
    expect(current.locator("[data-session=ip]")).to_have_text("IP address 127.0.0.1")
    other = other_entries(page).filter(has_text="Firefox on Windows")
    expect(other.locator("[data-session=device]")).to_have_text("Firefox on Windows")
    expect(other.locator("[data-session=current]")).to_have_count(0)
    # Both times, readable, in <time> elements that keep the server's ISO 8601 string.
    times = other.locator("time")
    expect(times).to_have_count(2)
    for index in range(2):
        assert ISO_UTC.match(times.nth(index).get_attribute("datetime"))
        expect(times.nth(index)).to_have_text(re.compile(r"\d{4}"))
    expect(other).to_contain_text("Last seen")

    with page.expect_request("**/api/auth/sessions/*") as ended:
        other.get_by_role("button", name="End the session of Firefox on Windows").click()
    assert ended.value.method == "DELETE"
    assert ended.value.headers["x-csrftoken"]
    expect(page.locator("#sessions-form [role=status]")).to_have_text(messages.SESSION_ENDED)
    expect(entries).to_have_count(1 + SIGNUP_SESSION)
    expect(other_entries(page).filter(has_text="Firefox on Windows")).to_have_count(0)
    expect(page.locator("#sessions-title")).to_be_focused()
    expect_ended(elsewhere)
    expect_logged_in(page, "Alice")


def test_log_out_everywhere_else_keeps_this_page_logged_in(new_context, problems, alice):
    others = [
        logged_in_elsewhere(new_context, problems, alice),
        logged_in_elsewhere(new_context, problems, alice, user_agent=SAFARI_ON_IPHONE),
    ]
    page = logged_in(new_context().new_page(), problems, alice)
    expect(other_entries(page)).to_have_count(2 + SIGNUP_SESSION)
    # Newest first.
    expect(other_entries(page).first.locator("[data-session=device]")).to_have_text(
        "Safari on iPhone"
    )
    page.locator("#sessions-form [type=submit]").click()
    expect(page.locator("#sessions-form [role=status]")).to_have_text(messages.OTHER_SESSIONS_ENDED)
    expect(other_entries(page)).to_have_count(0)
    for other in others:
        expect_ended(other)
    expect_logged_in(page, "Alice")
    page.reload()
    expect_logged_in(page, "Alice")
    expect(page.locator("#sessions-list li")).to_have_count(1)


def test_ending_this_device_is_a_logout(page, problems, alice):
    logged_in(page, problems, alice)
    page.locator("#sessions-list li[data-current]").get_by_role(
        "button", name="Log out of this device"
    ).click()
    expect_logged_out(page)
    expect(page.locator("#login-title")).to_be_focused()
    page.reload()
    expect_logged_out(page)


def test_change_email_asks_for_the_password_once_the_proof_is_old(
    page, problems, alice, server_app
):
    logged_in(page, problems, alice)
    changes = []
    page.on(
        "request",
        lambda request: changes.append(request) if request.url.endswith("/change_email") else None,
    )
    new, other = (f"alice.{name}@{mail_domain(alice)}" for name in ("new", "other"))
    fill_form(page, "#email-form", {"email": new, "password": PASSWORD})
    page.locator("#email-form [type=submit]").click()
    status = page.locator("#email-form [role=status]")
    expect(status).to_have_text(messages.EMAIL_CHANGE_REQUESTED)
    expect(status).to_have_attribute("aria-live", "polite")
    expect(page.locator("#email-form [name=email]")).to_have_value("")
    expect(page.locator("#reauth-modal")).to_be_hidden()

    make_proof_old(server_app, alice)
    problems.expect_failed_load("/api/auth/change_email", 403)
    fill_form(page, "#email-form", {"email": other, "password": PASSWORD})
    page.locator("#email-form [type=submit]").click()
    modal = page.locator("#reauth-modal")
    expect(modal).to_be_visible()
    prompt_password = page.locator("#reauth-form [name=password]")
    expect(prompt_password).to_be_focused()
    expect(page.locator("#email-form [type=submit]")).to_be_disabled()
    expect(status).to_have_text("")

    # A wrong password: the error under the prompt's field, the prompt stays open.
    problems.expect_failed_load("/api/auth/reauthenticate", 403)
    prompt_password.fill("not the password")
    page.locator("#reauth-form [type=submit]").click()
    expect(page.locator("#reauth-password-error")).to_have_text(messages.WRONG_CURRENT_PASSWORD)
    expect(prompt_password).to_have_attribute("aria-invalid", "true")
    expect(modal).to_be_visible()

    prompt_password.fill(PASSWORD)
    page.locator("#reauth-form [type=submit]").click()
    expect(modal).to_be_hidden()
    expect(status).to_have_text(messages.EMAIL_CHANGE_REQUESTED)
    expect(page.locator("#email-form [type=submit]")).to_be_enabled()
    # Sent once before, refused once, and sent again after the prompt: three in all.
    assert [request.post_data_json["email"] for request in changes] == [new, other, other]
    expect(prompt_password).to_have_value("")


def test_a_wrong_password_for_the_email_change_shows_under_its_field(page, problems, alice):
    logged_in(page, problems, alice)
    problems.expect_failed_load("/api/auth/change_email", 403)
    new = f"alice.new@{mail_domain(alice)}"
    fill_form(page, "#email-form", {"email": new, "password": "not it"})
    page.locator("#email-form [type=submit]").click()
    expect(page.locator("#email-password-error")).not_to_have_text("")
    expect(page.locator("#email-form [name=password]")).to_be_focused()
    expect(page.locator("#reauth-modal")).to_be_hidden()


def test_the_prompt_is_cancelled_with_escape_and_focus_returns(page, problems, alice, server_app):
    logged_in(page, problems, alice)
    make_proof_old(server_app, alice)
    problems.expect_failed_load("/api/auth/change_email", 403)
    keyboard = page.keyboard
    page.locator("#email-form [name=email]").focus()
    keyboard.type(f"alice.new@{mail_domain(alice)}")
    keyboard.press("Tab")
    field = page.locator("#email-form [name=password]")
    expect(field).to_be_focused()
    keyboard.type(PASSWORD)
    keyboard.press("Enter")
    modal = page.locator("#reauth-modal")
    expect(modal).to_be_visible()
    expect(page.locator("#reauth-form [name=password]")).to_be_focused()
    keyboard.press("Escape")
    expect(modal).to_be_hidden()
    expect(field).to_be_focused()
    expect(page.locator("#email-form [role=alert]")).to_have_text(
        messages.REAUTHENTICATION_REQUIRED
    )

    # Again, with the keyboard alone through the prompt: Enter sends it, the change goes.
    keyboard.press("Enter")
    expect(modal).to_be_visible()
    expect(page.locator("#reauth-form [name=password]")).to_be_focused()
    keyboard.type(PASSWORD)
    keyboard.press("Enter")
    expect(modal).to_be_hidden()
    expect(page.locator("#email-form [role=status]")).to_have_text(messages.EMAIL_CHANGE_REQUESTED)


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (SAFARI_ON_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "curl"),
        ("python-requests/2.32.3", "Python requests"),
        ("", "Unknown device"),
        (None, "Unknown device"),
        ("SomethingElse/1.0", "Unknown device"),
    ],
)
def test_device_labels_from_the_user_agent(page, problems, user_agent, label):
    open_logged_out(page, problems)
    assert page.evaluate("ua => window.AuthDevices.label(ua)", user_agent) == label
