"""The outbox: each message is a row, written in the transaction of the change it announces,
and delivered later by a sender (``app.mail.sender``) that claims one row at a time
(``app.mail.delivery``).

A row may also be a job: work that decides what to send (``enqueue_job``). A password reset
is asked for that way, so that the request writes the same single row whether or not the
address has an account; the sender runs the job, which queues the message, if any, and
deletes itself in one transaction. A job never wakes a sender: it runs at a sender's next
look after it is due, so that its work is not timed by the request that wrote it.
"""

import email.policy
import uuid
from datetime import datetime, timedelta
from email import message_from_string

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, delete
from sqlalchemy.orm import Mapped, mapped_column

from app.common.time import utcnow
from app.extensions import db
from app.users.constants import MAX_EMAIL_LEN

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_ERROR_LEN = 500


class OutboxMessage(db.Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Deleting the user deletes what is still queued for them.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(MAX_EMAIL_LEN))
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    send_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # After this, what the message links to has expired: it is not worth sending.
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(MAX_ERROR_LEN))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A notice's changes, as JSON, so that later ones merge into it while it waits
    # (``app.mail.notices``); NULL for every other message.
    details: Mapped[str | None] = mapped_column(Text)

    def __repr__(self):
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"

    def email_message(self):
        """The stored message, parsed back, ready to send."""
        return message_from_string(self.content, policy=email.policy.SMTP)


def _add(send_after=None, **fields) -> OutboxMessage:
    now = utcnow()
    row = OutboxMessage(
        status=PENDING, created_at=now, send_after=send_after or now, attempts=0, **fields
    )
    db.session.add(row)
    return row


def serialized(message) -> str:
    """``message`` as the outbox stores it."""
    return message.as_string(policy=email.policy.SMTPUTF8)


def enqueue(message, kind: str, user=None, expires_at=None, **fields) -> OutboxMessage:
    """Add ``message`` (an ``EmailMessage``) to the outbox, in the caller's transaction; its
    commit wakes the sender."""
    db.session.info["mail_queued"] = True
    return _add(
        message_id=message["Message-ID"],
        kind=kind,
        user_id=user.id if user is not None else None,
        recipient=str(message["To"]),
        content=serialized(message),
        expires_at=expires_at,
        **fields,
    )


def enqueue_job(kind: str, address: str, delay=timedelta(0), expires_at=None) -> OutboxMessage:
    """Add a job to the outbox, in the caller's transaction, due after ``delay``: the sender
    hands it to the handler of ``kind``, which decides what, if anything, to send to
    ``address``. Its commit wakes no sender: a job waits for a sender's next look, whose time
    has nothing to do with the request that wrote it."""
    return _add(
        message_id=f"job.{uuid.uuid4().hex}",
        kind=kind,
        recipient=address,
        content="",
        send_after=utcnow() + delay,
        expires_at=expires_at,
    )


def finish_job(row, sender) -> bool:
    """Delete the job ``row``, in the caller's transaction, if ``sender`` still holds it."""
    Message = OutboxMessage
    deleted = db.session.execute(
        delete(Message)
        .where(Message.id == row.id, Message.status == SENDING, Message.claimed_by == sender)
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount == 1
