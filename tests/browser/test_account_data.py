""" "Your data" on the account view in Chromium: the export saved as a file, and deleting the
account behind its confirmation dialog, through the password prompt when the proof is stale."""

import json

from playwright.sync_api import expect

from app.common import messages
from tests.browser.pages import PASSWORD, expect_logged_out, log_in
from tests.browser.test_account import api_login_status, logged_in, make_proof_old

DELETE = "/api/auth/delete_account"


def open_dialog(page):
    """Open the confirmation dialog with its button: focus moves into it, to the password."""
    page.locator("#delete-account-open").click()
    expect(page.locator("#delete-account-modal")).to_be_visible()
    field = page.locator("#delete-account-form [name=password]")
    expect(field).to_be_focused()
    return field


def expect_kept(page, new_context, account):
    expect(page.locator("#account-view")).to_be_visible()
    assert page.request.get("/api/auth/verify_auth").status == 200
    assert api_login_status(new_context, account, PASSWORD) == 200


def expect_deleted(page, new_context, problems, account):
    """The logged-out view says goodbye; the session and the account are gone."""
    expect_logged_out(page)
    expect(page.locator("#page-notice")).to_have_text(messages.ACCOUNT_DELETED)
    expect(page.locator("#login-title")).to_be_focused()
    expect(page.locator("#delete-account-modal")).to_be_hidden()
    assert page.request.get("/api/auth/verify_auth").status == 401
    assert api_login_status(new_context, account, PASSWORD) == 401
    problems.expect_failed_load("/api/auth/login", 401)
    log_in(page, account["user_name"])
    expect(page.locator("#login-form [role=alert]")).to_have_text(messages.INVALID_CREDENTIALS)


def test_download_my_data_saves_the_export_as_a_json_file(page, problems, alice):
    logged_in(page, problems, alice)
    section = page.locator("#data-section")
    expect(section.get_by_role("heading", name="Your data")).to_be_visible()
    with page.expect_download() as started:
        page.locator("#export-button").click()
    download = started.value
    assert download.suggested_filename == "account-export.json"
    with open(download.path(), encoding="utf-8") as saved:
        data = json.load(saved)
    assert data["profile"]["user_name"] == alice["user_name"]
    assert data["profile"]["email"] == alice["email"]
    assert {"trail", "sessions", "mfa", "passkeys"} <= set(data)
    assert "$argon2" not in json.dumps(data)
    expect(page.locator("#export-form [role=status]")).to_have_text(
        "Downloaded as account-export.json"
    )


def test_a_wrong_password_shows_the_error_and_the_account_stays(page, problems, alice, new_context):
    logged_in(page, problems, alice)
    field = open_dialog(page)
    problems.expect_failed_load(DELETE, 403)
    field.fill("not the password at all")
    page.locator("#delete-account-form [type=submit]").click()
    expect(page.locator("#delete-account-password-error")).to_have_text(
        messages.WRONG_CURRENT_PASSWORD
    )
    expect(field).to_be_focused()
    expect(page.locator("#delete-account-modal")).to_be_visible()
    expect_kept(page, new_context, alice)


def test_cancel_and_escape_keep_the_account_and_focus_returns(page, problems, alice, new_context):
    logged_in(page, problems, alice)
    opener = page.locator("#delete-account-open")
    field = open_dialog(page)
    field.fill(PASSWORD)
    page.locator("#delete-account-form").get_by_role("button", name="Cancel").click()
    expect(page.locator("#delete-account-modal")).to_be_hidden()
    expect(opener).to_be_focused()

    # From the keyboard: Enter opens it, Escape closes it, and no password stays in it.
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    expect(field).to_have_value("")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Escape")
    expect(page.locator("#delete-account-modal")).to_be_hidden()
    expect(opener).to_be_focused()
    expect_kept(page, new_context, alice)


def test_confirm_deletes_it_and_shows_the_logged_out_view(page, problems, alice, new_context):
    logged_in(page, problems, alice)
    dialog = page.get_by_role("dialog", name="Delete your account?")
    open_dialog(page).fill(PASSWORD)
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Delete my account").click()
    expect_deleted(page, new_context, problems, alice)


def test_a_stale_proof_goes_through_the_password_prompt(
    page, problems, alice, new_context, server_app
):
    logged_in(page, problems, alice)
    make_proof_old(server_app, alice)
    problems.expect_failed_load(DELETE, 403)
    open_dialog(page).fill(PASSWORD)
    page.keyboard.press("Enter")
    # One dialog at a time: the confirmation steps aside for the prompt.
    prompt = page.locator("#reauth-modal")
    expect(prompt).to_be_visible()
    expect(page.locator("#delete-account-modal")).to_be_hidden()
    expect(page.locator("#reauth-form [name=password]")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(prompt).to_be_hidden()
    expect_deleted(page, new_context, problems, alice)


def test_a_cancelled_prompt_deletes_nothing(page, problems, alice, new_context, server_app):
    logged_in(page, problems, alice)
    make_proof_old(server_app, alice)
    problems.expect_failed_load(DELETE, 403)
    open_dialog(page).fill(PASSWORD)
    page.keyboard.press("Enter")
    prompt = page.locator("#reauth-modal")
    expect(prompt).to_be_visible()
    expect(page.locator("#reauth-form [name=password]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(prompt).to_be_hidden()
    expect(page.locator("#delete-account-modal")).to_be_hidden()
    expect(page.locator("#delete-account-open")).to_be_focused()
    expect_kept(page, new_context, alice)


def test_a_wrong_password_after_the_prompt_opens_the_dialog_again(
    page, problems, alice, new_context, server_app
):
    logged_in(page, problems, alice)
    make_proof_old(server_app, alice)
    problems.expect_failed_load(DELETE, 403)
    open_dialog(page).fill("not the password at all")
    page.keyboard.press("Enter")
    expect(page.locator("#reauth-modal")).to_be_visible()
    # Typed once the prompt has the focus, as a person would: sooner, the keys go nowhere.
    expect(page.locator("#reauth-form [name=password]")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#reauth-modal")).to_be_hidden()
    expect(page.locator("#delete-account-modal")).to_be_visible()
    expect(page.locator("#delete-account-password-error")).to_have_text(
        messages.WRONG_CURRENT_PASSWORD
    )
    expect(page.locator("#delete-account-form [name=password]")).to_be_focused()
    expect_kept(page, new_context, alice)
