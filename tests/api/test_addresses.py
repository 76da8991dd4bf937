"""The account's address: the confirmation link of a signup, sending it again, the switch that
requires it, and changing the address with a link to the new one."""

import pytest
from sqlalchemy import select, update

from app.accounts.tokens import AccountToken
from app.common import messages
from app.extensions import db
from app.mail.compose import SUBJECTS
from app.users.models import User
from tests.helpers import PASSWORD, AuthActions, assert_error
from tests.plugins.accounts import add_user, log_in
from tests.plugins.databases import make_app
from tests.plugins.mail import Mailbox, link_of, text_of, token_of

CONFIRM = "/api/auth/confirm_email"
RESEND = "/api/auth/confirm_email/resend"
CHANGE = "/api/auth/change_email"
CHANGE_CONFIRM = "/api/auth/change_email/confirm"
NEW_EMAIL = "alice.new@example.com"


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def signed_up(auth):
    """``auth``, signed up over HTTP as alice, and so logged in: for the tests of the link
    that her signup mails."""
    assert auth.signup().status_code == 201
    return auth


def confirmed(app, email="alice@example.com"):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return user.email_confirmed_at is not None


def verified_user(client):
    return client._client.get("/api/auth/verify_auth").get_json()["data"]


# Confirmation


def test_signup_sends_a_confirmation_link_to_the_new_address(signed_up, mailbox, app):
    (message,) = mailbox.deliver()
    assert message["Subject"] == SUBJECTS["confirm_email"]
    assert message["To"] == "alice@example.com"
    path, _token = link_of(message)
    assert path == "/confirm"
    assert "3 days" in text_of(message)
    assert verified_user(signed_up)["email_confirmed"] is False


def test_the_link_confirms_the_address(signed_up, mailbox, app):
    """The link of the signup's mail."""
    token = token_of(mailbox.last())
    response = signed_up.post(CONFIRM, json={"token": token})
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": messages.EMAIL_CONFIRMED}
    assert verified_user(signed_up)["email_confirmed"] is True


def test_the_link_works_in_a_browser_that_is_not_logged_in(signed_up, mailbox, app):
    """The link of the signup's mail."""
    token = token_of(mailbox.last())
    other = AuthActions(app.test_client())
    assert other.post(CONFIRM, json={"token": token}).status_code == 200
    assert confirmed(app)


@pytest.mark.parametrize("again", ["same browser", "another browser"])
def test_a_used_link_says_that_the_address_is_already_confirmed(signed_up, mailbox, app, again):
    """Opened again (a second click, a mail client that previews it), the link of the
    signup's mail says what holds rather than "invalid or has expired", and changes nothing:
    that mail stays the only one."""
    token = token_of(mailbox.last())
    assert signed_up.post(CONFIRM, json={"token": token}).status_code == 200
    client = signed_up if again == "same browser" else AuthActions(app.test_client())
    response = client.post(CONFIRM, json={"token": token})
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": messages.EMAIL_ALREADY_CONFIRMED}
    assert confirmed(app)
    assert len(mailbox.deliver()) == 1


def test_resend_sends_a_new_link_and_the_old_one_stops_working(signed_up, mailbox):
    """The old link is the signup's."""
    first = token_of(mailbox.last())
    response = signed_up.post(RESEND)
    assert response.status_code == 202
    assert response.get_json() == {"success": True, "message": messages.CONFIRMATION_SENT}
    second = token_of(mailbox.last())
    assert second != first
    assert_error(signed_up.post(CONFIRM, json={"token": first}), 400, messages.INVALID_TOKEN)
    assert signed_up.post(CONFIRM, json={"token": second}).status_code == 200


def test_resend_once_confirmed_is_a_conflict(app, auth):
    log_in(auth, add_user(app, confirmed=True))
    assert_error(auth.post(RESEND), 409, messages.EMAIL_ALREADY_CONFIRMED)


def test_resend_needs_a_login(client, auth):
    auth.fetch_token()
    assert_error(auth.post(RESEND), 401, messages.NOT_LOGGED_IN)


def test_resend_is_throttled_per_user(auth, logged_in_client):
    for _ in range(3):
        assert auth.post(RESEND).status_code == 202
    response = auth.post(RESEND)
    assert_error(response, 429, messages.TOO_MANY_REQUESTS)
    assert int(response.headers["Retry-After"]) > 0


# REQUIRE_CONFIRMED_EMAIL


@pytest.fixture
def strict(database_url, smtp_server):
    """An app that requires a confirmed address, a client of it, and its mailbox."""
    app = make_app(database_url, MAIL_URL=smtp_server.url, REQUIRE_CONFIRMED_EMAIL=True)
    return app, AuthActions(app.test_client()), Mailbox(app, smtp_server)


def test_the_switch_refuses_an_unconfirmed_login_after_the_password(strict):
    app, auth, _mailbox = strict
    add_user(app)
    assert_error(
        auth.login(),
        403,
        messages.EMAIL_NOT_CONFIRMED,
        error_type=messages.EMAIL_NOT_CONFIRMED_TYPE,
    )
    assert auth._client.get("/api/auth/verify_auth").status_code == 401


def test_the_switch_says_nothing_without_the_right_password(strict):
    app, auth, _mailbox = strict
    add_user(app)
    assert_error(auth.login(password="wrong password"), 401, messages.INVALID_CREDENTIALS)
    assert_error(auth.login(login="nobody"), 401, messages.INVALID_CREDENTIALS)


def test_a_refused_login_sends_a_new_link_within_the_resend_limit(strict):
    """Signed up over HTTP (no session: the address must be confirmed first): the link of the
    signup itself does not count against the limit."""
    _app, auth, mailbox = strict
    assert auth.signup().status_code == 202
    assert len(mailbox.deliver()) == 1  # the signup's
    for _ in range(5):
        assert auth.login().status_code == 403
    delivered = mailbox.deliver()
    assert len(delivered) == 1 + 3
    token = token_of(delivered[-1])
    assert auth.post(CONFIRM, json={"token": token}).status_code == 200
    assert auth.login().status_code == 200


def test_accounts_from_before_count_as_unconfirmed_and_log_in_while_the_switch_is_off(user, app):
    with app.app_context():
        db.session.execute(update(User).values(email_confirmed_at=None))
        db.session.commit()
    fresh = AuthActions(app.test_client())
    response = fresh.login()
    assert response.status_code == 200
    assert response.get_json()["data"]["email_confirmed"] is False


# Changing the address


def ask_change(client, email=NEW_EMAIL, password=PASSWORD):
    return client.post(CHANGE, json={"password": password, "email": email})


def test_a_change_mails_the_new_address_a_link_and_the_old_one_a_notice(auth, mailbox, app):
    log_in(auth, add_user(app, confirmed=True))
    response = ask_change(auth)
    assert response.status_code == 202
    assert response.get_json() == {"success": True, "message": messages.EMAIL_CHANGE_REQUESTED}
    link, notice = mailbox.deliver()[-2:]
    assert link["To"] == NEW_EMAIL
    assert link["Subject"] == SUBJECTS["change_email"]
    assert link_of(link)[0] == "/change-email"
    assert notice["To"] == "alice@example.com"
    assert notice["Subject"] == SUBJECTS["email_changing"]
    assert NEW_EMAIL in text_of(notice)
    assert "127.0.0.1" in text_of(notice)
    assert "#token=" not in notice.as_string()
    # Nothing changes until the link is used.
    assert verified_user(auth)["email"] == "alice@example.com"


def test_the_link_changes_the_address_and_confirms_it(auth, logged_in_client, mailbox, app):
    assert ask_change(auth).status_code == 202
    token = token_of(mailbox.last(to=NEW_EMAIL))
    response = auth.post(CHANGE_CONFIRM, json={"token": token})
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": messages.EMAIL_CHANGED}
    user = verified_user(auth)
    assert user["email"] == NEW_EMAIL
    assert user["email_confirmed"] is True
    fresh = AuthActions(app.test_client())
    assert fresh.login(login=NEW_EMAIL.upper()).status_code == 200
    assert_error(fresh.login(login="alice@example.com"), 401, messages.INVALID_CREDENTIALS)


def test_a_wrong_password_is_a_failed_login_and_sends_nothing(auth, logged_in_client, mailbox):
    before = len(mailbox.deliver())
    assert_error(ask_change(auth, password="wrong password"), 403, messages.WRONG_CURRENT_PASSWORD)
    assert len(mailbox.deliver()) == before
    for _ in range(4):
        ask_change(auth, password="wrong password")
    # The failed-login count of both names of the account is full now.
    fresh = AuthActions(auth._client.application.test_client())
    assert_error(fresh.login(), 429, messages.TOO_MANY_ATTEMPTS)


@pytest.mark.parametrize("taken", ["bob@example.com", "BOB@Example.com"])
def test_a_taken_address_is_a_conflict(auth, logged_in_client, app, taken):
    add_user(app, "bobby", email="bob@example.com")
    assert_error(
        ask_change(auth, email=taken),
        409,
        messages.CONFLICT,
        fields={"email": [messages.EMAIL_TAKEN]},
    )


@pytest.mark.parametrize("same", ["alice@example.com", "ALICE@example.com"])
def test_the_same_address_is_a_field_error(auth, logged_in_client, same):
    assert_error(
        ask_change(auth, email=same),
        422,
        messages.VALIDATION_FAILED,
        fields={"email": [messages.EMAIL_UNCHANGED]},
    )


def test_an_address_taken_before_the_link_is_used_is_a_conflict(
    auth, logged_in_client, mailbox, app
):
    assert ask_change(auth).status_code == 202
    token = token_of(mailbox.last(to=NEW_EMAIL))
    # Carol typed the address in capitals; a signup keeps them but for the domain.
    add_user(app, "carol", email="ALICE.NEW@example.com")
    assert_error(
        auth.post(CHANGE_CONFIRM, json={"token": token}),
        409,
        messages.CONFLICT,
        fields={"email": [messages.EMAIL_TAKEN]},
    )
    assert verified_user(auth)["email"] == "alice@example.com"


def test_a_change_needs_a_login(auth):
    auth.fetch_token()
    assert_error(ask_change(auth), 401, messages.NOT_LOGGED_IN)


def test_a_password_change_cancels_a_pending_change(auth, logged_in_client, mailbox):
    assert ask_change(auth).status_code == 202
    token = token_of(mailbox.last(to=NEW_EMAIL))
    body = {
        "current_password": PASSWORD,
        "password": "Zq8#vT2!x-renewed",
        "confirm": "Zq8#vT2!x-renewed",
    }
    assert auth.post("/api/auth/change_password", json=body).status_code == 200
    assert_error(auth.post(CHANGE_CONFIRM, json={"token": token}), 400, messages.INVALID_TOKEN)


def test_changes_are_throttled_per_user(auth, logged_in_client):
    for number in range(5):
        assert ask_change(auth, email=f"alice{number}@example.com").status_code == 202
    assert_error(ask_change(auth), 429, messages.TOO_MANY_REQUESTS)


def test_an_address_taken_between_the_check_and_the_commit_is_a_conflict_not_a_500(
    auth, logged_in_client, mailbox, app, monkeypatch
):
    assert ask_change(auth).status_code == 202
    token = token_of(mailbox.last(to=NEW_EMAIL))
    add_user(app, "carol", email=NEW_EMAIL)
    # As if carol's signup committed after the check: only the unique key can tell.
    monkeypatch.setattr(User, "is_email_taken", classmethod(lambda cls, email: False))
    assert_error(
        auth.post(CHANGE_CONFIRM, json={"token": token}),
        409,
        messages.CONFLICT,
        fields={"email": [messages.EMAIL_TAKEN]},
    )
    assert verified_user(auth)["email"] == "alice@example.com"
    # The token was not used up: the change can go through once the address is free again.
    with app.app_context():
        query = select(AccountToken.used_at).where(AccountToken.purpose == "change_email")
        assert db.session.execute(query).all() == [(None,)]
