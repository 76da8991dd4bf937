"""Delivering the outbox, outside any request: a thread in each app process, or the CLI.

``deliver_due`` claims due messages one at a time and hands each to the transport that
``MAIL_URL`` names, or a job to its handler. Whatever goes wrong with one message is an
attempt on that message alone: it goes back to the outbox with a later retry time, or is given
up after its last attempt, or at once when the server refused it for good. Only an error that
says the server cannot be reached ends the round, so that an outage costs the other messages
no attempts. The thread starts with the first request of each process (so a fork gets its
own, and a CLI command none), and an outbox write of a message (not of a job) wakes it when
its commit is done.
"""

import logging
import os
import smtplib
import socket
import threading

from flask import current_app
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.log import MAIL_LOGGER, escaped
from app.mail import delivery
from app.mail.transports import transport_for

logger = logging.getLogger(MAIL_LOGGER)

# Refusals of one message. Any other OSError (smtplib's errors are OSErrors, and so are a
# full disk's) means that nothing else would get through this round either.
MESSAGE_REFUSED = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
)
EXTENSION = "mail_sender"
JOBS = "mail_jobs"


def sender_name() -> str:
    """Who holds a claim: this host, process and thread."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 10**8}"


def ends_the_round(exc) -> bool:
    """True for an error that says the server cannot take mail now (unreachable, TLS, login,
    a full disk), not that it refused this one message."""
    return isinstance(exc, OSError) and not isinstance(exc, MESSAGE_REFUSED)


def is_permanent(exc) -> bool:
    """True for a refusal that no retry will change: a 5xx for the recipient or the message,
    or an address outside ASCII for a server without SMTPUTF8. A refused sender is not: it
    refuses every message alike, until the operator fixes ``MAIL_FROM``."""
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _reply in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _attempt(row, name, transport) -> bool:
    """Run the job ``row`` (False), or hand the message ``row`` to the transport (True)."""
    job = current_app.extensions[JOBS].get(row.kind)
    if job is not None:
        job(row, name)
        return False
    transport.send(row.email_message())
    return True


def deliver_due() -> int:
    """Send the messages that are due, and run the jobs; how many messages went out."""
    config = current_app.config
    transport = transport_for(config["MAIL_URL"], config["MAIL_TIMEOUT"])
    name = sender_name()
    sent = 0
    while (row := delivery.claim(name)) is not None:
        # The claim holds before anything is sent: no other sender takes the row meanwhile.
        db.session.commit()
        if delivery.is_expired(row):
            delivery.give_up(row, name, "expired before it was sent")
            db.session.commit()
            continue
        if delivery.is_spent(row):
            delivery.give_up(row, name, f"claimed {row.attempts} times and never finished")
            db.session.commit()
            logger.warning("Message %s given up: claimed %s times", row.id, row.attempts)
            continue
        try:
            was_message = _attempt(row, name, transport)
        except Exception as exc:
            # Had the database gone away meanwhile, mark_failed's write fails as well, and the
            # round ends there (see Sender.run).
            db.session.rollback()
            error = f"{type(exc).__name__}: {exc}"
            status = delivery.mark_failed(row, name, error, permanent=is_permanent(exc))
            db.session.commit()
            logger.warning(
                "Message %s to %s not sent (%s): %s",
                row.id,
                escaped(row.recipient),
                status,
                escaped(error),
            )
            if ends_the_round(exc):
                break
            continue
        if was_message:
            # Outside the try: a message that went out is never retried.
            delivery.mark_sent(row, name)
            db.session.commit()
            sent += 1
    return sent


class Sender:
    """The in-process sender of one app: a daemon thread per process, woken by outbox writes."""

    def __init__(self, app):
        self.app = app
        self.wakeup = threading.Event()
        self.stopped = threading.Event()
        self.thread = None
        self.pid = None
        self.lock = threading.Lock()

    def ensure_started(self):
        """Start this process's thread, once (a forked worker starts its own)."""
        if self.pid == os.getpid():
            return
        with self.lock:
            if self.pid != os.getpid():
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self.run, name="mail-sender", daemon=True)
                self.thread.start()

    def wake(self):
        self.wakeup.set()

    def stop(self, timeout=30):
        """End ``run`` once its current round is done, and wait for this process's thread."""
        self.stopped.set()
        self.wake()
        thread = self.thread
        if (
            thread is not None
            and self.pid == os.getpid()
            and thread is not threading.current_thread()
        ):
            thread.join(timeout)

    def run(self):
        """Deliver, then wait for a wake-up or the poll interval; until stopped."""
        while not self.stopped.is_set():
            self.wakeup.clear()
            with self.app.app_context():
                try:
                    deliver_due()
                except SQLAlchemyError as exc:
                    # The database is away: the messages wait for it, and so does the sender.
                    # The driver's words only: SQLAlchemy's would list the statement's
                    # parameters, a message's content among them.
                    db.session.rollback()
                    reason = getattr(exc, "orig", None) or type(exc).__name__
                    logger.warning("The outbox cannot be read: %s", escaped(reason))
                except Exception:
                    # Whatever it was, the thread must live on to send the next message.
                    logger.exception("The mail sender failed")
                finally:
                    db.session.remove()
            self.wakeup.wait(float(self.app.config["MAIL_POLL_INTERVAL"]))


def _wake_after_commit(session):
    if session.info.pop("mail_queued", False) and current_app:
        current_app.extensions[EXTENSION].wake()


def _forget_on_rollback(session):
    session.info.pop("mail_queued", None)


def register(app, jobs):
    """Give the app its sender and the handlers of its ``jobs`` (``{kind: handler(row,
    sender)}``); with ``MAIL_SEND_IN_PROCESS``, its first request starts it."""
    app.extensions[JOBS] = dict(jobs)
    sender = app.extensions[EXTENSION] = Sender(app)
    if not event.contains(db.session, "after_commit", _wake_after_commit):
        event.listen(db.session, "after_commit", _wake_after_commit)
        event.listen(db.session, "after_rollback", _forget_on_rollback)
    if app.config["MAIL_SEND_IN_PROCESS"]:
        app.before_request(sender.ensure_started)
