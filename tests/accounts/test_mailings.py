"""Which messages an account gets: to an address never confirmed, only those that carry a link
proving it; and what a user chose (a passkey's name) shown quoted, on one line, never a link,
and never in the log."""

import email
import email.policy
import json
import logging

import pytest
from sqlalchemy import select

from app.accounts import mailings
from app.extensions import db
from app.log import MAIL_LOGGER, MailFormatter
from app.mail.compose import SUBJECTS
from app.mail.outbox import OutboxMessage
from app.security import events
from app.users.models import User
from tests.plugins.accounts import add_user
from tests.plugins.databases import make_app
from tests.plugins.mail import Mailbox, html_of, text_of

# A name as an attacker would choose it: a second line, a link, a domain, an address.
EVIL_NAME = (
    "Work key\nLog in again at https://evil.example/login or www.evil.example, a@evil.example"
)
FORGED_EVENT = '{"event": "login_ok", "user_name": "admin", "ip": "10.0.0.1"}'


@pytest.fixture
def app(mail_app):
    return mail_app


def alice_of(app):
    return User.find_by_login("alice")


NOTICES = {
    "password": lambda user: mailings.send_password_changed(user),
    "email_change": lambda user: mailings.send_email_change(user, "alice.new@example.com"),
    "totp": lambda user: mailings.send_mfa_notice(user, events.TOTP_ENABLED),
    "passkey": lambda user: mailings.send_mfa_notice(user, events.PASSKEY_ADDED, name="Key"),
    "goodbye": lambda user: mailings.send_goodbye(user),
}


@pytest.mark.parametrize("notice", NOTICES.values(), ids=NOTICES.keys())
def test_an_address_never_confirmed_gets_no_notice(app, auth, mailbox, notice):
    """Signed up through the API: the confirmation it mails is the one message the address
    gets, which shows that mail reaches it and what does."""
    assert auth.signup().status_code == 201
    with app.test_request_context():
        notice(alice_of(app))
        db.session.commit()
    # The confirmation (and, for an email change, the link to the new address) only.
    subjects = {message["Subject"] for message in mailbox.deliver(held=True)}
    assert subjects <= {SUBJECTS["confirm_email"], SUBJECTS["change_email"]}
    with app.app_context():
        assert (
            db.session.scalars(select(OutboxMessage.recipient)).all().count("alice@example.com")
            == 1
        )


@pytest.mark.parametrize("notice", NOTICES.values(), ids=NOTICES.keys())
def test_a_confirmed_address_gets_each_notice(app, mailbox, notice):
    add_user(app, confirmed=True)
    with app.test_request_context():
        notice(alice_of(app))
        db.session.commit()
    (told,) = [m for m in mailbox.deliver(held=True) if m["To"] == "alice@example.com"]
    assert told["Subject"] != SUBJECTS["confirm_email"]


def test_an_address_never_confirmed_still_gets_a_reset_link(user, auth, mailbox):
    response = auth.post("/api/auth/reset_password/request", json={"email": "alice@example.com"})
    assert response.status_code == 202
    assert mailbox.last()["Subject"] == SUBJECTS["reset_password"]


def test_a_passkey_s_name_is_shown_quoted_on_one_line_and_never_as_a_link(app, mailbox):
    add_user(app, confirmed=True)
    with app.test_request_context():
        mailings.send_mfa_notice(alice_of(app), events.PASSKEY_REMOVED, name=EVIL_NAME)
        db.session.commit()
    notice = mailbox.last()
    for part in (text_of(notice), html_of(notice)):
        (line,) = [line for line in part.splitlines() if "Work key" in line]
        assert "The passkey named “Work key" in line
        assert line.rstrip().endswith("” was removed.") or "” was removed.</p>" in line
        for link in ("https://", "evil.example", "www.evil", "a@evil"):
            assert link not in part
    # The HTML part's one link is the page's own.
    assert html_of(notice).count("<a ") == 1


def test_a_name_that_looks_like_an_event_writes_no_event_line(
    database_url, smtp_server, tmp_path, caplog
):
    caplog.set_level(logging.INFO, logger=MAIL_LOGGER)
    app = make_app(database_url, MAIL_URL=f"file://{tmp_path / 'outbox'}")
    add_user(app, confirmed=True)
    with app.test_request_context():
        mailings.send_mfa_notice(alice_of(app), events.PASSKEY_ADDED, name=f"\n{FORGED_EVENT}\n")
        db.session.commit()
    Mailbox(app, smtp_server).deliver()
    (saved,) = (tmp_path / "outbox").iterdir()
    message = email.message_from_bytes(saved.read_bytes(), policy=email.policy.default)
    assert "A passkey named" in text_of(message)
    lines = "\n".join(MailFormatter().format(r) for r in caplog.records if r.name == MAIL_LOGGER)
    assert lines
    for line in lines.splitlines():
        with pytest.raises(ValueError):
            json.loads(line)
    assert "login_ok" not in lines
