"""The outbox and its senders: claimed once, retried with backoff, never lost, never doubled."""

import email
import email.policy
import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from app.common.time import as_utc, utcnow
from app.extensions import db
from app.mail import delivery, outbox
from app.mail.compose import compose
from app.mail.outbox import FAILED, PENDING, SENDING, SENT, OutboxMessage
from app.mail.sender import JOBS, deliver_due
from devtools.processes import HOST, free_port
from tests.helpers import AuthActions
from tests.plugins.databases import make_app
from tests.plugins.mail import Inbox, SmtpServer


def queue(app, count=1, to="alice@example.com", **row):
    """Put ``count`` messages in the outbox, committed."""
    with app.test_request_context():
        for number in range(count):
            message = compose("goodbye", to, user_name=f"user{number}")
            outbox.enqueue(message, "goodbye", **row)
        db.session.commit()


def rows(app):
    with app.app_context():
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def deliver(app):
    with app.app_context():
        return deliver_due()


def make_due(app):
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(send_after=utcnow()))
        db.session.commit()


@pytest.fixture
def app(mail_app):
    return mail_app


def test_a_message_is_sent_once_and_its_content_emptied(app, smtp_server):
    queue(app)
    [stored] = rows(app)
    assert deliver(app) == 1
    assert deliver(app) == 0
    (received,) = smtp_server.messages
    assert received["Message-ID"] == stored.message_id
    [row] = rows(app)
    assert (row.status, row.attempts, row.content, row.last_error) == (SENT, 1, "", None)
    assert row.sent_at is not None


def test_a_rolled_back_change_sends_nothing(app, smtp_server):
    with app.test_request_context():
        outbox.enqueue(compose("goodbye", "a@example.com", user_name="a"), "goodbye")
        db.session.rollback()
    assert rows(app) == []
    assert deliver(app) == 0


def test_a_message_of_a_failed_signup_is_never_sent(app, auth, smtp_server):
    """Both sign up through the API: the first signup's confirmation is the one message, and
    the one that failed adds none."""
    assert auth.signup().status_code == 201
    other = AuthActions(app.test_client())
    assert other.signup(email="ALICE@example.com", user_name="alice2").status_code == 409
    assert len(rows(app)) == 1


def test_an_outage_keeps_the_message_and_the_retry_delivers_it_exactly_once(app, smtp_server):
    queue(app, count=3)
    smtp_server.stop()
    started = utcnow()
    assert deliver(app) == 0
    first, *others = rows(app)
    assert (first.status, first.attempts) == (PENDING, 1)
    assert "Connection" in first.last_error or "refused" in first.last_error.lower()
    delay = app.config["MAIL_RETRY_DELAY"]
    assert as_utc(first.send_after) >= started + timedelta(seconds=delay)
    # The round stopped at the unreachable server: the others lost no attempt.
    assert [row.attempts for row in others] == [0, 0]
    smtp_server.start()
    assert deliver(app) == 2  # the two never tried are due; the first waits its delay
    make_due(app)
    assert deliver(app) == 1
    ids = [message["Message-ID"] for message in smtp_server.messages]
    assert sorted(ids) == sorted(row.message_id for row in rows(app))
    assert len(set(ids)) == 3


def test_the_delay_doubles_with_each_attempt_and_the_last_attempt_gives_up(
    database_url, smtp_server
):
    app = make_app(database_url, MAIL_URL=smtp_server.url, MAIL_MAX_ATTEMPTS=3)
    queue(app)
    smtp_server.stop()
    delays = []
    for _ in range(3):
        before = utcnow()
        deliver(app)
        [row] = rows(app)
        delays.append((as_utc(row.send_after) - before).total_seconds())
        make_due(app)
    assert row.status == FAILED
    assert row.attempts == 3
    # Given up, it keeps no content: no link of it stays readable in the database.
    assert (row.content, row.details) == ("", None)
    base = app.config["MAIL_RETRY_DELAY"]
    assert base <= delays[0] < base + 5
    assert 2 * base <= delays[1] < 2 * base + 5


def test_a_message_whose_link_expired_is_not_sent(app, smtp_server):
    queue(app, expires_at=utcnow() - timedelta(seconds=1))
    assert deliver(app) == 0
    assert smtp_server.messages == []
    [row] = rows(app)
    assert (row.status, row.content) == (FAILED, "")


class Refusing(Inbox):
    """Refuses one recipient with ``reply``, takes everything else."""

    def __init__(self, reply):
        super().__init__()
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"


@contextmanager
def smtp_app(database_url, handler, **options):
    """An app whose mail goes to an aiosmtpd server with ``handler`` and ``options``."""
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port, **options)
    controller.start()
    try:
        yield make_app(database_url, MAIL_URL=f"smtp://{HOST}:{port}")
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("reply", "status", "content_kept"),
    [("550 No such mailbox", FAILED, False), ("450 Mailbox busy, try later", PENDING, True)],
    ids=["permanent", "temporary"],
)
def test_a_refused_recipient_does_not_hold_up_the_others(database_url, reply, status, content_kept):
    inbox = Refusing(reply)
    with smtp_app(database_url, inbox) as app:
        queue(app, to="refused@example.com")
        queue(app, to="bob@example.com")
        assert deliver(app) == 1
        refused, sent = rows(app)
        # A 5xx is the server's last word on that address: given up at once; a 4xx waits.
        assert (refused.status, refused.attempts, sent.status) == (status, 1, SENT)
        assert bool(refused.content) is content_kept
        assert reply[:3] in refused.last_error
        assert [m["To"] for m in inbox.messages] == ["bob@example.com"]


INTERNATIONAL = "jos\u00e9@example.com"


def test_an_address_a_server_without_smtputf8_cannot_take_fails_alone(database_url):
    inbox = Inbox()
    with smtp_app(database_url, inbox, enable_SMTPUTF8=False) as app:
        queue(app, to=INTERNATIONAL)
        queue(app, to="bob@example.com")
        assert deliver(app) == 1
        refused, sent = rows(app)
        assert (refused.status, refused.attempts, refused.content) == (FAILED, 1, "")
        assert "SMTPUTF8" in refused.last_error
        assert sent.status == SENT
        assert [m["To"] for m in inbox.messages] == ["bob@example.com"]


def test_an_address_outside_ascii_is_saved_by_the_file_transport(database_url, tmp_path):
    # Signup takes such an address (email-validator allows SMTPUTF8 by default).
    folder = tmp_path / "outbox"
    app = make_app(database_url, MAIL_URL=f"file://{folder}")
    queue(app, to=INTERNATIONAL)
    queue(app, to="bob@example.com")
    assert deliver(app) == 2
    assert {row.status for row in rows(app)} == {SENT}
    saved = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in folder.iterdir()
    ]
    assert sorted(message["To"] for message in saved) == ["bob@example.com", INTERNATIONAL]


def broken_job(row, sender):
    raise ValueError("this job cannot be done")


def test_any_error_on_one_message_is_an_attempt_on_it_alone(database_url, smtp_server):
    app = make_app(database_url, MAIL_URL=smtp_server.url, MAIL_MAX_ATTEMPTS=2)
    app.extensions[JOBS]["broken"] = broken_job
    with app.app_context():
        outbox.enqueue_job("broken", "alice@example.com")
        db.session.commit()
    queue(app)
    assert deliver(app) == 1
    job, sent = rows(app)
    assert (job.status, job.attempts, sent.status) == (PENDING, 1, SENT)
    assert job.last_error == "ValueError: this job cannot be done"
    make_due(app)
    assert deliver(app) == 0
    [job, _sent] = rows(app)
    assert (job.status, job.attempts) == (FAILED, 2)


def test_a_message_claimed_more_times_than_the_limit_is_given_up(database_url, smtp_server):
    # As after senders that died while they held it (a crash on that very message, say).
    app = make_app(database_url, MAIL_URL=smtp_server.url, MAIL_MAX_ATTEMPTS=3)
    queue(app)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).values(
                status=SENDING, attempts=3, claimed_by="dead", claimed_until=utcnow()
            )
        )
        db.session.commit()
    assert deliver(app) == 0
    [row] = rows(app)
    assert (row.status, row.attempts, row.content) == (FAILED, 4, "")
    assert smtp_server.messages == []


def test_a_claim_that_outlived_its_sender_is_taken_again(app, smtp_server):
    queue(app)
    with app.app_context():
        assert delivery.claim("a sender that dies") is not None
        db.session.commit()
        assert delivery.claim("another sender") is None
        db.session.execute(update(OutboxMessage).values(claimed_until=utcnow()))
        db.session.commit()
    assert deliver(app) == 1
    [row] = rows(app)
    assert (row.status, row.attempts) == (SENT, 2)


def test_the_dead_sender_cannot_overwrite_the_outcome_of_the_new_one(app, smtp_server):
    queue(app)
    with app.app_context():
        stale = delivery.claim("a sender that stalled")
        db.session.execute(update(OutboxMessage).values(claimed_until=utcnow()))
        db.session.commit()
    assert deliver(app) == 1
    with app.app_context():
        delivery.mark_failed(stale, "a sender that stalled", "it woke up late")
        db.session.commit()
    [row] = rows(app)
    assert (row.status, row.last_error) == (SENT, None)


def test_senders_running_at_once_deliver_every_message_once(app, smtp_server):
    queue(app, count=40)
    barrier = threading.Barrier(4)
    sent = []

    def sender():
        barrier.wait()
        sent.append(deliver(app))

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == 40
    ids = [message["Message-ID"] for message in smtp_server.messages]
    assert len(ids) == len(set(ids)) == 40
    assert {row.status for row in rows(app)} == {SENT}


def test_the_testing_config_sends_for_real(app, smtp_server):
    # Flask-Mail suppresses sending when TESTING is on; this sender does not.
    assert app.testing
    queue(app)
    assert deliver(app) == 1
    assert len(smtp_server.messages) == 1


def test_the_in_process_sender_starts_with_the_first_request_and_wakes_on_commit(
    database_url, smtp_server, monkeypatch
):
    """A signup through the API queues the message: its confirmation, whose commit wakes the
    sender."""
    monkeypatch.delenv("FLASK_MAIL_SEND_IN_PROCESS")
    app = make_app(
        database_url, MAIL_URL=smtp_server.url, MAIL_SEND_IN_PROCESS=True, MAIL_POLL_INTERVAL=60
    )
    sender = app.extensions["mail_sender"]
    assert sender.pid is None
    auth = AuthActions(app.test_client())
    assert auth.signup().status_code == 201
    assert sender.pid is not None
    # Woken by the signup's commit, long before its 60 s poll.
    (message,) = smtp_server.wait_for(1, timeout=10)
    assert message["To"] == "alice@example.com"


def test_no_thread_without_the_switch(app, auth):
    """A signup through the API, which queues its confirmation, starts no sender thread."""
    assert app.config["MAIL_SEND_IN_PROCESS"] is False
    assert auth.signup().status_code == 201
    assert app.extensions["mail_sender"].pid is None


def test_an_unreachable_server_leaves_nothing_lost(app):
    server = SmtpServer()  # never started
    app.config["MAIL_URL"] = server.url
    queue(app)
    assert deliver(app) == 0
    [row] = rows(app)
    assert row.status == PENDING
    assert row.content
