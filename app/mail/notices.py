"""Notices, the messages that tell an account of a change: at most one message per account and
address per ``NOTICE_INTERVAL``, a burst merged into one.

A notice row is an outbox row whose ``details`` is not NULL: while it waits, the JSON of
``{"changes": [...], "more": n}``, each change ``{"kind", "at", "ip", "context"}``; once sent
or given up, ``""``. The first change goes out at once. A change within the interval after the
last notice went out waits in a held row, due when the interval is over; every later change
merges into the row that still waits (its details grow, and its message is composed again
with all of them, under a new ``Message-ID``, since it is a new message). So an address gets
one message per interval, however many changes, of whatever kinds, come in between.

Two changes of one account at once: each first locks the account's row (the no-op ``UPDATE``
that token issuing uses too), so they merge one after the other. A sender that claims the held
row meanwhile either claims it first (the merge's conditional ``UPDATE`` then finds it no longer
``pending``, and the change waits in a new row, an interval later) or after the merge commits
(on PostgreSQL ``SKIP LOCKED`` passes over the row while the merge holds it; SQLite has one
writer at a time).
"""

import json
from datetime import datetime

from sqlalchemy import and_, or_, select, update

from app.common.time import as_utc, utcnow
from app.extensions import db
from app.mail.compose import compose
from app.mail.outbox import PENDING, SENDING, SENT, OutboxMessage, enqueue, serialized
from app.sessions.store import duration
from app.users.keys import email_key
from app.users.models import User

NOTICE_TEMPLATE = "notice"
# The kind of a notice whose changes are of several kinds.
MIXED = "notices"
# At most this many changes are listed; the later ones of a burst are counted only.
MAX_LISTED = 20


def queue(user, change: dict):
    """Queue ``change`` for ``user``'s address, in the caller's transaction: at once, merged
    into the notice that still waits, or held until an interval after the last one."""
    _lock(user)
    now = utcnow()
    recent = _recent(user, now)
    held = next((row for row in recent if row.status == PENDING), None)
    if held is not None and _merge(user, held, change):
        return
    went = [as_utc(row.sent_at) if row.status == SENT else now for row in recent]
    due = max(went) + duration("NOTICE_INTERVAL") if went else now
    _add(user, {"changes": [change], "more": 0}, max(due, now))


def _lock(user):
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(credential_version=User.credential_version)
        .execution_options(synchronize_session=False)
    )


def _recent(user, now) -> list[OutboxMessage]:
    """The account's notices to its address that wait, are going out, or went out within the
    interval."""
    Message = OutboxMessage
    since = now - duration("NOTICE_INTERVAL")
    rows = db.session.scalars(
        select(Message).where(
            Message.user_id == user.id,
            Message.details.is_not(None),
            or_(
                Message.status.in_((PENDING, SENDING)),
                and_(Message.status == SENT, Message.sent_at > since),
            ),
        )
    )
    key = email_key(user.email)
    return [row for row in rows if email_key(row.recipient) == key]


def _merge(user, row, change) -> bool:
    """Add ``change`` to the waiting notice ``row``; False if a sender took it meanwhile."""
    details = json.loads(row.details)
    if len(details["changes"]) < MAX_LISTED:
        details["changes"].append(change)
    else:
        details["more"] += 1
    kind, message = _message(user, details)
    Message = OutboxMessage
    merged = db.session.execute(
        update(Message)
        .where(Message.id == row.id, Message.status == PENDING)
        .values(
            kind=kind,
            message_id=message["Message-ID"],
            content=serialized(message),
            details=json.dumps(details),
        )
        .execution_options(synchronize_session=False)
    )
    return merged.rowcount == 1


def _add(user, details, send_after):
    kind, message = _message(user, details)
    enqueue(message, kind, user, details=json.dumps(details), send_after=send_after)


def _message(user, details):
    """The notice of ``details``'s changes: its kind (theirs, or ``MIXED``) and message."""
    changes = details["changes"]
    kinds = {change["kind"] for change in changes}
    kind = kinds.pop() if len(kinds) == 1 else MIXED
    message = compose(
        kind,
        user.email,
        template=NOTICE_TEMPLATE,
        user_name=user.user_name,
        changes=[_shown(change) for change in changes],
        more=details["more"],
    )
    return kind, message


def _shown(change) -> dict:
    """A stored change as the templates show it."""
    at = datetime.fromisoformat(change["at"])
    return {
        "kind": change["kind"],
        "when": at.strftime("%Y-%m-%d %H:%M UTC"),
        "ip": change["ip"],
        **change["context"],
    }
