"""Starting, resolving and ending server-side sessions.

The signed Flask cookie carries only the session token (under ``SESSION_KEY``) and the
CSRF token; the ``AuthSession`` record decides whether the token is still good.
"""

import re
from dataclasses import replace
from datetime import timedelta

from flask import abort, current_app, g, request, session
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import and_, delete, or_, select, update

from app.common import messages
from app.common.time import as_utc, utcnow
from app.extensions import db
from app.security.client import client_ip
from app.sessions.lookup import find_by_token_hash
from app.sessions.models import AuthSession, hash_token
from app.users.models import User

SESSION_KEY = "sid"
# What secrets.token_urlsafe makes. Anything else names no session, and must not reach the
# database: PostgreSQL refuses a NUL in a text parameter with an error.
PUBLIC_ID_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _duration(key) -> timedelta:
    """A config duration, given as a timedelta or (from the environment) in seconds."""
    value = current_app.config[key]
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def is_expired(record: AuthSession, now) -> bool:
    """True when the record is past its absolute lifetime or, without remember-me, idle."""
    age = now - as_utc(record.created_at)
    if record.remember:
        return age >= current_app.permanent_session_lifetime
    idle = now - as_utc(record.last_seen_at)
    return age >= _duration("SESSION_ABSOLUTE_LIFETIME") or idle >= _duration(
        "SESSION_IDLE_TIMEOUT"
    )


def current_record():
    """The live record behind this request's cookie, or None; looked up once per request."""
    if "auth_session" not in g:
        g.auth_session = _resolve()
    return g.auth_session


def _resolve():
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    record = find_by_token_hash(hash_token(token))
    now = utcnow()
    if record is None or is_expired(record, now):
        return None
    if now - as_utc(record.last_seen_at) >= _duration("SESSION_TOUCH_INTERVAL"):
        # Touch at most once per interval, so reads do not turn into writes.
        db.session.execute(
            update(AuthSession).where(AuthSession.id == record.id).values(last_seen_at=now)
        )
        # Close the transaction now: the view may hash a password next.
        db.session.commit()
        record = replace(record, last_seen_at=now)
    return record


def load_user(_request):
    """Flask-Login's request loader: the user of the live session record, if any."""
    record = current_record()
    return record.user if record is not None else None


def current_account():
    """The ORM ``User`` of this request's session, for a view that changes it."""
    record = current_record()
    user = current_user.load()
    if user is None or user.credential_version != record.credential_version:
        # Deleted, or its password changed, since the session was read: the session ended.
        db.session.rollback()
        abort(401, messages.NOT_LOGGED_IN)
    # End the read transaction: the view may hash a password next.
    db.session.commit()
    return user


def start(user, remember: bool) -> str:
    """Replace this request's session with a new one for ``user`` (an ORM ``User``).

    The new record carries the credential version that ``user`` was loaded with: the version
    of the password that was just checked. Returns the new CSRF token.

    Commits the caller's pending changes with the new record, and touches the cookie only
    once that commit succeeded, so a failure leaves the old session as it was.
    """
    _delete_cookie_record()
    return _issue(user, remember, user.credential_version)


def restart_alone(user) -> str:
    """End every session of ``user`` (an ORM ``User``), then go on in a rotated one.

    The rotated record keeps the current one's remember-me flag and absolute lifetime, at the
    credential version ``user`` holds: the current one's, or the new one after a password
    change. It happens only while that version is still the stored one, and the current
    record must be deleted by this very transaction: when another request moved the version
    or ended the record first (a password change, a logout), the answer is a 401 and nothing
    changes. Returns the new CSRF token.
    """
    current = current_record()
    # By its public id too: SQLite gives a deleted row's id to the next insert, which may be
    # another request's new session.
    ends_current = delete(AuthSession).where(
        AuthSession.id == current.id, AuthSession.public_id == current.public_id
    )
    if not user.hold_if_current() or db.session.execute(ends_current).rowcount != 1:
        db.session.rollback()
        abort(401, messages.NOT_LOGGED_IN)
    db.session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    return _issue(user, current.remember, user.credential_version, created_at=current.created_at)


def _issue(user, remember, credential_version, created_at=None) -> str:
    record, token = AuthSession.issue(
        user, remember, client_ip(), request.user_agent.string, credential_version, created_at
    )
    db.session.add(record)
    db.session.commit()
    g.auth_session = record
    return _rotate_cookie(token, remember)


def _is_live(record, current, now) -> bool:
    """True when ``record`` is a session still honoured beside ``current``, the request's."""
    return record.credential_version == current.credential_version and not is_expired(record, now)


def live_sessions(current):
    """The sessions still honoured for the user of ``current`` (a ``SessionView``), newest first."""
    records = db.session.scalars(
        select(AuthSession)
        .where(AuthSession.user_id == current.user_id)
        .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
    ).all()
    db.session.commit()
    now = utcnow()
    return [record for record in records if _is_live(record, current, now)]


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
        db.session.commit()
        return False
    db.session.delete(record)
    db.session.commit()
    return _is_live(record, current, utcnow())


def purge_expired() -> int:
    """Delete every record past its lifetime or its credential version; return how many went."""
    now = utcnow()
    remember_cutoff = now - current_app.permanent_session_lifetime
    absolute_cutoff = now - _duration("SESSION_ABSOLUTE_LIFETIME")
    idle_cutoff = now - _duration("SESSION_IDLE_TIMEOUT")
    current_version = (
        select(User.credential_version).where(User.id == AuthSession.user_id).scalar_subquery()
    )
    result = db.session.execute(
        delete(AuthSession).where(
            or_(
                AuthSession.credential_version != current_version,
                and_(AuthSession.remember.is_(True), AuthSession.created_at <= remember_cutoff),
                and_(
                    AuthSession.remember.is_(False),
                    or_(
                        AuthSession.created_at <= absolute_cutoff,
                        AuthSession.last_seen_at <= idle_cutoff,
                    ),
                ),
            )
        )
    )
    db.session.commit()
    return result.rowcount


def end() -> str:
    """End this request's session on the server and in the cookie; return the new CSRF token."""
    _delete_cookie_record()
    db.session.commit()
    logout_user()
    g.auth_session = None
    return _rotate_cookie(None, False)


def _delete_cookie_record():
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        db.session.execute(delete(AuthSession).where(AuthSession.token_hash == hash_token(token)))


def _rotate_cookie(token, remember: bool) -> str:
    """Start a fresh cookie session (no fixation) holding ``token`` and a new CSRF token."""
    session.clear()
    # generate_csrf() caches the token in g for the request; drop it, or the old one returns.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    if token is not None:
        session[SESSION_KEY] = token
    if remember:
        # Only then: ``permanent = False`` would put a ``_permanent`` key in the cookie.
        session.permanent = True
    return generate_csrf()
