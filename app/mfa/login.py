"""Pending logins: begun by the right password, finished by a second factor.

The right password begins a pending login (``app.mfa.pending``), never a session. A code, a
recovery code or a passkey finishes it through the same ending as a password login
(``app.accounts.logins``). Each code tried counts against the account's code limit
(``MFA_FAILURE_LIMIT``), never against its password counts; a passkey, which cannot be
guessed, counts against neither. Too many wrong tries end the pending login.
"""

from functools import partial

from sqlalchemy import select

from app.accounts import mailings
from app.accounts.checks import code_checked
from app.accounts.logins import finish_login
from app.common import messages
from app.common.refusals import Refusal
from app.extensions import db
from app.mfa import pending, recovery_codes, totp
from app.passkeys import store as passkey_store
from app.security.events import (
    MFA_FAILED,
    MFA_LOGIN_ENDED,
    MFA_REQUIRED,
    RECOVERY_CODE_USED,
    security_event,
)
from app.users.models import User

TOTP, WEBAUTHN, RECOVERY_CODE = "totp", "webauthn", "recovery_code"


def methods_of(user) -> list[str]:
    """The second factors that ``user`` (or None) can finish a login with; none: no pending
    login. Recovery codes stand in for any of them."""
    if user is None:
        return []
    # One read for both: after a login's hash, each round trip adds to its answer's time.
    on = db.session.execute(select(totp.is_enabled(user.id), passkey_store.has_any(user.id))).one()
    methods = [method for method, is_on in zip((TOTP, WEBAUTHN), on, strict=True) if is_on]
    return [*methods, RECOVERY_CODE] if methods else []


def begin(user, remember, new_hash=None) -> str:
    """Begin ``user``'s pending login, with the rehash of the password just checked; the new
    CSRF token."""
    if new_hash is not None and not user.store_rehash(new_hash):
        raise Refusal(401, messages.INVALID_CREDENTIALS)
    change = pending.begin(user, remember)
    db.session.commit()
    token = change.hand_over()
    security_event(MFA_REQUIRED, user=user)
    return token


def check(user, code=None, recovery_code=None) -> bool:
    """Accept ``code`` or use up ``recovery_code`` for ``user``, in the caller's transaction."""
    if code:
        return totp.accept(user.id, code)
    return bool(recovery_code) and recovery_codes.use(user.id, recovery_code)


def _ended(message) -> Refusal:
    """The 401 of a second step with no pending login (any more) to finish: start again."""
    return Refusal(401, message, messages.LOGIN_ENDED_TYPE)


def pending_with_user():
    """This cookie's pending login and its user; a 401 when there is none (any more)."""
    record = pending.current()
    user = db.session.get(User, record.user_id) if record is not None else None
    if user is None or user.credential_version != record.credential_version:
        raise _ended(messages.MFA_NOT_PENDING)
    return record, user


def verify(code=None, recovery_code=None) -> tuple[User, str]:
    """Finish this cookie's pending login with ``code`` or ``recovery_code``."""
    method = TOTP if code else RECOVERY_CODE

    def counted_check(_record, user):
        return code_checked(user, partial(check, user, code, recovery_code))

    return finish(method, counted_check)


def finish(method, check_proof) -> tuple[User, str]:
    """Finish this cookie's pending login with the proof of ``method`` that ``check_proof``
    checks (given the pending login and its user, in the caller's transaction); the user and
    the new session's CSRF token."""
    record, user = pending_with_user()
    # A rollback expires the loaded objects, and the record may be gone by then.
    record_id, token_hash, remember = record.id, record.token_hash, record.remember
    if not check_proof(record, user):
        # Nothing of the wrong proof stays; the failure counts, and commits alone.
        db.session.rollback()
        ended = pending.count_failure(record_id, token_hash)
        db.session.commit()
        security_event(MFA_LOGIN_ENDED if ended else MFA_FAILED, user=user, method=method)
        if ended:
            raise _ended(messages.MFA_LOGIN_ENDED)
        if method == WEBAUTHN:
            raise Refusal(401, messages.PASSKEY_REFUSED, messages.PASSKEY_REFUSED_TYPE)
        raise Refusal(401, messages.MFA_CODE_WRONG)
    # Only one request finishes a pending login: a second one, racing with the same proof,
    # finds it gone.
    if not pending.consume(record):
        raise _ended(messages.MFA_NOT_PENDING)
    if method == RECOVERY_CODE:
        mailings.send_mfa_notice(user, RECOVERY_CODE_USED, left=recovery_codes.left(user.id))
    token = finish_login(user, remember, method=method)
    if method == RECOVERY_CODE:
        security_event(RECOVERY_CODE_USED, user=user)
    return user, token
