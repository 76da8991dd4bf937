"""What a person does on the page, in the page's public selectors."""

import itertools

from playwright.sync_api import expect

from app.common import messages
from tests.helpers import SIGNUP_FIELDS

PASSWORD = "Tulip-Orbit-Canyon-71"
ALICE = {**SIGNUP_FIELDS, "password": PASSWORD, "confirm": PASSWORD}

# Numbers no other person of this process's run has had (a pytest-xdist worker has its own
# live servers and databases, and its own count).
_people = itertools.count(1)


def new_person(name="alice"):
    """``ALICE``'s sign-up fields, under a user name (``alice<n>``) and an address of a domain
    of its own (``alice@p<n>.example.com``) that no other person of the run has: the tests that
    share a live server never meet in its database, its limiter's counts or its mail."""
    number = next(_people)
    return {**ALICE, "user_name": f"{name}{number}", "email": f"{name}@p{number}.example.com"}


def other_case(email):
    """``alice@p1.example.com`` as ``ALICE@P1.Example.Com``: to the app, the same address."""
    local, _, domain = email.partition("@")
    return f"{local.upper()}@{domain.title()}"


def mail_domain(fields):
    """The domain of the address of ``fields``: every address a test makes is at it."""
    return fields["email"].rpartition("@")[2].lower()


def open_logged_out(page, problems, path="/"):
    """Open the page with no session: verify_auth answers 401 and the forms show."""
    problems.expect_failed_load("/api/auth/verify_auth", 401)
    page.goto(path)
    expect_logged_out(page)


def expect_logged_out(page):
    expect(page.locator("#logged-out-view")).to_be_visible()
    expect(page.locator("#signup-view")).to_be_visible()
    expect(page.locator("#logged-in-view")).to_be_hidden()
    expect(page.locator("#loading-view")).to_be_hidden()


def expect_logged_in(page, first_name):
    expect(page.locator("#logged-in-view")).to_be_visible()
    expect(page.locator("#welcome")).to_have_text(f"Welcome, {first_name}")
    expect(page.locator("#logged-out-view")).to_be_hidden()
    expect(page.locator("#signup-view")).to_be_hidden()
    expect(page.locator("#loading-view")).to_be_hidden()


def fill_form(page, form, fields):
    for name, value in fields.items():
        page.locator(f"{form} [name={name}]").fill(value)


def sign_up(page, fields, **changes):
    """Sign up with ``fields`` (a test's ``person``), changed by ``changes``."""
    fill_form(page, "#signup-form", {**fields, **changes})
    page.locator("#signup-form [type=submit]").click()


def log_in(page, login, password=PASSWORD, remember_me=False):
    fill_form(page, "#login-form", {"login": login, "password": password})
    page.locator("#login-form [name=remember_me]").set_checked(remember_me)
    page.locator("#login-form [type=submit]").click()


def expect_account_read(page):
    """The account view has read what it shows (its sessions, second factor, passkeys and
    tokens), so that none of its requests is still running to answer 401 after a logout."""
    expect(page.locator("#sessions-list li[data-current]")).to_have_count(1)
    expect(page.locator("#mfa-state")).not_to_have_text("")
    expect(page.locator("#mfa-state")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#passkeys-list")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#tokens-list")).not_to_have_attribute("aria-busy", "true")


def log_out(page):
    """Log out with the view's one button, once the account view has read what it shows."""
    expect_account_read(page)
    page.locator("#logged-in-view button").click()


# A platform authenticator that holds discoverable credentials and verifies its user, and
# says yes at once: Chromium's virtual one, through the DevTools protocol.
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


class Authenticator:
    """A virtual authenticator attached to ``page`` (its tab only)."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        added = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR}
        )
        self.id = added["authenticatorId"]

    def credentials(self):
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]


def add_passkey(page, name=""):
    """Add a passkey from the account view's form, and wait for the list to show it."""
    entries = page.locator("#passkeys-list li")
    before = entries.count()
    page.locator("#passkey-add-form [name=name]").fill(name)
    page.locator("#passkey-add-button").click()
    expect(page.locator("#passkey-add-form [role=status]")).to_have_text(messages.PASSKEY_ADDED)
    expect(entries).to_have_count(before + 1)
