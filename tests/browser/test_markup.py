"""The page's public surface and the rules its markup keeps, read from the live DOM."""

import pytest
from playwright.sync_api import expect

from app.personal_tokens.scopes import SCOPES
from tests.browser.pages import open_logged_out

AUTOCOMPLETE = {
    "#login-form": {"login": "username", "password": "current-password"},
    "#signup-form": {
        "user_name": "username",
        "first_name": "given-name",
        "last_name": "family-name",
        "email": "email",
        "password": "new-password",
        "confirm": "new-password",
    },
    "#forgot-form": {"email": "email"},
    "#reset-form": {"password": "new-password", "confirm": "new-password"},
    "#password-form": {
        "current_password": "current-password",
        "password": "new-password",
        "confirm": "new-password",
    },
    "#email-form": {"email": "email", "password": "current-password"},
    "#reauth-form": {"password": "current-password"},
    "#mfa-form": {"code": "one-time-code", "recovery_code": "off"},
    "#totp-confirm-form": {"code": "one-time-code"},
    "#totp-disable-form": {"code_or_password": "current-password"},
    "#passkey-add-form": {"name": "off"},
    "#token-add-form": {"name": "off", "expires_in_days": "off"},
    "#delete-account-form": {"password": "current-password"},
}
# The token form's inputs: its name, a checkbox for each scope, its days.
TOKEN_FIELDS = ["name", *["scopes"] * len(SCOPES), "expires_in_days"]
# Every form, and whether it says "done" in a status region of its own.
FORMS = {
    "#login-form": False,
    "#signup-form": True,
    "#logout-form": False,
    "#forgot-form": True,
    "#reset-form": False,
    "#resend-form": True,
    "#password-form": True,
    "#sessions-form": True,
    "#email-form": True,
    "#reauth-form": False,
    "#mfa-form": False,
    "#totp-setup-form": False,
    "#totp-confirm-form": False,
    "#totp-disable-form": False,
    "#recovery-codes-form": False,
    "#passkey-login-form": False,
    "#mfa-passkey-form": False,
    "#passkey-add-form": True,
    "#token-add-form": True,
    "#reauth-passkey-form": False,
    "#export-form": True,
    "#delete-account-form": False,
}


@pytest.fixture
def loaded(page, problems):
    open_logged_out(page, problems)
    return page


def test_views_hold_the_tutorial_forms(loaded):
    page = loaded
    expect(page.locator("#logged-out-view #login-form")).to_have_count(1)
    expect(page.locator("#signup-view #signup-form")).to_have_count(1)
    for form, names in {
        "#login-form": ["login", "password", "remember_me"],
        "#signup-form": ["user_name", "first_name", "last_name", "email", "password", "confirm"],
    }.items():
        found = page.locator(f"{form} input").evaluate_all("inputs => inputs.map(i => i.name)")
        assert found == names
        expect(page.locator(f"{form} [type=submit]")).to_have_count(1)
    expect(page.locator("#login-form [name=remember_me]")).to_have_attribute("type", "checkbox")
    expect(page.locator("#logged-in-view button")).to_have_count(1)
    # The views of the mailed links, and the banner, outside the tutorial's views.
    for view, form, names in [
        ("#forgot-view", "#forgot-form", ["email"]),
        ("#reset-view", "#reset-form", ["password", "confirm"]),
        ("#confirm-banner", "#resend-form", []),
        ("#account-view", "#password-form", ["current_password", "password", "confirm"]),
        ("#account-view", "#sessions-form", []),
        ("#account-view", "#email-form", ["email", "password"]),
        ("#reauth-modal", "#reauth-form", ["password"]),
        ("#mfa-view", "#mfa-form", ["code", "recovery_code"]),
        ("#mfa-section", "#totp-setup-form", []),
        ("#mfa-section", "#totp-confirm-form", ["code"]),
        ("#mfa-section", "#totp-disable-form", ["code_or_password"]),
        ("#mfa-section", "#recovery-codes-form", []),
        ("#mfa-view", "#mfa-passkey-form", []),
        ("#passkeys-section", "#passkey-add-form", ["name"]),
        ("#tokens-section", "#token-add-form", TOKEN_FIELDS),
        ("#reauth-modal", "#reauth-passkey-form", []),
        ("#data-section", "#export-form", []),
        ("#delete-account-modal", "#delete-account-form", ["password"]),
    ]:
        expect(page.locator(f"{view} {form}")).to_have_count(1)
        found = page.locator(f"{form} input").evaluate_all("inputs => inputs.map(i => i.name)")
        assert found == names
        expect(page.locator(view)).to_be_hidden()
    # The passkey's way in sits beside the login form, not in it (Chromium supports WebAuthn).
    expect(page.locator("#logged-out-view #passkey-login-form")).to_have_count(1)
    expect(page.locator("#passkey-login-form input")).to_have_count(0)
    expect(page.locator("#passkey-login-button")).to_be_visible()
    expect(page.locator("#logged-in-view #confirm-banner")).to_have_count(0)
    expect(page.locator("#logged-in-view #account-view")).to_have_count(0)
    expect(page.locator("#logged-in-view form")).to_have_count(1)
    # Hidden the Bootstrap 5 way: the attribute, not a .hidden class that no longer exists.
    expect(page.locator("#logged-in-view")).to_have_attribute("hidden", "")
    expect(page.locator("#account-view")).to_have_attribute("hidden", "")
    expect(page.locator(".hidden")).to_have_count(0)


def test_no_inline_script_handler_or_style(loaded):
    page = loaded
    found = page.evaluate(
        """() => ({
            inlineScripts: Array.from(document.scripts).filter(s => !s.src).length,
            foreignScripts: Array.from(document.scripts)
                .filter(s => new URL(s.src).origin !== location.origin).length,
            handlers: Array.from(document.querySelectorAll('*')).flatMap(element =>
                Array.from(element.attributes).map(a => a.name).filter(n => n.startsWith('on'))),
            styled: document.querySelectorAll('[style]').length,
            styleElements: document.querySelectorAll('style').length,
            javascriptUrls: document.querySelectorAll('[href^="javascript:"]').length,
        })"""
    )
    assert found == {
        "inlineScripts": 0,
        "foreignScripts": 0,
        "handlers": [],
        "styled": 0,
        "styleElements": 0,
        "javascriptUrls": 0,
    }


def test_every_input_has_a_label_and_autocomplete(loaded):
    page = loaded
    unlabelled = page.locator("input").evaluate_all(
        "inputs => inputs.filter(i => i.labels.length === 0).map(i => i.id)"
    )
    assert unlabelled == []
    for form, expected in AUTOCOMPLETE.items():
        for name, token in expected.items():
            expect(page.locator(f"{form} [name={name}]")).to_have_attribute("autocomplete", token)
    expect(page.get_by_label("Username or email")).to_have_attribute("name", "login")
    expect(page.get_by_label("Remember me")).to_have_attribute("name", "remember_me")
    expect(page.get_by_label("Confirm password")).to_have_attribute("name", "confirm")


def test_password_rule_is_shown_under_the_signup_password(loaded):
    page = loaded
    password = page.locator("#signup-form [name=password]")
    hint = page.locator("#signup-form [name=password] + .form-text")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("15 to 128 characters")
    expect(hint).to_contain_text("easy to guess")
    hint_id = hint.get_attribute("id")
    assert hint_id in password.get_attribute("aria-describedby").split()
    password_box, hint_box = password.bounding_box(), hint.bounding_box()
    assert hint_box["y"] >= password_box["y"] + password_box["height"]


def test_each_form_has_an_alert_region(loaded):
    page = loaded
    for form, says_done in FORMS.items():
        region = page.locator(f"{form} [role=alert]")
        expect(region).to_have_count(1)
        expect(region).to_have_attribute("aria-live", "assertive")
        expect(region).to_have_text("")
        status = page.locator(f"{form} [role=status]")
        expect(status).to_have_count(1 if says_done else 0)
        if says_done:
            expect(status).to_have_attribute("aria-live", "polite")
            expect(status).to_have_text("")
    expect(page.locator("form")).to_have_count(len(FORMS))


def test_the_forgot_link_sits_under_the_login_form(loaded):
    page = loaded
    link = page.locator("#logged-out-view").get_by_role("link", name="Forgot your password?")
    expect(link).to_have_attribute("href", "/forgot")
    form_box, link_box = page.locator("#login-form").bounding_box(), link.bounding_box()
    assert link_box["y"] >= form_box["y"] + form_box["height"]


def test_each_scope_has_a_checkbox_that_says_what_it_allows(loaded):
    """The token form offers every scope of the API, in its order, each with its words, in a
    fieldset whose legend names them and whose errors it points to."""
    page = loaded
    boxes = page.locator("#token-add-scopes input[type=checkbox][name=scopes]")
    assert boxes.evaluate_all("boxes => boxes.map(b => b.value)") == list(SCOPES)
    for index in range(len(SCOPES)):
        hint = page.locator("#" + boxes.nth(index).get_attribute("aria-describedby"))
        expect(hint).not_to_have_text("")
    expect(page.locator("#token-add-scopes legend")).to_have_text("Scopes: what the token may do")
    expect(page.locator("#token-add-scopes")).to_have_attribute(
        "aria-describedby", "token-add-scopes-error"
    )
