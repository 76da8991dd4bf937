"""The page in Chromium against the app under gunicorn: what a person sees and does."""

import json
import re
import time

import pytest
from playwright.sync_api import expect

from app.admin import actions
from app.common import messages
from app.users.models import User
from tests.browser.chromium import CONTENT_SECURITY_POLICY
from tests.browser.pages import (
    PASSWORD,
    expect_account_read,
    expect_logged_in,
    expect_logged_out,
    log_in,
    log_out,
    mail_domain,
    new_person,
    open_logged_out,
    other_case,
    sign_up,
)

MARKUP = "<img src=x onerror=alert(1)>"
NETWORK_DOWN = "Cannot reach the server. Check your connection and try again."
SERVER_ERROR = "Something went wrong on our side. Please try again."
THIRTY_DAYS = 30 * 24 * 3600


def csrf_meta(page):
    return page.locator('meta[name="csrf-token"]').get_attribute("content")


def test_sign_up_shows_welcome_without_reload(page, problems, person):
    open_logged_out(page, problems)
    page.evaluate("window.sameDocument = true")
    sign_up(page, person)
    expect_logged_in(page, "Alice")
    expect(page.locator("#logged-in-view")).to_contain_text(person["email"])
    assert page.evaluate("window.sameDocument") is True
    # The form is emptied, so the password does not linger in the page.
    assert page.locator("#signup-form [name=password]").input_value() == ""


@pytest.mark.parametrize(
    "login",
    [
        pytest.param(lambda fields: fields["user_name"], id="alice"),
        pytest.param(lambda fields: other_case(fields["email"]), id="ALICE@Example.com"),
    ],
)
def test_log_in_shows_welcome_without_reload(page, problems, alice, login):
    open_logged_out(page, problems)
    page.evaluate("window.sameDocument = true")
    log_in(page, login(alice))
    expect_logged_in(page, "Alice")
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator("#welcome")).to_be_focused()


def test_reload_keeps_the_login(page, problems, person):
    open_logged_out(page, problems)
    sign_up(page, person)
    expect_logged_in(page, "Alice")
    page.reload()
    expect_logged_in(page, "Alice")
    page.goto("/some/other/page")
    expect_logged_in(page, "Alice")


def test_log_out_shows_the_login_form(page, problems, alice):
    open_logged_out(page, problems)
    log_in(page, alice["user_name"])
    expect_logged_in(page, "Alice")
    page.evaluate("window.sameDocument = true")
    log_out(page)
    expect_logged_out(page)
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator("#logged-in-view [data-user=first_name]")).to_have_text("")
    page.reload()
    expect_logged_out(page)


def test_repeated_log_in_and_out_without_reload(page, problems, alice):
    """Each success hands back a new CSRF token; an old one would give a 403, and fail here."""
    open_logged_out(page, problems)
    for _ in range(3):
        log_in(page, alice["user_name"])
        expect_logged_in(page, "Alice")
        log_out(page)
        expect_logged_out(page)


def test_csrf_token_is_sent_and_replaced(page, problems, alice):
    open_logged_out(page, problems)
    first = csrf_meta(page)
    with page.expect_response("**/api/auth/login") as login_response:
        log_in(page, alice["user_name"])
    assert login_response.value.request.headers["x-csrftoken"] == first
    after_login = login_response.value.json()["csrf_token"]
    assert after_login != first
    expect(page.locator('meta[name="csrf-token"]')).to_have_attribute("content", after_login)

    with page.expect_response("**/api/auth/logout") as logout_response:
        log_out(page)
    assert logout_response.value.request.headers["x-csrftoken"] == after_login
    after_logout = logout_response.value.json()["csrf_token"]
    assert after_logout not in (first, after_login)
    expect(page.locator('meta[name="csrf-token"]')).to_have_attribute("content", after_logout)

    with page.expect_request("**/api/auth/verify_auth") as verify_request:
        page.reload()
    assert "x-csrftoken" not in verify_request.value.headers


def test_a_disabled_account_is_told_so_in_the_form(page, problems, alice, server_app):
    with server_app.app_context():
        actions.disable(User.find_by_login(alice["user_name"]))
    open_logged_out(page, problems)
    problems.expect_failed_load("/api/auth/login", 403)
    log_in(page, alice["user_name"])
    expect(page.locator("#login-form [role=alert]")).to_have_text(messages.ACCOUNT_DISABLED)
    expect_logged_out(page)


def test_wrong_password_shows_the_error_in_the_form(page, problems, alice):
    open_logged_out(page, problems)
    problems.expect_failed_load("/api/auth/login", 401)
    log_in(page, alice["user_name"], password="not the password")
    alert = page.locator("#login-form [role=alert]")
    expect(alert).to_have_text(messages.INVALID_CREDENTIALS)
    expect(alert).to_have_attribute("aria-live", "assertive")
    expect(alert).to_be_visible()
    expect(page.locator("#login-form [type=submit]")).to_be_enabled()
    expect_logged_out(page)
    # The next attempt starts clean, and works.
    log_in(page, alice["user_name"])
    expect_logged_in(page, "Alice")
    page.reload()
    expect(page.locator("#login-form [role=alert]")).to_have_text("")


def test_mismatched_confirm_shows_the_error_under_confirm(page, problems, person):
    open_logged_out(page, problems)
    problems.expect_failed_load("/api/auth/signup", 422)
    sign_up(page, person, confirm=PASSWORD + "!")
    confirm = page.locator("#signup-form [name=confirm]")
    expect(confirm).to_have_class(re_class("is-invalid"))
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(confirm).to_be_focused()
    feedback = page.locator("#signup-form [name=confirm] ~ .invalid-feedback")
    expect(feedback).to_have_text(messages.PASSWORDS_MUST_MATCH)
    expect(feedback).to_be_visible()
    expect(page.locator("#signup-form [name=password]")).not_to_have_class(re_class("is-invalid"))
    expect(page.locator("#signup-form [role=alert]")).to_have_text("")
    expect_logged_out(page)
    # Fixing the field clears its error; the corrected form goes through.
    confirm.fill(PASSWORD)
    expect(confirm).not_to_have_class(re_class("is-invalid"))
    expect(feedback).to_have_text("")
    page.locator("#signup-form [type=submit]").click()
    expect_logged_in(page, "Alice")


def test_taken_user_name_and_email_show_under_their_fields(page, problems, alice):
    open_logged_out(page, problems)
    problems.expect_failed_load("/api/auth/signup", 409)
    sign_up(page, alice, user_name=alice["user_name"].upper(), email=other_case(alice["email"]))
    for name, message in (
        ("user_name", messages.USER_NAME_TAKEN),
        ("email", messages.EMAIL_TAKEN),
    ):
        field = page.locator(f"#signup-form [name={name}]")
        expect(field).to_have_class(re_class("is-invalid"))
        expect(page.locator(f"#signup-form [name={name}] ~ .invalid-feedback")).to_have_text(
            message
        )
    expect(page.locator("#signup-form [name=user_name]")).to_be_focused()
    expect_logged_out(page)


def test_markup_in_a_name_is_shown_as_text(page, problems, person):
    open_logged_out(page, problems)
    sign_up(page, person, first_name=MARKUP, last_name=MARKUP)
    expect_logged_in(page, MARKUP)
    expect(page.locator("img")).to_have_count(0)
    page.reload()
    expect_logged_in(page, MARKUP)
    expect(page.locator("img")).to_have_count(0)
    assert not [event for event in problems.events if event[0] == "dialog"]


@pytest.mark.parametrize(("remember", "survives"), [(True, True), (False, False)])
def test_remember_me_decides_whether_a_browser_restart_keeps_the_login(
    new_context, problems, alice, remember, survives
):
    before = new_context()
    page = before.new_page()
    open_logged_out(page, problems)
    log_in(page, alice["user_name"], remember_me=remember)
    expect_logged_in(page, "Alice")
    cookies = before.cookies()
    session = next(cookie for cookie in cookies if cookie["name"] == "session")
    if remember:
        assert session["expires"] > time.time() + THIRTY_DAYS - 3600
    else:
        assert session["expires"] == -1
    before.close()

    # A browser restart keeps only the cookies that have an expiry date.
    after = new_context()
    after.add_cookies([cookie for cookie in cookies if cookie["expires"] > 0])
    page = after.new_page()
    page.goto("/")
    if survives:
        expect_logged_in(page, "Alice")
    else:
        expect_logged_out(page)


def test_keyboard_alone_logs_in_and_out(page, problems, alice):
    open_logged_out(page, problems)
    keyboard = page.keyboard

    def focused_name():
        return page.evaluate("document.activeElement.name || document.activeElement.id")

    keyboard.press("Tab")
    assert focused_name() == "login"
    keyboard.type(alice["user_name"])
    keyboard.press("Tab")
    assert focused_name() == "password"
    # A wrong password, sent with Enter from the field: the error shows, focus stays.
    problems.expect_failed_load("/api/auth/login", 401)
    keyboard.type("wrong password")
    keyboard.press("Enter")
    expect(page.locator("#login-form [role=alert]")).to_have_text(messages.INVALID_CREDENTIALS)
    expect(page.locator("#login-form [name=password]")).to_be_focused()
    keyboard.press("ControlOrMeta+A")
    keyboard.type(PASSWORD)
    keyboard.press("Tab")
    assert focused_name() == "remember_me"
    keyboard.press("Space")
    expect(page.locator("#login-form [name=remember_me]")).to_be_checked()
    keyboard.press("Tab")
    expect(page.locator("#login-form [type=submit]")).to_be_focused()
    keyboard.press("Enter")
    expect_logged_in(page, "Alice")
    expect(page.locator("#welcome")).to_be_focused()
    keyboard.press("Tab")
    expect(page.locator("#logged-in-view button")).to_be_focused()
    expect_account_read(page)
    keyboard.press("Enter")
    expect_logged_out(page)
    keyboard.press("Tab")
    assert focused_name() == "login"


def assert_fits(page, width):
    overflow = page.evaluate(
        """() => ({
            scroll: document.documentElement.scrollWidth,
            client: document.documentElement.clientWidth,
            outside: Array.from(document.querySelectorAll('input, button, label, h2, p'))
                .filter(element => element.offsetParent !== null)
                .map(element => element.getBoundingClientRect())
                .filter(box => box.left < 0 || box.right > document.documentElement.clientWidth)
                .length,
        })"""
    )
    assert overflow["client"] == width
    assert overflow["scroll"] <= overflow["client"], overflow
    assert overflow["outside"] == 0, overflow


def test_narrow_screen_needs_no_sideways_scrolling(new_context, problems, person):
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    open_logged_out(page, problems)
    assert_fits(page, 360)
    long_name = "W" * 64
    sign_up(page, person, first_name=long_name, email="w" * 40 + "@" + mail_domain(person))
    expect_logged_in(page, long_name)
    assert_fits(page, 360)


def test_wide_screen_puts_the_forms_side_by_side(new_context, problems):
    page = new_context(viewport={"width": 1280, "height": 800}).new_page()
    open_logged_out(page, problems)
    assert_fits(page, 1280)
    login_box = page.locator("#logged-out-view").bounding_box()
    signup_box = page.locator("#signup-view").bounding_box()
    assert login_box["y"] == signup_box["y"]
    assert login_box["x"] + login_box["width"] <= signup_box["x"]


def test_button_is_busy_while_its_request_runs(page, problems, alice):
    open_logged_out(page, problems)
    held = []
    page.route("**/api/auth/login", lambda route: held.append(route))
    log_in(page, alice["user_name"])
    button = page.locator("#login-form [type=submit]")
    expect(button).to_be_disabled()
    expect(button.locator(".spinner-border")).to_be_visible()
    expect(button).to_have_text("Logging in…")
    expect(page.locator("#login-form")).to_have_attribute("aria-busy", "true")
    # Enter in a field while busy sends nothing more.
    page.locator("#login-form [name=password]").press("Enter")
    page.wait_for_timeout(300)
    assert len(held) == 1
    held[0].continue_()
    expect_logged_in(page, "Alice")
    expect(button).to_be_enabled()
    expect(button).to_have_text("Log in")
    expect(button.locator(".spinner-border")).to_be_hidden()


@pytest.mark.own_server
def test_server_down_shows_in_the_form(page, problems, alice, live_server):
    open_logged_out(page, problems)
    live_server.process.terminate()
    live_server.process.wait(timeout=15)
    problems.expect_failed_load("/api/auth/login", "net::ERR_CONNECTION_REFUSED")
    log_in(page, alice["user_name"])
    expect(page.locator("#login-form [role=alert]")).to_have_text(NETWORK_DOWN)
    expect(page.locator("#login-form [type=submit]")).to_be_enabled()
    expect_logged_out(page)


# The running app does not fail on purpose: these answers are made up by the browser's
# router, to show what a person sees when the server or a proxy in front of it fails.
@pytest.mark.parametrize(
    ("status", "content_type", "body", "shown"),
    [
        (
            500,
            "application/json",
            json.dumps(
                {"success": False, "errors": {"type": "Server error", "message": SERVER_ERROR}}
            ),
            SERVER_ERROR,
        ),
        (502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>", SERVER_ERROR),
    ],
)
def test_server_failure_shows_in_the_form(page, problems, alice, status, content_type, body, shown):
    open_logged_out(page, problems)
    problems.expect_failed_load("/api/auth/signup", status)
    page.route(
        "**/api/auth/signup",
        lambda route: route.fulfill(status=status, content_type=content_type, body=body),
    )
    sign_up(page, new_person("bob"))
    expect(page.locator("#signup-form [role=alert]")).to_have_text(shown)
    expect(page.locator("h1")).to_have_count(1)  # the brand only: nothing from the body
    expect_logged_out(page)


def test_throttling_shows_when_to_try_again(page, problems, alice):
    open_logged_out(page, problems)
    problems.expect_failed_load("/api/auth/login", 429)
    body = {"success": False, "errors": {"type": "Too many requests", "message": "5 per 5 minute"}}
    page.route(
        "**/api/auth/login",
        lambda route: route.fulfill(
            status=429,
            content_type="application/json",
            headers={"Retry-After": "42"},
            body=json.dumps(body),
        ),
    )
    log_in(page, alice["user_name"])
    expect(page.locator("#login-form [role=alert]")).to_have_text(
        "Too many attempts. Please wait 42 seconds and try again."
    )


def test_a_second_tab_logs_in_after_the_first_changed_the_session(context, problems, alice):
    first, second = context.new_page(), context.new_page()
    open_logged_out(first, problems)
    open_logged_out(second, problems)
    log_in(first, alice["user_name"])
    expect_logged_in(first, "Alice")
    # The second tab still holds the old session's token: the server refuses it once,
    # and the page takes the current token and tries again.
    problems.expect_failed_load("/api/auth/login", 403)
    log_in(second, alice["user_name"])
    expect_logged_in(second, "Alice")


def test_log_out_in_a_tab_already_logged_out_elsewhere(context, problems, alice):
    first = context.new_page()
    open_logged_out(first, problems)
    log_in(first, alice["user_name"])
    expect_logged_in(first, "Alice")
    second = context.new_page()
    second.goto("/")
    expect_logged_in(second, "Alice")
    log_out(first)
    expect_logged_out(first)
    problems.expect_failed_load("/api/auth/logout", 403)
    problems.expect_failed_load("/api/auth/logout", 401)
    log_out(second)
    expect_logged_out(second)
    expect(second.locator("#logout-form [role=alert]")).to_have_text("")


def directives(policy):
    """``{name: sources}`` of a Content-Security-Policy header."""
    parsed = {}
    for part in policy.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            parsed[name] = sources.strip()
    return parsed


def test_page_runs_under_a_policy_that_forbids_inline_script(page, problems):
    problems.expect_failed_load("/api/auth/verify_auth", 401)
    response = page.goto("/")
    served = directives(response.headers["content-security-policy"])
    wanted = directives(CONTENT_SECURITY_POLICY)
    assert served.get("script-src", served.get("default-src")) == "'self'"
    for name in ("default-src", "img-src", "object-src", "base-uri", "frame-ancestors"):
        assert served[name] == wanted[name]
    expect_logged_out(page)


def re_class(name):
    """A pattern for ``to_have_class`` that matches one class among several."""
    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")
