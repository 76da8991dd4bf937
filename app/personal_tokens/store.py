"""The token records: adding, listing, revoking, ending and purging them, and the last use.

Every function works in the caller's transaction and leaves the commit to the flow that calls
it; only the purge commits, batch by batch (``app.database.delete_in_batches``).
"""

from sqlalchemy import delete, func, or_, select, update

from app.common.time import as_utc, utcnow
from app.database import delete_in_batches
from app.extensions import db
from app.personal_tokens.models import PersonalToken
from app.sessions.store import PUBLIC_ID_SHAPE
from app.users.models import User


def is_expired(record, now) -> bool:
    """True when ``record`` (a row or a ``TokenView``) is past its expiry."""
    return record.expires_at is not None and as_utc(record.expires_at) <= now


def add(user, name, scopes, expires_at, credential_version):
    """A new record for ``user``; ``(record, token)``, the token to show once."""
    record, token = PersonalToken.issue(user, name, scopes, expires_at, credential_version)
    db.session.add(record)
    return record, token


def _live(user_id, credential_version):
    return (
        select(PersonalToken)
        .where(
            PersonalToken.user_id == user_id,
            PersonalToken.credential_version == credential_version,
            or_(PersonalToken.expires_at.is_(None), PersonalToken.expires_at > utcnow()),
        )
        .order_by(PersonalToken.created_at.desc(), PersonalToken.id.desc())
    )


def count_live(user_id, credential_version) -> int:
    return db.session.scalar(
        select(func.count()).select_from(_live(user_id, credential_version).subquery())
    )


def listed(user_id, credential_version) -> list[dict]:
    """The public views of the user's live tokens, newest first."""
    records = db.session.scalars(_live(user_id, credential_version)).all()
    return [record.to_json() for record in records]


def revoke(user_id, public_id: str) -> PersonalToken | None:
    """Delete the token ``public_id`` of the user ``user_id``; the record, or None when the
    user has no such token."""
    if not PUBLIC_ID_SHAPE.fullmatch(public_id):
        return None
    record = db.session.scalar(
        select(PersonalToken).where(
            PersonalToken.user_id == user_id, PersonalToken.public_id == public_id
        )
    )
    if record is not None:
        db.session.delete(record)
    return record


def end_all(user_id) -> int:
    """Delete every token of the user ``user_id``; how many went."""
    statement = delete(PersonalToken).where(PersonalToken.user_id == user_id)
    return db.session.execute(statement).rowcount


def touch(token, now, ip):
    """Write ``now`` and ``ip`` as the token's last use."""
    db.session.execute(
        update(PersonalToken)
        .where(PersonalToken.id == token.id)
        .values(last_used_at=now, last_used_ip=ip)
    )


def purge_expired() -> int:
    """Delete every record past its expiry or its owner's credential version, in batches;
    return how many went."""
    current_version = (
        select(User.credential_version).where(User.id == PersonalToken.user_id).scalar_subquery()
    )
    dead = or_(
        PersonalToken.credential_version != current_version,
        PersonalToken.expires_at <= utcnow(),
    )
    return delete_in_batches(PersonalToken, dead)
