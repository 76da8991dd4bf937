"""Notices: at most one message per account and address per NOTICE_INTERVAL, the changes of a
burst merged into one that lists them all; under races too."""

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.accounts import mailings
from app.common.time import as_utc, utcnow
from app.extensions import db
from app.mail import delivery
from app.mail.compose import SUBJECTS
from app.mail.notices import MAX_LISTED
from app.mail.outbox import PENDING, SENDING, SENT, OutboxMessage
from app.security import events
from app.users.models import User
from tests.plugins.accounts import add_user
from tests.plugins.mail import release_held, text_of

INTERVAL = timedelta(minutes=10)
RACERS = 6


@pytest.fixture
def app(mail_app):
    assert mail_app.config["NOTICE_INTERVAL"] == INTERVAL
    return mail_app


@pytest.fixture
def user(app):
    """Alice, her address confirmed: only a confirmed address is sent notices."""
    return add_user(app, confirmed=True)


def notify(app, change=events.TOTP_ENABLED, user_name="alice", **details):
    """One change to ``user_name``'s second factor, told from a request of 127.0.0.1."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        mailings.send_mfa_notice(User.find_by_login(user_name), change, **details)
        db.session.commit()


def notices(app):
    """The notice rows, oldest first, with their changes while they wait."""
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.details.is_not(None))
            .order_by(OutboxMessage.id)
        ).all()
    return [(row, json.loads(row.details)["changes"] if row.details else None) for row in rows]


def test_the_first_goes_at_once_and_a_burst_after_it_waits_in_one(app, user, mailbox):
    notify(app)
    (first,) = mailbox.deliver()
    assert first["Subject"] == SUBJECTS["mfa_changed"]
    assert "This happened on your" in text_of(first)
    notify(app, events.RECOVERY_CODES_RENEWED)
    notify(app, events.PASSKEY_ADDED, name="Key")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        mailings.send_password_changed(User.find_by_login("alice"))
        db.session.commit()
    assert len(mailbox.deliver()) == 1  # the rest waits
    (sent, _gone), (held, changes) = notices(app)
    assert (sent.status, sent.details, held.status) == (SENT, "", PENDING)
    assert as_utc(held.send_after) == as_utc(sent.sent_at) + INTERVAL
    assert [change["kind"] for change in changes] == ["mfa_changed"] * 2 + ["password_changed"]
    assert held.kind == "notices"
    release_held(app)
    _first, digest = mailbox.deliver()
    assert digest["Subject"] == SUBJECTS["notices"]
    text = text_of(digest)
    assert "These 3 things happened" in text
    for told in (
        mailings.MFA_CHANGES[events.RECOVERY_CODES_RENEWED],
        "A passkey named “Key” was added",
        "The password was changed.",
    ):
        assert told in text
    assert text.count("When: ") == text.count("\nIP address: 127.0.0.1") == 3
    # smtplib escapes a line that begins with "From " as ">From ": no line of ours does.
    assert not [line for line in text.splitlines() if line.startswith(">")]


def test_after_a_held_notice_went_the_next_waits_an_interval_after_it(app, user, mailbox):
    notify(app)
    mailbox.deliver()
    notify(app)
    release_held(app)
    assert len(mailbox.deliver()) == 2
    notify(app)
    _first, second, (third, _changes) = notices(app)
    assert as_utc(third.send_after) == as_utc(second[0].sent_at) + INTERVAL
    release_held(app)
    assert len(mailbox.deliver()) == 3
    # Once the last one went more than an interval ago, the next goes at once.
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(sent_at=OutboxMessage.sent_at - INTERVAL))
        db.session.commit()
    notify(app)
    assert len(mailbox.deliver()) == 4


def test_a_notice_not_yet_sent_takes_in_the_changes_after_it(app, user, mailbox):
    notify(app)
    ((row, _changes),) = notices(app)
    notify(app, events.TOTP_DISABLED)
    ((merged, changes),) = notices(app)
    assert merged.id == row.id
    assert as_utc(merged.send_after) <= utcnow()
    assert len(changes) == 2
    # A new message: a new Message-ID, and one kind still, so its own subject.
    assert merged.message_id != row.message_id
    (message,) = mailbox.deliver()
    assert message["Subject"] == SUBJECTS["mfa_changed"]
    assert mailings.MFA_CHANGES[events.TOTP_DISABLED] in text_of(message)


def test_another_address_or_account_has_a_limit_of_its_own(app, user, mailbox):
    add_user(app, "bob", confirmed=True)
    notify(app)
    mailbox.deliver()
    notify(app, user_name="bob")
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.user_name == "alice")
            .values(email="alice@example.org", email_key="alice@example.org")
        )
        db.session.commit()
    notify(app)
    messages = mailbox.deliver()
    assert [message["To"] for message in messages] == [
        "alice@example.com",
        "bob@example.com",
        "alice@example.org",
    ]


def test_a_held_notice_a_sender_took_meanwhile_is_left_as_it_was(app, user, mailbox):
    notify(app)
    mailbox.deliver()
    notify(app)
    release_held(app)
    with app.app_context():
        taken = delivery.claim("a sender")
        db.session.commit()
    notify(app, events.TOTP_DISABLED)
    _sent, (claimed, claimed_changes), (held, changes) = notices(app)
    assert (claimed.id, claimed.status, claimed.content) == (taken.id, SENDING, taken.content)
    assert len(claimed_changes) == 1
    assert held.status == PENDING and len(changes) == 1
    assert as_utc(held.send_after) >= utcnow() + INTERVAL - timedelta(minutes=1)


def test_notices_at_once_merge_into_one(app, user, mailbox):
    notify(app)
    mailbox.deliver()
    barrier = threading.Barrier(RACERS)
    failures = []

    def racer():
        barrier.wait()
        try:
            notify(app)
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    _sent, (held, changes) = notices(app)
    assert held.status == PENDING
    assert len(changes) == RACERS


def test_a_long_burst_lists_its_first_changes_and_counts_the_rest(app, user, mailbox):
    for _ in range(MAX_LISTED + 5):
        notify(app)
    (message,) = mailbox.deliver()
    text = text_of(message)
    assert text.count("When: ") == MAX_LISTED
    assert "And 5 more after these." in text
