"""The session records: their lifetimes, and adding, listing, revoking and purging them.

Nothing here reads the request or the cookie (``app.sessions.cookie`` does). Every function
works on records in the caller's transaction, and leaves the commit to the flow that calls
it; only the purge commits, batch by batch (``app.database.delete_in_batches``).
"""

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from app.common.time import as_utc, utcnow
from app.database import delete_in_batches
from app.extensions import db
from app.sessions.models import AuthSession, hash_token
from app.users.models import User

# What secrets.token_urlsafe makes. Anything else names no session, and must not reach the
# database: PostgreSQL refuses a NUL in a text parameter with an error.
PUBLIC_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def duration(key) -> timedelta:
    """A config duration, given as a timedelta or (from the environment) in seconds."""
    value = current_app.config[key]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def is_expired(record, now) -> bool:
    """True when the record is past its absolute lifetime or, without remember-me, idle."""
    age = now - as_utc(record.created_at)
    if record.remember:
        return age >= current_app.permanent_session_lifetime
    idle = now - as_utc(record.last_seen_at)
    return age >= duration("SESSION_ABSOLUTE_LIFETIME") or idle >= duration("SESSION_IDLE_TIMEOUT")


def is_live(record, credential_version, now) -> bool:
    """True when ``record`` is a session still honoured for a user of ``credential_version``."""
    return record.credential_version == credential_version and not is_expired(record, now)


def touch(record, now):
    """Write ``now`` as the record's last-seen time."""
    db.session.execute(
        update(AuthSession).where(AuthSession.id == record.id).values(last_seen_at=now)
    )


def add(user, remember, ip, user_agent, credential_version, created_at=None, verified_at=None):
    """A new record for ``user``; ``(record, token)``, the token to hand to the client."""
    record, token = AuthSession.issue(
        user, remember, ip, user_agent, credential_version, created_at, verified_at
    )
    db.session.add(record)
    return record, token


def delete_by_token(token):
    """Delete the record of ``token``, in the caller's transaction."""
    db.session.execute(delete(AuthSession).where(AuthSession.token_hash == hash_token(token)))


def end_all_from(current, user) -> bool:
    """Delete every record of ``user``, in the caller's transaction, if ``current`` (one of them)
    is still there to delete; False, with nothing deleted, when another request ended it first.
    """
    # By its public id too: SQLite gives a deleted row's id to the next insert, which may be
    # another request's new session.
    ends_current = delete(AuthSession).where(
        AuthSession.id == current.id, AuthSession.public_id == current.public_id
    )
    if db.session.execute(ends_current).rowcount != 1:
        return False
    end_all(user)
    return True


def mark_verified(record, now) -> bool:
    """Record that the user of ``record`` proved who they are at ``now``; False when the
    record is gone (ended by another request)."""
    statement = (
        update(AuthSession)
        .where(AuthSession.id == record.id, AuthSession.public_id == record.public_id)
        .values(verified_at=now)
    )
    return db.session.execute(statement).rowcount == 1


def end_all(user):
    """Delete every record of ``user``, in the caller's transaction."""
    db.session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))


def live_of(user_id, credential_version):
    """The sessions still honoured for the user of ``user_id`` whose credential version is
    ``credential_version``, newest first."""
    records = db.session.scalars(
        select(AuthSession)
        .where(AuthSession.user_id == user_id)
        .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
    ).all()
    now = utcnow()
    return [record for record in records if is_live(record, credential_version, now)]


def listed(user_id, credential_version, current=None) -> list[dict]:
    """The public views of the user's live sessions (``live_of``), newest first, marking the
    one of ``current``, this request's record: the user's own list, their export, and an
    operator's view (where none is current) show sessions alike."""
    current_id = None if current is None else current.id
    records = live_of(user_id, credential_version)
    return [record.to_json(current=record.id == current_id) for record in records]


def revoke(current, public_id: str) -> bool:
    """End the session ``public_id`` of the user of ``current``; False when there is no live
    session such.

    An expired record, or one of an older credential version, is no session (it is never
    honoured or listed), so it answers like an unknown id; the dead record is deleted all the
    same.
    """
    if not PUBLIC_ID_SHAPE.fullmatch(public_id):
        return False
    record = db.session.scalar(
        select(AuthSession).where(
            AuthSession.user_id == current.user_id, AuthSession.public_id == public_id
        )
    )
    if record is None:
        return False
    db.session.delete(record)
    return is_live(record, current.credential_version, utcnow())


def purge_expired() -> int:
    """Delete every record past its lifetime or its credential version, in batches; return
    how many went."""
    now = utcnow()
    current_version = (
        select(User.credential_version).where(User.id == AuthSession.user_id).scalar_subquery()
    )
    remembered = AuthSession.remember.is_(True)
    expired = or_(
        AuthSession.credential_version != current_version,
        and_(remembered, AuthSession.created_at <= now - current_app.permanent_session_lifetime),
        and_(
            ~remembered,
            or_(
                AuthSession.created_at <= now - duration("SESSION_ABSOLUTE_LIFETIME"),
                AuthSession.last_seen_at <= now - duration("SESSION_IDLE_TIMEOUT"),
            ),
        ),
    )
    return delete_in_batches(AuthSession, expired)
