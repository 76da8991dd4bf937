"""The end of every login, whatever proved who it is: the trail, the session, the event."""

from flask import current_app

from app.accounts import addresses
from app.common import messages
from app.common.refusals import Refusal
from app.extensions import db
from app.security.client import client_ip
from app.security.events import LOGIN_DISABLED, LOGIN_FAILED, LOGIN_OK, security_event
from app.sessions import cookie

PASSWORD = "password"


def admit(user):
    """Refuse, after a proof that was right, what may not log in: a disabled account, and,
    where ``REQUIRE_CONFIRMED_EMAIL`` is on, one whose address is not confirmed yet."""
    if not user.is_active:
        security_event(LOGIN_DISABLED, user=user)
        raise Refusal(403, messages.ACCOUNT_DISABLED, messages.ACCOUNT_DISABLED_TYPE)
    if current_app.config["REQUIRE_CONFIRMED_EMAIL"] and user.email_confirmed_at is None:
        addresses.refuse_unconfirmed(user)


def finish_login(user, remember, new_hash=None, method=PASSWORD) -> str:
    """Write the trail (and a rehash) and start ``user``'s session, committing them with the
    caller's changes; the new CSRF token.

    The trail, the rehash and the new session commit together, and only while the password
    that was checked is still the stored one: a login racing a password change loses.
    """
    if not user.record_login(client_ip(), new_hash):
        security_event(LOGIN_FAILED, user=user, reason="password_changed")
        raise Refusal(401, messages.INVALID_CREDENTIALS)
    change = cookie.start(user, remember)
    db.session.commit()
    token = change.hand_over()
    details = {} if method == PASSWORD else {"method": method}
    security_event(LOGIN_OK, user=user, remember=remember, **details)
    return token
