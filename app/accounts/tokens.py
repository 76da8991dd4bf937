"""Tokens sent by mail: random, stored only as a hash, for one purpose, user and address.

A token is good while it is unused, unexpired, the newest of its purpose for its user, and
its user's password and address are the ones it was made for. Using it is one ``UPDATE``
that checks all of that, so two concurrent uses cannot both pass. Anything else (unknown,
malformed, another purpose's) is simply not found: every refusal looks the same.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, and_, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from app.common.time import utcnow
from app.extensions import db
from app.sessions.models import hash_token
from app.sessions.store import duration
from app.users.constants import MAX_EMAIL_LEN
from app.users.models import User

RESET_PASSWORD = "reset_password"
CONFIRM_EMAIL = "confirm_email"
CHANGE_EMAIL = "change_email"
LIFETIMES = {
    RESET_PASSWORD: "RESET_TOKEN_LIFETIME",
    CONFIRM_EMAIL: "CONFIRM_TOKEN_LIFETIME",
    CHANGE_EMAIL: "EMAIL_CHANGE_TOKEN_LIFETIME",
}
# The address a token was sent to must still be the account's, except for an email change,
# whose token was sent to the address it changes to.
BOUND_TO_CURRENT_EMAIL = {RESET_PASSWORD, CONFIRM_EMAIL}
TOKEN_BYTES = 32
# What secrets.token_urlsafe(TOKEN_BYTES) makes; anything else never reaches the database.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


class AccountToken(db.Model):
    __tablename__ = "account_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL_LEN))
    credential_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Redeemed:
    """What a good token names: its user, address and purpose."""

    user_id: int
    email: str
    purpose: str


def issue(user, purpose: str, email: str) -> tuple[str, datetime]:
    """A new token of ``purpose`` for ``user`` and ``email``, in the caller's transaction; it
    replaces the user's older ones of that purpose. The token and when it expires."""
    # Lock the user's row first: two requests at once must not leave two tokens behind.
    version = db.session.scalar(
        update(User)
        .where(User.id == user.id)
        .values(credential_version=User.credential_version)
        .returning(User.credential_version)
    )
    db.session.execute(
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.purpose == purpose)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    expires_at = now + duration(LIFETIMES[purpose])
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            email=email,
            credential_version=version,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def _good(token: str, purpose: str, now, user_id):
    """The condition that ``token`` is a good one of ``purpose`` at ``now`` (for the user
    ``user_id``, unless None)."""
    condition = and_(
        AccountToken.token_hash == hash_token(token),
        AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None),
        AccountToken.expires_at > now,
        AccountToken.credential_version
        == select(User.credential_version).where(User.id == AccountToken.user_id).scalar_subquery(),
    )
    if user_id is not None:
        condition = and_(condition, AccountToken.user_id == user_id)
    if purpose in BOUND_TO_CURRENT_EMAIL:
        current_email = select(User.email).where(User.id == AccountToken.user_id)
        condition = and_(condition, AccountToken.email == current_email.scalar_subquery())
    return condition


def _well_formed(token) -> bool:
    return isinstance(token, str) and TOKEN_SHAPE.fullmatch(token) is not None


def peek(token, purpose: str, user_id=None) -> Redeemed | None:
    """What ``token`` names if it is good now (and is ``user_id``'s), without using it up."""
    if not _well_formed(token):
        return None
    condition = _good(token, purpose, utcnow(), user_id)
    row = db.session.execute(
        select(AccountToken.user_id, AccountToken.email).where(condition)
    ).first()
    return Redeemed(row.user_id, row.email, purpose) if row else None


def redeem(token, purpose: str, user_id=None) -> Redeemed | None:
    """Use ``token`` up, in the caller's transaction, if it is good (and is ``user_id``'s):
    what it names; else None."""
    if not _well_formed(token):
        return None
    now = utcnow()
    row = db.session.execute(
        update(AccountToken)
        .where(_good(token, purpose, now, user_id))
        .values(used_at=now)
        .returning(AccountToken.user_id, AccountToken.email)
        .execution_options(synchronize_session=False)
    ).first()
    return Redeemed(row.user_id, row.email, purpose) if row else None


def confirmed_by(token, user_id=None) -> int | None:
    """The account whose address ``token`` confirmed (and that is ``user_id``'s): a used
    confirmation token, sent to the address its account still has, confirmed. Else None: a
    token of another purpose, of an address the account no longer has, or never used."""
    if not _well_formed(token):
        return None
    query = (
        select(AccountToken.user_id)
        .join(User, User.id == AccountToken.user_id)
        .where(
            AccountToken.token_hash == hash_token(token),
            AccountToken.purpose == CONFIRM_EMAIL,
            AccountToken.used_at.is_not(None),
            AccountToken.email == User.email,
            User.email_confirmed_at.is_not(None),
        )
    )
    if user_id is not None:
        query = query.where(AccountToken.user_id == user_id)
    return db.session.scalar(query)
