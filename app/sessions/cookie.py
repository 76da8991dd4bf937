"""The request's side of sessions: the cookie's record, and starting, rotating and ending it.

The signed Flask cookie carries only the session token (under ``SESSION_KEY``) and the CSRF
token; the record (``app.sessions.store``) decides whether the token is still good. A new
session always comes with a fresh cookie and a new CSRF token, and the cookie is touched only
once the record's commit succeeded, so a failure leaves the old session as it was.
"""

import secrets
from dataclasses import replace

from flask import current_app, g, request, session
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.common.refusals import not_logged_in
from app.common.time import as_utc, utcnow
from app.extensions import db
from app.security.client import client_ip
from app.sessions import store
from app.sessions.lookup import find_by_token_hash
from app.sessions.models import TOKEN_BYTES, hash_token

SESSION_KEY = "sid"
# A login that waits for its second factor (``app.mfa.pending``): no session yet.
PENDING_KEY = "mfa"
# A random name of this browser, for a passkey sign-in's challenge before any session.
BROWSER_KEY = "pk"


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
    if record is None or store.is_expired(record, now):
        return None
    if now - as_utc(record.last_seen_at) >= store.duration("SESSION_TOUCH_INTERVAL"):
        # Touch at most once per interval, so reads do not turn into writes.
        store.touch(record, now)
        record = replace(record, last_seen_at=now)
    return record


def current_account():
    """The ORM ``User`` of this request's session, for a flow that changes it."""
    record = current_record()
    user = current_user.load()
    if user is None or user.credential_version != record.credential_version:
        # Deleted, or its password changed, since the session was read: the session ended.
        db.session.rollback()
        raise not_logged_in()
    return user


def start(user, remember: bool) -> str:
    """Replace this request's session with a new one for ``user`` (an ORM ``User``), with the
    caller's pending changes in the same commit; the new CSRF token.

    The new record carries the credential version that ``user`` was loaded with: the version
    of the password that was just checked.
    """
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        store.delete_by_token(token)
    return _issue(user, remember, user.credential_version)


def restart_alone(user, verified=False) -> str:
    """End every session of ``user`` (an ORM ``User``), then go on in a rotated one; the new
    CSRF token.

    The rotated record keeps the current one's remember-me flag and absolute lifetime, at the
    credential version ``user`` holds: the current one's, or the new one after a password
    change. It happens only while that version is still the stored one (``hold_if_current``
    locks the user's row for it), and only if this very transaction deletes the current
    record: when another request moved the version or ended the record first (a password
    change, a logout), the answer is a 401 and nothing changes. ``verified``: the user just
    proved who they are (a password change), else the current record's last proof carries over.
    """
    current = current_record()
    if not user.hold_if_current() or not store.end_all_from(current, user):
        db.session.rollback()
        raise not_logged_in()
    return _issue(
        user,
        current.remember,
        user.credential_version,
        created_at=current.created_at,
        verified_at=None if verified else current.verified_at,
    )


def pending_token() -> str | None:
    """The token of the login this cookie waits to finish with a second factor, if any."""
    token = session.get(PENDING_KEY)
    return token if isinstance(token, str) else None


def browser_nonce() -> str:
    """This cookie's random name for a challenge (made on first use): whoever holds another
    cookie cannot answer the challenge handed to this one."""
    nonce = session.get(BROWSER_KEY)
    if not isinstance(nonce, str):
        nonce = session[BROWSER_KEY] = secrets.token_urlsafe(TOKEN_BYTES)
    return nonce


def end(pending_token=None) -> str:
    """End this request's session on the server and in the cookie, committing the caller's
    changes with it; the new CSRF token. The fresh cookie names ``pending_token``'s waiting
    login, if given (``app.mfa.pending``)."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        store.delete_by_token(token)
    db.session.commit()
    logout_user()
    g.auth_session = None
    return _rotate_cookie(None, False, pending_token)


def _issue(user, remember, credential_version, created_at=None, verified_at=None) -> str:
    record, token = store.add(
        user,
        remember,
        client_ip(),
        request.user_agent.string,
        credential_version,
        created_at,
        verified_at,
    )
    g.auth_session = record
    return _rotate_cookie(token, remember)


def _rotate_cookie(token, remember: bool, pending_token=None) -> str:
    """Start a fresh cookie session (no fixation) holding ``token`` (or ``pending_token``)
    and a new CSRF token."""
    session.clear()
    # generate_csrf() caches the token in g for the request; drop it, or the old one returns.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    if token is not None:
        session[SESSION_KEY] = token
    if pending_token is not None:
        session[PENDING_KEY] = pending_token
    if remember:
        # Only then: ``permanent = False`` would put a ``_permanent`` key in the cookie.
        session.permanent = True
    return generate_csrf()
