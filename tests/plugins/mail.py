"""A real SMTP server for the tests: aiosmtpd, on 127.0.0.1 and a free port.

aiosmtpd's ``Controller(port=0)`` fails, and it binds ``::1`` unless told a host: so each
server gets a free port (``devtools.processes.free_port``) and ``127.0.0.1``.
"""

import email
import email.policy
import re
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from app.common.time import utcnow
from app.extensions import db
from app.mail.outbox import PENDING, OutboxMessage
from app.mail.sender import deliver_due
from devtools.processes import HOST, free_port
from tests.plugins.databases import make_app

LINK_TOKEN = re.compile(r"(/[a-z-]+)#token=([A-Za-z0-9_-]+)")


class Inbox:
    """aiosmtpd's handler: every message it accepts, parsed, with its envelope."""

    def __init__(self):
        self.messages = []
        self.envelopes = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.arrived:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server that keeps what it receives; ``stop`` and ``start`` again on its port."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    @property
    def messages(self):
        return self.inbox.messages

    def start(self):
        self.controller = Controller(
            self.inbox, hostname=HOST, port=self.port, enable_SMTPUTF8=True
        )
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count, timeout=15):
        """The messages, once at least ``count`` have arrived; fails after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self.inbox.arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.messages)} of {count} messages arrived"
                self.inbox.arrived.wait(left)
            return list(self.messages)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def link_of(message) -> tuple[str, str]:
    """``(path, token)`` of the one link with a token in the message's text part."""
    found = LINK_TOKEN.findall(text_of(message))
    assert len(found) == 1, text_of(message)
    return found[0]


def token_of(message) -> str:
    return link_of(message)[1]


def release_held(app):
    """Make every message that waits due now: the notices held for their interval, say."""
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.status == PENDING).values(send_after=utcnow())
        )
        db.session.commit()


class Mailbox:
    """The mail of one app: run its sender now, and read what the SMTP server got."""

    def __init__(self, app, server):
        self.app, self.server = app, server

    def deliver(self, held=False) -> list:
        """Send what the outbox holds (with ``held``, the notices that wait for their interval
        too); every message the server has received so far."""
        if held:
            release_held(self.app)
        with self.app.app_context():
            deliver_due()
        return list(self.server.messages)

    def last(self, to=None):
        """The newest delivered message (for ``to``, if given), after a delivery."""
        messages = [m for m in self.deliver() if to is None or m["To"] == to]
        assert messages, f"no message for {to}"
        return messages[-1]


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(database_url, smtp_server):
    """An app whose mail goes to ``smtp_server``; its sender runs when a test says so."""
    return make_app(database_url, MAIL_URL=smtp_server.url)


@pytest.fixture
def mailbox(mail_app, smtp_server):
    return Mailbox(mail_app, smtp_server)
