"""The sender's side of the outbox (``app.mail.outbox``): claiming a due row, recording how
the attempt went, and deleting old records.

A row is ``pending`` until a sender claims it (``sending``, for ``MAIL_CLAIM_TIMEOUT``), then
``sent`` or, after its last attempt, a permanent refusal, or once what it links to has expired,
``failed``. A claim is one ``UPDATE`` of a row that is still due, so two senders never take the
same one; a claim that outlives its timeout (a sender died mid-way) is due again, and counts
as an attempt. Once sent or given up, the content (which may hold a token's link) and the
details are emptied: the row stays as the record of what happened. A message for no account
(a deleted account's goodbye) forgets its address then too.

Each function works in the caller's transaction: the sender's round (``app.mail.sender``)
commits a claim before it sends, and each outcome as soon as it is known.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, or_, select, update

from app.common.time import as_utc, utcnow
from app.extensions import db
from app.mail.outbox import FAILED, MAX_ERROR_LEN, PENDING, SENDING, SENT, OutboxMessage

MAX_RETRY_DELAY = timedelta(days=1)


def _due(now):
    Message = OutboxMessage
    return or_(
        and_(Message.status == PENDING, Message.send_after <= now),
        and_(Message.status == SENDING, Message.claimed_until <= now),
    )


def claim(sender: str) -> OutboxMessage | None:
    """Claim the next due message for ``sender``; None when nothing is due. The row comes
    detached, as it was claimed, so that whatever its handling rolls back or deletes, the
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
    return result.rowcount
