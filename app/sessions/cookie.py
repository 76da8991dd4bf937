"""The request's side of sessions: the cookie's record, and starting, rotating and ending it.

The signed Flask cookie carries only the session token (under ``SESSION_KEY``) and the CSRF
token; the record (``app.sessions.store``) decides whether the token is still good. A new
session always comes with a fresh cookie and a new CSRF token.

Starting, rotating and ending a session take two steps, with the flow's commit between them:
``start``, ``restart_alone`` and ``end`` change the records in the caller's transaction and
return a ``CookieChange``; once the flow has committed, ``CookieChange.hand_over`` writes the
cookie and gives the new CSRF token. So a failed commit leaves the old cookie, and the old
session, as they were.

Resolving the cookie (``current_record``) is the one write here that commits on its own: the
last-seen time, at most once per ``SESSION_TOUCH_INTERVAL``, before the view's flow begins.
"""

import secrets
from dataclasses import dataclass, replace

from flask import current_app, g, request, session
from flask_login import current_user, logout_user
from flask_wtf.csrf import generate_csrf

from app.common.refusals import not_logged_in
from app.common.time import as_utc, utcnow
from app.extensions import db
from app.personal_tokens.guard import current_token
from app.security.client import client_ip
from app.sessions import store
from app.sessions.lookup import find_by_token_hash
from app.sessions.models import TOKEN_BYTES, hash_token

SESSION_KEY = "sid"
# A pending login, waiting for its second factor (``app.mfa.pending``): no session yet.
PENDING_LOGIN_KEY = "pending_login"
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
        db.session.commit()
        record = replace(record, last_seen_at=now)
    return record


def current_credential():
    """What this request is logged in with: its bearer token (a ``TokenView``) or its
    session record (a ``SessionView``); both name the ``user_id`` and the
    ``credential_version``. None when it is neither."""
    return current_token() or current_record()


def current_account():
    """The ORM ``User`` of this request's session or token, for a flow that reads or changes
    it."""
    credential = current_credential()
    user = current_user.load()
    if user is None or user.credential_version != credential.credential_version:
        # Deleted, or its password changed, since the credential was read: it has ended.
        raise not_logged_in()
    return user


@dataclass(frozen=True)
class CookieChange:
    """A session change whose records are written but not yet committed; ``hand_over``, once
    the flow's commit succeeded, puts it in the cookie."""

    token: str | None
    remember: bool = False
    record: object = None
    pending_login_token: str | None = None

    def hand_over(self) -> str:
        """Start a fresh cookie session (no fixation) with this change's token and a new CSRF
        token; the CSRF token."""
        if self.token is None:
            logout_user()
        g.auth_session = self.record
        session.clear()
        # generate_csrf() caches the token in g for the request; drop it, or the old one returns.
        g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
        if self.token is not None:
            session[SESSION_KEY] = self.token
        if self.pending_login_token is not None:
            session[PENDING_LOGIN_KEY] = self.pending_login_token
        if self.remember:
            # Only then: ``permanent = False`` would put a ``_permanent`` key in the cookie.
            session.permanent = True
        return generate_csrf()


def start(user, remember: bool) -> CookieChange:
    """Replace this request's session with a new one for ``user`` (an ORM ``User``), in the
    caller's transaction.

    The new record carries the credential version that ``user`` was loaded with: the version
    of the password that was just checked.
    """
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        store.delete_by_token(token)
    return _issue(user, remember, user.credential_version)


def restart_alone(user, verified=False) -> CookieChange:
    """End every session of ``user`` (an ORM ``User``) and go on in a rotated one, in the
    caller's transaction.

    The rotated record keeps the current one's remember-me flag and absolute lifetime, at the
    credential version ``user`` holds: the current one's, or the new one after a password
    change. It happens only while that version is still the stored one (``hold_if_current``
    locks the user's row for it), and only if this very transaction deletes the current
    record: when another request moved the version or ended the record first (a password
    change, a logout), it is a 401. ``verified``: the user just proved who they are (a
    password change), else the current record's last proof carries over.
    """
    current = current_record()
    if not user.hold_if_current() or not store.end_all_from(current, user):
        raise not_logged_in()
    return _issue(
        user,
        current.remember,
        user.credential_version,
        created_at=current.created_at,
        verified_at=None if verified else current.verified_at,
    )


def pending_login_token() -> str | None:
    """The token of this cookie's pending login, if any."""
    token = session.get(PENDING_LOGIN_KEY)
    return token if isinstance(token, str) else None


def browser_nonce() -> str:
    """This cookie's random name for a challenge (made on first use): whoever holds another
    cookie cannot answer the challenge handed to this one."""
    nonce = session.get(BROWSER_KEY)
    if not isinstance(nonce, str):
        nonce = session[BROWSER_KEY] = secrets.token_urlsafe(TOKEN_BYTES)
    return nonce


def end(pending_login_token=None) -> CookieChange:
    """End this request's session, in the caller's transaction. The fresh cookie that
    ``hand_over`` writes names ``pending_login_token``'s pending login, if given."""
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        store.delete_by_token(token)
    return CookieChange(None, pending_login_token=pending_login_token)


def _issue(user, remember, credential_version, created_at=None, verified_at=None):
    record, token = store.add(
        user,
        remember,
        client_ip(),
        request.user_agent.string,
        credential_version,
        created_at,
        verified_at,
    )
    return CookieChange(token, remember, record)
