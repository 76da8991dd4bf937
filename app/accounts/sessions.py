"""Ending sessions: logging out, ending one of the user's sessions, ending all the others."""

from flask_login import current_user

from app.extensions import db
from app.security.events import LOGOUT, SESSION_REVOKED, security_event
from app.sessions import cookie, store


def log_out() -> str:
    """End this request's session; the token of the new, anonymous one."""
    user = current_user._get_current_object()
    change = cookie.end()
    db.session.commit()
    token = change.hand_over()
    security_event(LOGOUT, user=user)
    return token


def end_session(public_id) -> tuple[bool, str | None]:
    """End the user's session ``public_id``: ``(found, token)``, with the new token when it
    was the current one (a logout). With a bearer token, no session is current."""
    session = cookie.current_record()
    if session is not None and public_id == session.public_id:
        return True, log_out()
    found = store.revoke(cookie.current_credential(), public_id)
    # A dead record found by its id is deleted all the same.
    db.session.commit()
    if not found:
        return False, None
    security_event(SESSION_REVOKED, user=current_user, session=public_id)
    return True, None


def end_every_session():
    """End every session of the user, for a request made with a bearer token."""
    user = cookie.current_account()
    store.end_all(user)
    db.session.commit()
    security_event(SESSION_REVOKED, user=user, session="all")


def end_other_sessions() -> str:
    """End every other session of the user; this one goes on, rotated: its new token."""
    user = cookie.current_account()
    change = cookie.restart_alone(user)
    db.session.commit()
    token = change.hand_over()
    security_event(SESSION_REVOKED, user=user, session="all-others")
    return token
