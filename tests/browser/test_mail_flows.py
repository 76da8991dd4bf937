"""Mailed links in Chromium: the page asks for them, the live server's sender delivers them to
a real SMTP server, and the page opens the links from the messages.

The SMTP server is the run's, as the live servers are: each test reads the messages to its
person's domain (``Mail``), every address it makes being at that domain.
"""

import secrets
import time

import pytest
from playwright.sync_api import expect

from app.common import messages
from app.mail.compose import SUBJECTS
from tests.browser.pages import (
    PASSWORD,
    expect_logged_in,
    expect_logged_out,
    fill_form,
    log_in,
    mail_domain,
    new_person,
    open_logged_out,
    other_case,
    sign_up,
)
from tests.plugins.mail import LINK_TOKEN, SmtpServer, text_of

NEW_PASSWORD = "Quartz-Meadow-Lantern-48"
# What the page says on a token page opened without its token (after a reload, say).
NO_TOKEN = "This page needs the link from the message we sent you: open the link again from there."


@pytest.fixture(scope="session")
def mail_server():
    """The SMTP server of the live servers of this module's configurations, for the run."""
    server = SmtpServer().start()
    yield server
    server.stop()


class Mail:
    """The messages ``server`` received for one test: those to an address at ``domain``."""

    def __init__(self, server, domain):
        self.server, self.domain = server, domain

    def _mine(self):
        inbox = self.server.inbox
        return [
            message
            for message, (_, recipients) in zip(inbox.messages, inbox.envelopes, strict=True)
            if any(address.lower().endswith("@" + self.domain) for address in recipients)
        ]

    @property
    def messages(self):
        with self.server.inbox.arrived:
            return self._mine()

    def wait_for(self, count, timeout=15):
        """This test's messages, once at least ``count`` have arrived; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.server.inbox.arrived:
            while len(mine := self._mine()) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(mine)} of {count} messages arrived"
                self.server.inbox.arrived.wait(left)
            return mine


@pytest.fixture
def mail(mail_server, person):
    """The messages of this test: to its person's domain."""
    return Mail(mail_server, mail_domain(person))


@pytest.fixture
def server_env(request, mail_server):
    """The live server's own sender delivers to ``mail_server``, looks often, and runs reset
    jobs as soon as it looks; a test may add settings (``indirect`` parametrization)."""
    extra = getattr(request, "param", {})
    return {
        "MAIL_URL": mail_server.url,
        "FLASK_MAIL_POLL_INTERVAL": "0.5",
        "FLASK_RESET_JOB_DELAY": "0",
        **extra,
    }


def mailed_link(mail, live_server, count, path):
    """``(url, token)`` of the newest of the test's first ``count`` messages whose link opens
    ``path``; the link in the message is exactly that URL, on the live server."""
    for message in reversed(mail.wait_for(count)):
        found = [token for link, token in LINK_TOKEN.findall(text_of(message)) if link == path]
        if found:
            url = f"{live_server.url}{path}#token={found[0]}"
            assert url in text_of(message)
            return url, found[0]
    raise AssertionError(f"no message links to {path}")


class Requests:
    """Every request the pages of a context make, from now on."""

    def __init__(self, context):
        self.seen = []
        context.on("request", lambda request: self.seen.append(request))

    def to(self, path):
        return [request for request in self.seen if request.url.endswith(path)]

    def assert_none_carries(self, token):
        """Not in a URL, not in any header (a Referer, say): only in a POST body."""
        for request in self.seen:
            assert token not in request.url, request.url
            for name, value in request.all_headers().items():
                assert token not in value, (request.url, name)


class Held:
    """The requests to ``pattern`` that the page makes, held until the test lets each go."""

    def __init__(self, page, pattern):
        self.page, self.routes = page, []
        page.route(pattern, lambda route: self.routes.append(route))

    def next(self, timeout_ms=10000):
        """The first held request's route, once the router has handed it over."""
        waited = 0
        while not self.routes:
            assert waited < timeout_ms, "no request was held"
            self.page.wait_for_timeout(50)
            waited += 50
        return self.routes[0]


def expect_banner(page, shown):
    banner = page.locator("#confirm-banner")
    if shown:
        expect(banner).to_be_visible()
    else:
        expect(banner).to_be_hidden()


def signed_up(page, problems, person):
    open_logged_out(page, problems)
    sign_up(page, person)
    expect_logged_in(page, "Alice")


def test_the_confirmation_link_confirms_the_address(page, problems, person, mail, live_server):
    signed_up(page, problems, person)
    expect_banner(page, True)
    expect(page.locator("#confirm-banner")).to_contain_text(person["email"])
    expect(page.locator("#confirm-banner")).to_contain_text("not confirmed")
    url, token = mailed_link(mail, live_server, 1, "/confirm")
    assert mail.messages[0]["To"] == person["email"]

    # Opening the page confirms nothing: only its POST does, and shows busy meanwhile.
    held = Held(page, "**/api/auth/confirm_email")
    page.goto(url)
    expect(page.locator("#link-busy")).to_be_visible()
    expect(page.locator("#link-busy")).to_have_text("Confirming your email address…")
    expect(page.locator("#link-view")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#link-continue")).to_be_hidden()
    assert page.request.get("/api/auth/verify_auth").json()["data"]["email_confirmed"] is False
    route = held.next()
    assert route.request.post_data_json == {"token": token}
    assert len(held.routes) == 1
    route.continue_()

    outcome = page.locator("#link-outcome")
    expect(outcome).to_have_text(messages.EMAIL_CONFIRMED)
    expect(outcome.locator(".alert-success")).to_be_visible()
    expect(outcome).to_have_attribute("aria-live", "polite")
    expect(page.locator("#link-busy")).to_be_hidden()
    expect(page.locator("#link-view")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#logged-in-view")).to_be_hidden()

    # Back on the home view the page asks again: the address is confirmed, the banner gone.
    page.evaluate("window.sameDocument = true")
    page.get_by_role("link", name="Continue").click()
    expect_logged_in(page, "Alice")
    expect_banner(page, False)
    assert page.url == live_server.url + "/"
    assert page.evaluate("window.sameDocument") is True
    page.reload()
    expect_logged_in(page, "Alice")
    expect_banner(page, False)


def test_a_used_confirmation_link_says_the_address_is_confirmed(
    page, problems, person, mail, live_server
):
    signed_up(page, problems, person)
    url, _ = mailed_link(mail, live_server, 1, "/confirm")
    page.goto(url)
    expect(page.locator("#link-outcome")).to_have_text(messages.EMAIL_CONFIRMED)
    page.goto(url)
    outcome = page.locator("#link-outcome")
    expect(outcome).to_have_text(messages.EMAIL_ALREADY_CONFIRMED)
    expect(outcome.locator(".alert-success")).to_be_visible()
    expect(page.get_by_role("link", name="Continue")).to_be_visible()


@pytest.mark.parametrize(
    "server_env", [{"FLASK_REQUIRE_CONFIRMED_EMAIL": "true"}], ids=["confirm-first"], indirect=True
)
def test_where_addresses_must_be_confirmed_signup_says_check_your_mail_for_any_address(
    page, problems, person, mail, live_server
):
    open_logged_out(page, problems)
    sign_up(page, person)
    status = page.locator("#signup-form [role=status]")
    expect(status).to_have_text(messages.SIGNUP_CHECK_MAIL)
    expect(status).to_have_attribute("aria-live", "polite")
    expect_logged_out(page)
    expect(page.locator("#signup-form [name=user_name]")).to_have_value("")
    url, _ = mailed_link(mail, live_server, 1, "/confirm")
    page.goto(url)
    expect(page.locator("#link-outcome")).to_have_text(messages.EMAIL_CONFIRMED)

    # The same address again, under another name: the same words, and a notice to its owner.
    open_logged_out(page, problems)
    sign_up(page, person, user_name=new_person()["user_name"])
    expect(status).to_have_text(messages.SIGNUP_CHECK_MAIL)
    expect_logged_out(page)
    notice = mail.wait_for(2)[1]
    assert (notice["To"], notice["Subject"]) == (person["email"], SUBJECTS["signup_attempt"])
    log_in(page, person["user_name"])
    expect_logged_in(page, "Alice")


@pytest.mark.parametrize(
    ("path", "endpoint", "title"),
    [
        ("/confirm", "/api/auth/confirm_email", "Confirm your email address"),
        ("/change-email", "/api/auth/change_email/confirm", "Change your email address"),
    ],
)
def test_a_bogus_link_shows_the_error(page, problems, live_server, path, endpoint, title):
    problems.expect_failed_load(endpoint, 400)
    page.goto(f"{path}#token={secrets.token_urlsafe(32)}")
    expect(page.locator("#link-title")).to_have_text(title)
    outcome = page.locator("#link-outcome")
    expect(outcome).to_have_text(messages.INVALID_TOKEN)
    expect(outcome.locator(".alert-danger")).to_be_visible()
    assert page.url == live_server.url + path
    # Continue goes home, where verify_auth says who is logged in: nobody.
    problems.expect_failed_load("/api/auth/verify_auth", 401)
    page.get_by_role("link", name="Continue").click()
    expect_logged_out(page)
    expect(page.locator("#link-view")).to_be_hidden()


def test_forgot_password_sets_a_new_one_and_ends_every_session(
    new_context, problems, alice, mail, live_server
):
    # A session from before the reset, in another browser.
    elsewhere = new_context().new_page()
    open_logged_out(elsewhere, problems)
    log_in(elsewhere, alice["user_name"])
    expect_logged_in(elsewhere, "Alice")

    page = new_context().new_page()
    open_logged_out(page, problems)
    page.evaluate("window.sameDocument = true")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.locator("#forgot-view")).to_be_visible()
    expect(page.locator("#logged-out-view")).to_be_hidden()
    expect(page.locator("#signup-view")).to_be_hidden()
    expect(page.locator("#forgot-title")).to_be_focused()
    assert page.url == live_server.url + "/forgot"
    fill_form(page, "#forgot-form", {"email": other_case(alice["email"])})
    page.locator("#forgot-form [type=submit]").click()
    status = page.locator("#forgot-form [role=status]")
    expect(status).to_have_text(messages.RESET_REQUESTED)
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_be_visible()
    assert page.evaluate("window.sameDocument") is True

    # Alice's account was made in the database, with no mail: the reset link is her first.
    url, token = mailed_link(mail, live_server, 1, "/reset")
    requests = Requests(page.context)
    page.goto(url)
    expect(page.locator("#reset-form")).to_be_visible()
    assert page.url == live_server.url + "/reset"
    fill_form(page, "#reset-form", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    page.locator("#reset-form [type=submit]").click()
    expect_logged_out(page)
    expect(page.locator("#page-notice")).to_have_text(messages.PASSWORD_RESET)
    expect(page.locator("#login-title")).to_be_focused()
    assert page.url == live_server.url + "/"
    [reset] = requests.to("/api/auth/reset_password")
    assert reset.post_data_json == {
        "token": token,
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    requests.assert_none_carries(token)

    problems.expect_failed_load("/api/auth/login", 401)
    log_in(page, alice["user_name"], password=PASSWORD)
    expect(page.locator("#login-form [role=alert]")).to_have_text(messages.INVALID_CREDENTIALS)
    log_in(page, alice["user_name"], password=NEW_PASSWORD)
    expect_logged_in(page, "Alice")
    # The link reached the address and was used: the address counts as confirmed.
    expect_banner(page, False)

    assert elsewhere.request.get("/api/auth/verify_auth").status == 401
    elsewhere.reload()
    expect_logged_out(elsewhere)


def test_a_weak_new_password_shows_under_its_field(page, problems, alice, mail, live_server):
    open_logged_out(page, problems)
    page.get_by_role("link", name="Forgot your password?").click()
    fill_form(page, "#forgot-form", {"email": alice["email"]})
    page.locator("#forgot-form [type=submit]").click()
    expect(page.locator("#forgot-form [role=status]")).to_have_text(messages.RESET_REQUESTED)
    url, _ = mailed_link(mail, live_server, 1, "/reset")
    page.goto(url)
    problems.expect_failed_load("/api/auth/reset_password", 422)
    fill_form(page, "#reset-form", {"password": "Password1234567", "confirm": "Password1234567"})
    page.locator("#reset-form [type=submit]").click()
    password = page.locator("#reset-form [name=password]")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    expect(page.locator("#reset-password-error")).not_to_have_text("")
    expect(page.locator("#reset-ask-again")).to_be_hidden()
    # The link still works: the token was not used up by the refused password.
    fill_form(page, "#reset-form", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    page.locator("#reset-form [type=submit]").click()
    expect_logged_out(page)
    expect(page.locator("#page-notice")).to_have_text(messages.PASSWORD_RESET)


def test_a_bogus_reset_link_offers_a_new_one(page, problems, live_server):
    page.goto(f"/reset#token={secrets.token_urlsafe(32)}")
    expect(page.locator("#reset-form")).to_be_visible()
    expect(page.locator("#reset-ask-again")).to_be_hidden()
    problems.expect_failed_load("/api/auth/reset_password", 400)
    fill_form(page, "#reset-form", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    page.locator("#reset-form [type=submit]").click()
    alert = page.locator("#reset-form [role=alert]")
    expect(alert).to_have_text(messages.INVALID_TOKEN)
    expect(alert).to_have_attribute("aria-live", "assertive")
    page.evaluate("window.sameDocument = true")
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page.locator("#forgot-view")).to_be_visible()
    assert page.url == live_server.url + "/forgot"
    assert page.evaluate("window.sameDocument") is True


def test_the_reset_page_without_its_token_offers_a_new_link(page, problems):
    page.goto("/reset")
    expect(page.locator("#reset-no-link")).to_have_text(NO_TOKEN)
    expect(page.locator("#reset-form")).to_be_hidden()
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()


def test_send_again_mails_a_new_confirmation_link(page, problems, person, mail, live_server):
    signed_up(page, problems, person)
    first, _ = mailed_link(mail, live_server, 1, "/confirm")
    held = Held(page, "**/api/auth/confirm_email/resend")
    button = page.locator("#confirm-banner button")
    expect(button).to_have_text("Send again")
    button.click()
    expect(button).to_be_disabled()
    expect(button).to_have_text("Sending…")
    expect(page.locator("#resend-form")).to_have_attribute("aria-busy", "true")
    held.next().continue_()
    status = page.locator("#resend-form [role=status]")
    expect(status).to_have_text(messages.CONFIRMATION_SENT)
    expect(status).to_have_attribute("aria-live", "polite")
    expect(button).to_be_enabled()

    second, _ = mailed_link(mail, live_server, 2, "/confirm")
    assert second != first
    assert [message["To"] for message in mail.messages] == [person["email"]] * 2
    # The new link replaced the old one.
    problems.expect_failed_load("/api/auth/confirm_email", 400)
    page.goto(first)
    expect(page.locator("#link-outcome")).to_have_text(messages.INVALID_TOKEN)
    page.goto(second)
    expect(page.locator("#link-outcome")).to_have_text(messages.EMAIL_CONFIRMED)


def test_the_token_leaves_the_address_bar_and_every_url(page, problems, person, mail, live_server):
    signed_up(page, problems, person)
    url, token = mailed_link(mail, live_server, 1, "/confirm")
    requests = Requests(page.context)
    response = page.goto(url)
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.locator("#link-outcome")).to_have_text(messages.EMAIL_CONFIRMED)
    assert page.url == live_server.url + "/confirm"
    assert page.evaluate("location.hash") == ""
    [confirm] = requests.to("/api/auth/confirm_email")
    assert confirm.post_data_json == {"token": token}
    # The page's scripts and its POST went out without a Referer.
    assert requests.to("/static/js/links.js")
    for request in requests.seen:
        assert "referer" not in request.all_headers(), request.url
    requests.assert_none_carries(token)

    # A reload has no token left to send: the page says where to get one, and posts nothing.
    page.reload()
    expect(page.locator("#link-no-link")).to_have_text(NO_TOKEN)
    expect(page.locator("#link-no-link")).to_be_visible()
    expect(page.locator("#link-outcome")).to_have_text("")
    expect(page.get_by_role("link", name="Continue")).to_be_visible()
    assert len(requests.to("/api/auth/confirm_email")) == 1
    requests.assert_none_carries(token)
