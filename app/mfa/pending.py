"""Pending logins: logins that wait for their second factor, each a record of its own, named
by a token in the cookie under ``PENDING_LOGIN_KEY``. A pending login is no session: nothing
that needs a login accepts it, and it lives ``MFA_PENDING_LIFETIME`` for at most
``MFA_MAX_FAILURES`` wrong codes. Every function works in the caller's transaction.
"""

import secrets

from flask import current_app
from sqlalchemy import delete, select, update

from app.common.time import as_utc, utcnow
from app.database import delete_in_batches
from app.extensions import db
from app.mfa.models import PendingLogin
from app.sessions import cookie
from app.sessions.models import TOKEN_BYTES, hash_token
from app.sessions.store import duration


def begin(user, remember) -> cookie.CookieChange:
    """Replace this request's session, or earlier pending login, with a pending login of
    ``user``; the cookie change to hand over once the flow commits."""
    discard_current()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(
        PendingLogin(
            token_hash=hash_token(token),
            user_id=user.id,
            remember=bool(remember),
            credential_version=user.credential_version,
        )
    )
    return cookie.end(pending_login_token=token)


def _is_expired(record, now) -> bool:
    return now - as_utc(record.created_at) >= duration("MFA_PENDING_LIFETIME")


def current() -> PendingLogin | None:
    """The live pending login of this request's cookie, or None."""
    token = cookie.pending_login_token()
    if token is None:
        return None
    record = db.session.scalar(
        select(PendingLogin).where(PendingLogin.token_hash == hash_token(token))
    )
    if record is None or _is_expired(record, utcnow()):
        return None
    return record


def discard_current():
    """Delete the pending login of this request's cookie, if any."""
    token = cookie.pending_login_token()
    if token is not None:
        db.session.execute(delete(PendingLogin).where(PendingLogin.token_hash == hash_token(token)))


def count_failure(record_id, token_hash) -> bool:
    """Count one wrong code for the pending login ``record_id``; True when that ended it.

    One ``UPDATE``: parallel wrong codes each count, so a burst cannot overshoot.
    """
    failures = db.session.scalar(
        update(PendingLogin)
        .where(PendingLogin.id == record_id, PendingLogin.token_hash == token_hash)
        .values(failures=PendingLogin.failures + 1)
        .returning(PendingLogin.failures)
        .execution_options(synchronize_session=False)
    )
    ended = failures is None or failures >= current_app.config["MFA_MAX_FAILURES"]
    if ended:
        db.session.execute(delete(PendingLogin).where(PendingLogin.id == record_id))
    return ended


def consume(record) -> bool:
    """Delete ``record``; False when another request did first."""
    statement = delete(PendingLogin).where(
        PendingLogin.id == record.id, PendingLogin.token_hash == record.token_hash
    )
    return db.session.execute(statement).rowcount == 1


def end_all(user_id):
    """Delete every pending login of the user."""
    db.session.execute(delete(PendingLogin).where(PendingLogin.user_id == user_id))


def purge_expired() -> int:
    """Delete every pending login past its lifetime, in batches; how many went."""
    cutoff = utcnow() - duration("MFA_PENDING_LIFETIME")
    return delete_in_batches(PendingLogin, PendingLogin.created_at <= cutoff)
