"""Tokens sent by mail, attacked: every token that is not good gets one 400, and changes nothing.

Each purpose (reset, confirmation, email change) is tried with its token reused, expired,
presented by another account, meant for another purpose, superseded, outlived by a password
or address change, unknown, malformed, 10 KB long and holding NUL.
"""

import secrets
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from app.accounts import tokens
from app.accounts.tokens import AccountToken
from app.common import messages
from app.common.time import utcnow
from app.extensions import db
from app.mail.outbox import OutboxMessage
from app.sessions.models import AuthSession
from app.users.models import User
from tests.helpers import PASSWORD, AuthActions, assert_error
from tests.plugins.accounts import add_user, log_in
from tests.plugins.mail import link_of

NEW_PASSWORD = "Tulip-Orbit-Canyon-71"
NEW_EMAIL = "alice.new@example.com"
USES = {
    tokens.RESET_PASSWORD: (
        "/api/auth/reset_password",
        lambda token: {"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    ),
    tokens.CONFIRM_EMAIL: ("/api/auth/confirm_email", lambda token: {"token": token}),
    tokens.CHANGE_EMAIL: ("/api/auth/change_email/confirm", lambda token: {"token": token}),
}
LINK_PATHS = {
    tokens.RESET_PASSWORD: "/reset",
    tokens.CONFIRM_EMAIL: "/confirm",
    tokens.CHANGE_EMAIL: "/change-email",
}
OTHER_PURPOSE = {
    tokens.RESET_PASSWORD: tokens.CONFIRM_EMAIL,
    tokens.CONFIRM_EMAIL: tokens.CHANGE_EMAIL,
    tokens.CHANGE_EMAIL: tokens.RESET_PASSWORD,
}


@pytest.fixture
def app(mail_app):
    return mail_app


def issue(alice, mailbox, purpose) -> str:
    """Ask for a token of ``purpose`` for alice, the way a person would; the token mailed."""
    if purpose == tokens.RESET_PASSWORD:
        response = alice.post(
            "/api/auth/reset_password/request", json={"email": "alice@example.com"}
        )
    elif purpose == tokens.CONFIRM_EMAIL:
        response = alice.post("/api/auth/confirm_email/resend")
    else:
        response = alice.post(
            "/api/auth/change_email", json={"password": PASSWORD, "email": NEW_EMAIL}
        )
    assert response.status_code == 202, response.get_json()
    delivered = [m for m in mailbox.deliver() if "#token=" in m.get_body(("plain",)).get_content()]
    path, token = link_of(delivered[-1])
    assert path == LINK_PATHS[purpose]
    return token


def use(client, purpose, token):
    path, body = USES[purpose]
    return client.post(path, json=body(token))


def snapshot(app):
    """Everything a use of a token could change."""
    with app.app_context():
        rows = {
            model.__tablename__: [
                tuple(row) for row in db.session.execute(select(model).order_by(model.id)).all()
            ]
            for model in (User, AccountToken, AuthSession)
        }
        rows["user"] = db.session.execute(text('SELECT * FROM "user" ORDER BY id')).all()
        rows["account_token"] = db.session.execute(
            text("SELECT * FROM account_token ORDER BY id")
        ).all()
        rows["auth_session"] = db.session.execute(
            text("SELECT id, public_id, user_id, credential_version FROM auth_session ORDER BY id")
        ).all()
        rows["outbox"] = db.session.execute(select(OutboxMessage.id)).all()
        return rows


def anonymous(app):
    client = AuthActions(app.test_client())
    client.fetch_token()
    return client


def reused(app, alice, mailbox, purpose):
    token = issue(alice, mailbox, purpose)
    assert use(anonymous(app), purpose, token).status_code == 200
    return anonymous(app), token


def expired(app, alice, mailbox, purpose):
    token = issue(alice, mailbox, purpose)
    with app.app_context():
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    return anonymous(app), token


def another_accounts_session(app, alice, mailbox, purpose):
    token = issue(alice, mailbox, purpose)
    bob = AuthActions(app.test_client())
    log_in(bob, add_user(app, "bobby", email="bob@example.com"))
    return bob, token


def another_purposes(app, alice, mailbox, purpose):
    return anonymous(app), issue(alice, mailbox, OTHER_PURPOSE[purpose])


def superseded(app, alice, mailbox, purpose):
    first = issue(alice, mailbox, purpose)
    issue(alice, mailbox, purpose)
    return anonymous(app), first


def after_a_password_change(app, alice, mailbox, purpose):
    token = issue(alice, mailbox, purpose)
    body = {
        "current_password": PASSWORD,
        "password": "Zq8#vT2!x-renewed",
        "confirm": "Zq8#vT2!x-renewed",
    }
    assert alice.post("/api/auth/change_password", json=body).status_code == 200
    return anonymous(app), token


def after_an_address_change(app, alice, mailbox, purpose):
    token = issue(alice, mailbox, purpose)
    with app.app_context():
        user = db.session.scalar(select(User))
        user.email = "alice.elsewhere@example.com"
        db.session.commit()
    return anonymous(app), token


def unknown(app, alice, mailbox, purpose):
    issue(alice, mailbox, purpose)
    return anonymous(app), secrets.token_urlsafe(tokens.TOKEN_BYTES)


def malformed(app, alice, mailbox, purpose):
    token = issue(alice, mailbox, purpose)
    return anonymous(app), token + "="


def ten_kilobytes(app, alice, mailbox, purpose):
    token = issue(alice, mailbox, purpose)
    return anonymous(app), (token * 250)[:10240]


def holding_nul(app, alice, mailbox, purpose):
    token = issue(alice, mailbox, purpose)
    return anonymous(app), token[:20] + "\x00" + token[21:]


def only_nul(app, alice, mailbox, purpose):
    issue(alice, mailbox, purpose)
    return anonymous(app), "\x00"


ATTACKS = [
    reused,
    expired,
    another_accounts_session,
    another_purposes,
    superseded,
    after_a_password_change,
    unknown,
    malformed,
    ten_kilobytes,
    holding_nul,
    only_nul,
]


# A used confirmation link whose address is still its account's, confirmed, says so instead
# (tests/api/test_addresses.py); used in another account's browser, or after the address
# changed, it is the one 400 again.
CASES = [
    pytest.param(purpose, attack, id=f"{attack.__name__}-{purpose}")
    for attack in ATTACKS
    for purpose in USES
    if (attack, purpose) != (reused, tokens.CONFIRM_EMAIL)
]


@pytest.mark.parametrize(("purpose", "attack"), CASES)
def test_a_token_that_is_not_good_gets_the_one_400_and_changes_nothing(
    app, auth, logged_in_client, mailbox, purpose, attack
):
    client, token = attack(app, auth, mailbox, purpose)
    before = snapshot(app)
    assert_error(use(client, purpose, token), 400, messages.INVALID_TOKEN)
    assert snapshot(app) == before


def used_in_another_accounts_session(app, alice, mailbox, purpose):
    _client, token = reused(app, alice, mailbox, purpose)
    bob = AuthActions(app.test_client())
    log_in(bob, add_user(app, "bobby", email="bob@example.com"))
    return bob, token


def used_before_an_address_change(app, alice, mailbox, purpose):
    _client, token = reused(app, alice, mailbox, purpose)
    with app.app_context():
        # The new address stands confirmed, as an email change leaves it.
        db.session.execute(update(User).values(email="alice.elsewhere@example.com"))
        db.session.commit()
    return anonymous(app), token


@pytest.mark.parametrize(
    "attack", [used_in_another_accounts_session, used_before_an_address_change]
)
def test_a_used_confirmation_link_reveals_nothing_of_another_account_or_address(
    app, auth, logged_in_client, mailbox, attack
):
    client, token = attack(app, auth, mailbox, tokens.CONFIRM_EMAIL)
    before = snapshot(app)
    assert_error(use(client, tokens.CONFIRM_EMAIL, token), 400, messages.INVALID_TOKEN)
    assert snapshot(app) == before


@pytest.mark.parametrize("purpose", [tokens.RESET_PASSWORD, tokens.CONFIRM_EMAIL])
def test_a_token_sent_to_an_old_address_is_not_good(app, auth, logged_in_client, mailbox, purpose):
    client, token = after_an_address_change(app, auth, mailbox, purpose)
    before = snapshot(app)
    assert_error(use(client, purpose, token), 400, messages.INVALID_TOKEN)
    assert snapshot(app) == before


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_a_nul_in_a_form_encoded_token_gets_the_same_400(
    app, auth, logged_in_client, mailbox, encoding
):
    token = issue(auth, mailbox, tokens.CONFIRM_EMAIL)
    client = anonymous(app)
    body = {"token": token[:5] + "\x00" + token[6:]}
    sent = {"json": body} if encoding == "json" else {"data": body}
    assert_error(client.post("/api/auth/confirm_email", **sent), 400, messages.INVALID_TOKEN)


def test_only_the_hash_of_a_token_is_stored(app, auth, logged_in_client, mailbox):
    token = issue(auth, mailbox, tokens.RESET_PASSWORD)
    with app.app_context():
        stored = db.session.execute(text("SELECT * FROM account_token")).all()
    assert token not in repr(stored)


@pytest.mark.parametrize("purpose", [tokens.RESET_PASSWORD, tokens.CHANGE_EMAIL])
def test_two_uses_at_once_cannot_both_pass(app, auth, logged_in_client, mailbox, purpose):
    # Four uses of one reset token would pass the per-address count of resets.
    app.config["RESET_ADDRESS_LIMIT"] = "100 per hour"
    token = issue(auth, mailbox, purpose)
    clients = [anonymous(app) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    statuses = []

    def attempt(client):
        barrier.wait()
        statuses.append(use(client, purpose, token).status_code)

    threads = [threading.Thread(target=attempt, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 400, 400, 400]
