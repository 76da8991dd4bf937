"""The outbox: each message is a row, written in the transaction of the change it announces,
and delivered later by a sender (``app.mail.sender``) that claims one row at a time.

A row is ``pending`` until a sender claims it (``sending``, for ``MAIL_CLAIM_TIMEOUT``), then
``sent`` or, after its last attempt, a permanent refusal, or once what it links to has expired,
``failed``. A claim is one ``UPDATE`` of a row that is still due, so two senders never take the
same one; a claim that outlives its timeout (a sender died mid-way) is due again, and counts
as an attempt. Once sent or given up, the content (which may hold a token's link) and the
details are emptied: the row stays as the record of what happened. A message for no account
(a deleted account's goodbye) forgets its address then too.

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

from flask import current_app
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    and_,
    case,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.common.time import as_utc, utcnow
from app.extensions import db
from app.users.constants import MAX_EMAIL_LEN

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_ERROR_LEN = 500
MAX_RETRY_DELAY = timedelta(days=1)


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


def _due(now):
    Message = OutboxMessage
    return or_(
        and_(Message.status == PENDING, Message.send_after <= now),
        and_(Message.status == SENDING, Message.claimed_until <= now),
    )


def claim(sender: str) -> OutboxMessage | None:
    """Claim the next due message for ``sender``, and commit; None when nothing is due. The row
    comes detached, as it was claimed, so that whatever its handling rolls back or deletes, the
    sender can still record the outcome."""
    Message = OutboxMessage
    now = utcnow()
    lease = timedelta(seconds=float(current_app.config["MAIL_CLAIM_TIMEOUT"]))
    # SKIP LOCKED lets parallel senders on PostgreSQL take different rows; the outer
    # condition, checked again on the locked row, is what keeps a row to one of them.
    next_due = (
        select(Message.id)
        .where(_due(now))
        .order_by(Message.send_after, Message.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed = db.session.scalar(
        update(Message)
        .where(Message.id == next_due, _due(now))
        .values(
            status=SENDING,
            claimed_by=sender,
            claimed_until=now + lease,
            attempts=Message.attempts + 1,
        )
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if claimed is None:
        return None
    row = db.session.get(Message, claimed)
    db.session.expunge(row)
    return row


def _finish(row, sender, **values):
    """Record the outcome of ``sender``'s attempt at ``row``, unless its claim was lost."""
    Message = OutboxMessage
    db.session.execute(
        update(Message)
        .where(Message.id == row.id, Message.status == SENDING, Message.claimed_by == sender)
        .values(claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _emptied():
    """What a row keeps once it is done with, sent or given up: no content (which may hold a
    link), no details (a notice's become ``""``: the row still says it was a notice), and for
    no account no address either."""
    Message = OutboxMessage
    return {
        "content": "",
        "details": case((Message.details.is_(None), None), else_=""),
        "recipient": case((Message.user_id.is_(None), ""), else_=Message.recipient),
    }


def mark_sent(row, sender):
    _finish(row, sender, status=SENT, sent_at=utcnow(), last_error=None, **_emptied())


def give_up(row, sender, error: str):
    """End ``row`` as failed, emptied: its link, if any, must not outlive it in the database."""
    _finish(row, sender, status=FAILED, last_error=error[:MAX_ERROR_LEN], **_emptied())


def mark_failed(row, sender, error: str, permanent=False) -> str:
    """Try again later, after a delay that doubles with each attempt; or give up, after the
    last attempt, when the link would expire first, or at once for a ``permanent`` refusal."""
    config = current_app.config
    now = utcnow()
    delay = timedelta(seconds=float(config["MAIL_RETRY_DELAY"]) * 2 ** (row.attempts - 1))
    retry_at = now + min(delay, MAX_RETRY_DELAY)
    last = (
        permanent
        or row.attempts >= int(config["MAIL_MAX_ATTEMPTS"])
        or (row.expires_at is not None and as_utc(row.expires_at) <= retry_at)
    )
    if last:
        give_up(row, sender, error)
        return FAILED
    _finish(row, sender, status=PENDING, send_after=retry_at, last_error=error[:MAX_ERROR_LEN])
    return PENDING


def is_expired(row) -> bool:
    return row.expires_at is not None and as_utc(row.expires_at) <= utcnow()


def is_spent(row) -> bool:
    """True once ``row`` was claimed more often than ``MAIL_MAX_ATTEMPTS``: senders that
    died while they held it (on this very message, perhaps) spent its attempts."""
    return row.attempts > int(current_app.config["MAIL_MAX_ATTEMPTS"])


def purge(older_than: timedelta) -> int:
    """Delete the sent and failed rows made more than ``older_than`` ago; how many went."""
    Message = OutboxMessage
    result = db.session.execute(
        delete(Message).where(
            Message.status.in_((SENT, FAILED)), Message.created_at <= utcnow() - older_than
        )
    )
    db.session.commit()
    return result.rowcount
