"""Two-factor authentication in Chromium: TOTP set up on the account view, the code step of a
login, recovery codes, and turning it off.

The server takes a code of the previous, this or the next 30-second step, and never a step
it took before: each test's codes go to later steps, ``at(now - 30)``, ``at(now)``, then
``at(now + 30)``.
"""

import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from app.common import messages
from tests.browser.pages import (
    PASSWORD,
    Authenticator,
    expect_account_read,
    expect_logged_in,
    expect_logged_out,
    fill_form,
    log_in,
    log_out,
    open_logged_out,
)
from tests.helpers import age, steady_step

CODE = "#mfa-form [name=code]"
RECOVERY_CODE = "#mfa-form [name=recovery_code]"


def expect_account_read_with(page, state):
    """The account view has read what it shows, its 2FA ``state`` among it."""
    expect(page.locator("#mfa-state")).to_have_text(state)
    expect_account_read(page)


def logged_in(page, problems, account):
    """``page`` logged in as ``account`` (sign-up fields); its 2FA is off."""
    open_logged_out(page, problems)
    log_in(page, account["user_name"])
    expect_logged_in(page, "Alice")
    expect_account_read_with(page, "Off")
    return page


def start_set_up(page):
    """Ask for a new key on the account view: its TOTP, from the key shown (in groups of 4)."""
    page.locator("#totp-setup-button").click()
    secret = page.locator("#totp-secret")
    expect(secret).not_to_have_text("")
    return pyotp.TOTP(secret.inner_text().replace(" ", ""))


def set_up_totp(page):
    """Turn TOTP on from the account view: its TOTP, and the recovery codes shown."""
    totp = start_set_up(page)
    # Last step's code (so that this step's is new for the login after): good only while this
    # step lasts, so not seconds before it ends, under a loaded machine's delays.
    steady_step(margin=5)
    fill_form(page, "#totp-confirm-form", {"code": totp.at(time.time() - 30)})
    page.locator("#totp-confirm-form [type=submit]").click()
    entries = page.locator("#recovery-codes-list li")
    expect(entries).to_have_count(10)
    expect(page.locator("#recovery-codes-message")).to_have_text(messages.TOTP_ENABLED)
    expect(page.locator("#totp-setup")).to_be_hidden()
    expect(page.locator("#totp-secret")).to_have_text("")
    expect_account_read_with(page, "On (authenticator app) · 10 recovery codes left")
    return totp, entries.all_inner_texts()


def log_in_to_the_code_step(page, account):
    """Log out, and in again with the password: the page asks for the second factor."""
    log_out(page)
    expect_logged_out(page)
    log_in(page, account["user_name"])
    expect(page.locator("#mfa-view")).to_be_visible()
    expect(page.locator("#logged-out-view")).to_be_hidden()
    expect(page.locator(CODE)).to_be_focused()


def submit_code(page, code, recovery=False):
    page.locator(RECOVERY_CODE if recovery else CODE).fill(code)
    page.locator("#mfa-form [type=submit]").click()


def use_recovery_code(page, code):
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.locator(RECOVERY_CODE)).to_be_focused()
    submit_code(page, code, recovery=True)


def wrong_code(totp):
    """Six digits that no step the server would take gives."""
    taken = {totp.at(time.time() + 30 * step) for step in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222") if code not in taken)


def test_set_up_log_in_with_a_code_then_a_recovery_code_and_turn_off(
    page, problems, confirmed_alice
):
    logged_in(page, problems, confirmed_alice)
    totp, codes = set_up_totp(page)
    assert len(set(codes)) == 10

    log_in_to_the_code_step(page, confirmed_alice)
    # The password alone logs nobody in.
    assert page.request.get("/api/auth/verify_auth").status == 401
    expect(page.locator("#login-form [name=password]")).to_have_value("")
    submit_code(page, totp.at(time.time()))
    expect_logged_in(page, "Alice")
    expect(page.locator("#welcome")).to_be_focused()
    expect_account_read_with(page, "On (authenticator app) · 10 recovery codes left")

    log_in_to_the_code_step(page, confirmed_alice)
    use_recovery_code(page, codes[0])
    expect_logged_in(page, "Alice")
    expect_account_read_with(page, "On (authenticator app) · 9 recovery codes left")

    fill_form(page, "#totp-disable-form", {"code_or_password": PASSWORD})
    page.locator("#totp-disable-form [type=submit]").click()
    expect(page.locator("#mfa-notice")).to_have_text(messages.TOTP_DISABLED)
    expect(page.locator("#mfa-state")).to_have_text("Off")
    expect(page.locator("#totp-setup-button")).to_be_visible()
    expect(page.locator("#totp-disable-form")).to_be_hidden()

    # The password is enough again.
    log_out(page)
    expect_logged_out(page)
    log_in(page, confirmed_alice["user_name"])
    expect_logged_in(page, "Alice")
    expect_account_read_with(page, "Off")


def test_a_wrong_code_stays_on_the_step_and_a_recovery_code_works_once(
    page, problems, confirmed_alice
):
    logged_in(page, problems, confirmed_alice)
    totp, codes = set_up_totp(page)
    page.locator("#recovery-codes-done").click()
    expect(page.locator("#recovery-codes")).to_be_hidden()
    expect(page.locator("#recovery-codes-list li")).to_have_count(0)

    log_in_to_the_code_step(page, confirmed_alice)
    problems.expect_failed_load("/api/auth/mfa/verify", 401)
    submit_code(page, wrong_code(totp))
    code = page.locator(CODE)
    expect(page.locator("#mfa-code-error")).to_have_text(messages.MFA_CODE_WRONG)
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_be_focused()
    expect(page.locator("#mfa-view")).to_be_visible()
    use_recovery_code(page, codes[0])
    expect_logged_in(page, "Alice")
    expect_account_read_with(page, "On (authenticator app) · 9 recovery codes left")

    log_in_to_the_code_step(page, confirmed_alice)
    use_recovery_code(page, codes[0])
    expect(page.locator("#mfa-recovery-code-error")).to_have_text(messages.MFA_CODE_WRONG)
    expect(page.locator("#mfa-view")).to_be_visible()
    submit_code(page, codes[1], recovery=True)
    expect_logged_in(page, "Alice")
    expect_account_read_with(page, "On (authenticator app) · 8 recovery codes left")


def test_swap_between_the_two_kinds_of_code_and_back_to_log_in(page, problems, confirmed_alice):
    logged_in(page, problems, confirmed_alice)
    set_up_totp(page)
    log_in_to_the_code_step(page, confirmed_alice)
    page.locator(CODE).fill("123")
    page.get_by_role("button", name="Use a recovery code").click()
    expect(page.locator(CODE)).to_be_hidden()
    expect(page.locator(RECOVERY_CODE)).to_be_focused()
    page.get_by_role("button", name="Use a code from the app").click()
    expect(page.locator(RECOVERY_CODE)).to_be_hidden()
    expect(page.locator(CODE)).to_be_focused()
    expect(page.locator(CODE)).to_have_value("")
    page.get_by_role("button", name="Back to log in").click()
    expect_logged_out(page)
    expect(page.locator("#mfa-view")).to_be_hidden()
    expect(page.locator("#login-title")).to_be_focused()


@pytest.mark.parametrize(
    "server_env", [{"FLASK_MFA_FAILURE_LIMIT": "3 per 5 minutes"}], ids=["three-codes"]
)
def test_wrong_codes_count_against_the_code_limit(page, problems, confirmed_alice):
    """Three codes in 5 minutes here: after three wrong ones, even the right one waits."""
    logged_in(page, problems, confirmed_alice)
    totp, _ = set_up_totp(page)
    log_in_to_the_code_step(page, confirmed_alice)
    problems.expect_failed_load("/api/auth/mfa/verify", 401)
    problems.expect_failed_load("/api/auth/mfa/verify", 429)
    wrong = wrong_code(totp)
    for _ in range(3):
        submit_code(page, wrong)
        expect(page.locator("#mfa-code-error")).to_have_text(messages.MFA_CODE_WRONG)
    submit_code(page, totp.at(time.time()))
    expect(page.locator("#mfa-form [role=alert]")).to_contain_text("Too many attempts.")
    expect(page.locator("#mfa-view")).to_be_visible()


def test_too_many_wrong_codes_end_the_login(page, problems, confirmed_alice):
    logged_in(page, problems, confirmed_alice)
    totp, _ = set_up_totp(page)
    log_in_to_the_code_step(page, confirmed_alice)
    problems.expect_failed_load("/api/auth/mfa/verify", 401)
    wrong = wrong_code(totp)
    for _ in range(4):
        submit_code(page, wrong)
        expect(page.locator("#mfa-code-error")).to_have_text(messages.MFA_CODE_WRONG)
    submit_code(page, wrong)
    expect_logged_out(page)
    expect(page.locator("#login-form [role=alert]")).to_have_text(messages.MFA_LOGIN_ENDED)
    expect(page.locator("#login-title")).to_be_focused()


def test_a_login_no_longer_waiting_goes_back_to_the_password(
    context, page, problems, confirmed_alice
):
    logged_in(page, problems, confirmed_alice)
    totp, _ = set_up_totp(page)
    log_in_to_the_code_step(page, confirmed_alice)
    # The pending login's cookie gone, as once the wait has expired.
    context.clear_cookies()
    problems.expect_failed_load("/api/auth/mfa/verify", 403)
    problems.expect_failed_load("/api/auth/mfa/verify", 401)
    submit_code(page, totp.at(time.time()))
    expect_logged_out(page)
    expect(page.locator("#login-form [role=alert]")).to_have_text(messages.MFA_NOT_PENDING)


def test_the_code_step_takes_the_keyboard(page, problems, confirmed_alice):
    logged_in(page, problems, confirmed_alice)
    totp, _ = set_up_totp(page)
    log_out(page)
    expect_logged_out(page)
    keyboard = page.keyboard
    page.locator("#login-form [name=login]").focus()
    keyboard.type(confirmed_alice["user_name"])
    keyboard.press("Tab")
    keyboard.type(PASSWORD)
    keyboard.press("Enter")
    code = page.locator(CODE)
    expect(code).to_be_focused()
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    expect(code).to_have_attribute("inputmode", "numeric")
    keyboard.type(totp.at(time.time()))
    keyboard.press("Enter")
    expect_logged_in(page, "Alice")
    expect(page.locator("#welcome")).to_be_focused()


def test_the_qr_code_is_a_data_uri_image_shown_under_the_policy(page, problems, confirmed_alice):
    logged_in(page, problems, confirmed_alice)
    page.evaluate(
        """() => {
            window.violations = [];
            document.addEventListener('securitypolicyviolation',
                event => window.violations.push(event.violatedDirective));
        }"""
    )
    totp = start_set_up(page)
    qr = page.locator("#totp-qr")
    expect(qr).to_be_visible()
    expect(page.locator("#totp-setup-title")).to_be_focused()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.get_attribute("alt")
    qr.evaluate("img => img.decode()")
    assert qr.evaluate("img => img.naturalWidth") > 0
    assert page.evaluate("window.violations") == []
    assert f"secret={totp.secret}" in totp.provisioning_uri(name=confirmed_alice["user_name"])

    # Cancelled: the key leaves the page.
    page.locator("#totp-setup-cancel").click()
    expect(page.locator("#totp-setup")).to_be_hidden()
    expect(page.locator("#totp-setup-button")).to_be_focused()
    expect(qr).to_have_count(0)
    expect(page.locator("#totp-secret")).to_have_text("")


def test_a_wrong_first_code_shows_under_its_field(page, problems, confirmed_alice):
    logged_in(page, problems, confirmed_alice)
    totp = start_set_up(page)
    problems.expect_failed_load("/api/auth/mfa/totp/confirm", 422)
    fill_form(page, "#totp-confirm-form", {"code": wrong_code(totp)})
    page.locator("#totp-confirm-form [type=submit]").click()
    expect(page.locator("#totp-confirm-code-error")).to_have_text(messages.MFA_CODE_WRONG)
    expect(page.locator("#totp-confirm-form [name=code]")).to_be_focused()
    expect(page.locator("#recovery-codes")).to_be_hidden()
    expect(page.locator("#mfa-state")).to_have_text("Off")


def test_turn_off_with_a_code_after_a_wrong_one(page, problems, confirmed_alice):
    logged_in(page, problems, confirmed_alice)
    totp, _ = set_up_totp(page)
    problems.expect_failed_load("/api/auth/mfa/totp/disable", 403)
    field = page.locator("#totp-disable-form [name=code_or_password]")
    field.fill(wrong_code(totp))
    page.locator("#totp-disable-form [type=submit]").click()
    expect(page.locator("#totp-disable-code-or-password-error")).to_have_text(
        messages.WRONG_CODE_OR_PASSWORD
    )
    expect(field).to_be_focused()
    expect(page.locator("#mfa-state")).to_have_text(
        "On (authenticator app) · 10 recovery codes left"
    )
    code = totp.at(time.time() + 30)
    with page.expect_request("**/api/auth/mfa/totp/disable") as sent:
        field.fill(f"{code[:3]} {code[3:]}")
        page.locator("#totp-disable-form [type=submit]").click()
    assert sent.value.post_data_json == {"code": code}
    expect(page.locator("#mfa-state")).to_have_text("Off")
    expect(page.locator("#mfa-notice")).to_have_text(messages.TOTP_DISABLED)


def test_recovery_codes_are_copied_downloaded_and_renewed(new_context, problems, confirmed_alice):
    page = new_context(permissions=["clipboard-read", "clipboard-write"]).new_page()
    logged_in(page, problems, confirmed_alice)
    _, codes = set_up_totp(page)
    text = "\n".join(codes) + "\n"
    status = page.locator("#recovery-codes-status")
    expect(status).to_have_attribute("aria-live", "polite")
    page.locator("#recovery-codes-copy").click()
    expect(status).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == text
    with page.expect_download() as download:
        page.locator("#recovery-codes-download").click()
    assert download.value.suggested_filename == "recovery-codes.txt"
    assert Path(download.value.path()).read_text() == text

    page.locator("#recovery-codes-renew").click()
    expect(page.locator("#recovery-codes-message")).to_have_text(messages.RECOVERY_CODES_RENEWED)
    renewed = page.locator("#recovery-codes-list li")
    expect(renewed).to_have_count(10)
    expect(renewed.first).not_to_have_text(codes[0])
    assert not set(renewed.all_inner_texts()) & set(codes)
    expect(page.locator("#mfa-state")).to_have_text(
        "On (authenticator app) · 10 recovery codes left"
    )
    page.locator("#recovery-codes-done").click()
    expect(page.locator("#recovery-codes")).to_be_hidden()
    expect(page.locator("#mfa-section-title")).to_be_focused()


def test_set_up_asks_for_the_password_once_the_proof_is_old(
    page, problems, confirmed_alice, server_app
):
    logged_in(page, problems, confirmed_alice)
    age(server_app, verified=timedelta(minutes=10), user_name=confirmed_alice["user_name"])
    problems.expect_failed_load("/api/auth/mfa/totp/setup", 403)
    page.locator("#totp-setup-button").click()
    expect(page.locator("#reauth-modal")).to_be_visible()
    expect(page.locator("#totp-setup-button")).to_be_disabled()
    page.locator("#reauth-form [name=password]").fill(PASSWORD)
    page.locator("#reauth-form [type=submit]").click()
    expect(page.locator("#reauth-modal")).to_be_hidden()
    expect(page.locator("#totp-qr")).to_be_visible()
    expect(page.locator("#totp-secret")).not_to_have_text("")


def test_an_address_not_confirmed_yet_is_asked_to_confirm_before_a_factor(
    context, page, problems, alice
):
    """No second factor or passkey before the address is confirmed: each says so where it was
    asked, with a button that mails a new link, and the browser is never asked for a passkey."""
    authenticator = Authenticator(context, page)
    logged_in(page, problems, alice)
    expect(page.locator("#confirm-banner")).to_be_visible()
    problems.expect_failed_load("/api/auth/mfa/totp/setup", 403)
    problems.expect_failed_load("/api/auth/passkeys/register/begin", 403)
    page.locator("#totp-setup-button").click()
    expect(page.locator("#totp-setup-form [role=alert]")).to_contain_text(
        messages.CONFIRM_EMAIL_FIRST
    )
    expect(page.locator("#totp-setup")).to_be_hidden()
    expect(page.locator("#totp-setup-button")).to_be_enabled()
    page.locator("#passkey-add-button").click()
    refused = page.locator("#passkey-add-form [role=alert]")
    expect(refused).to_contain_text(messages.CONFIRM_EMAIL_FIRST)
    assert authenticator.credentials() == []
    refused.get_by_role("button", name="Send a new confirmation link").click()
    expect(page.locator("#resend-form [role=status]")).to_have_text(messages.CONFIRMATION_SENT)
