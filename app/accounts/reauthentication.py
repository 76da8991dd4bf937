"""Re-authentication: a sensitive action needs a proof of identity in this session within
``REAUTHENTICATION_WINDOW``: the login itself, or a check of the password or a TOTP code
since.

The time is kept on the server-side session record (``verified_at``), never in the cookie.
"""

from functools import partial

from app.accounts.checks import account_password_checked, code_checked
from app.common import messages
from app.common.refusals import Refusal, not_logged_in
from app.common.time import as_utc, utcnow
from app.extensions import db
from app.mfa import totp
from app.security.events import REAUTHENTICATED, REAUTHENTICATION_FAILED, security_event
from app.sessions import cookie, store


def is_recent(record, now) -> bool:
    """True when the user of ``record`` proved who they are within the window."""
    return now - as_utc(record.verified_at) < store.duration("REAUTHENTICATION_WINDOW")


def require_recent():
    """A 403 of its own type unless this session's user proved who they are lately."""
    if not is_recent(cookie.current_record(), utcnow()):
        raise Refusal(
            403, messages.REAUTHENTICATION_REQUIRED, messages.REAUTHENTICATION_REQUIRED_TYPE
        )


def identity_proved(user, password=None, code=None) -> bool:
    """Check ``password``, or a TOTP ``code``, for ``user``. A password counts like a login,
    for both names of the account; a code on the account's code count, like a second step.
    An accepted code is used up in the caller's transaction. The caller has ended its
    transaction: a password check hashes."""
    if code:
        return code_checked(user, partial(totp.accept, user.id, code))
    return account_password_checked(user, password)


def reauthenticate(user, password=None, code=None):
    """Check ``password`` (or a TOTP ``code``) for the session's ``user``; on success the
    session's proof of identity is now."""
    # End the reads: a password is checked next.
    db.session.commit()
    if not identity_proved(user, password, code):
        security_event(REAUTHENTICATION_FAILED, user=user)
        raise Refusal(403, messages.MFA_CODE_WRONG if code else messages.WRONG_CURRENT_PASSWORD)
    proved_now(user, method="code" if code else "password")


def proved_now(user, method):
    """Record that the session's ``user`` just proved who they are by ``method``, committed
    with the caller's changes; a 401 when the session ended meanwhile."""
    if not store.mark_verified(cookie.current_record(), utcnow()):
        raise not_logged_in()
    db.session.commit()
    security_event(REAUTHENTICATED, user=user, method=method)
