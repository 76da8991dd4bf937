"""Logins with a second factor: begun by the right password, finished by a code.

The right password starts a waiting login (``app.mfa.pending``), never a session. A code,
or a recovery code, finishes it through the same ending as a password login
(``app.accounts.logins``). Each code tried counts against the account's code limit
(``MFA_FAILURE_LIMIT``), never against its password counts; a passkey, which cannot be
guessed, counts against neither. Too many wrong tries end the wait.
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
    """The second factors that ``user`` (or None) can finish a login with; none: no wait.
    Recovery codes stand in for any of them."""
    if user is None:
        return []
    # One read for both: after a login's hash, each round trip adds to its answer's time.
    on = db.session.execute(select(totp.is_enabled(user.id), passkey_store.has_any(user.id))).one()
    methods = [method for method, is_on in zip((TOTP, WEBAUTHN), on, strict=True) if is_on]
    return [*methods, RECOVERY_CODE] if methods else []


def begin(user, remember, new_hash=None) -> str:
    """Start ``user``'s login that waits for a second factor; the new CSRF token."""
    if new_hash is not None and not user.store_rehash(new_hash):
        db.session.rollback()
        raise Refusal(401, messages.INVALID_CREDENTIALS)
    token = pending.begin(user, remember)
    security_event(MFA_REQUIRED, user=user)
    return token


def check(user, code=None, recovery_code=None) -> bool:
    """Accept ``code`` or use up ``recovery_code`` for ``user``, in the caller's transaction."""
    if code:
        return totp.accept(user.id, code)
    return bool(recovery_code) and recovery_codes.use(user.id, recovery_code)


def _end(message):
    """The 401 of a second step with no login (any more) to finish: start again."""
    raise Refusal(401, message, messages.LOGIN_ENDED_TYPE)


def waiting():
    """The waiting login of this cookie and its user; a 401 when there is none (any more)."""
    record = pending.current()
    user = db.session.get(User, record.user_id) if record is not None else None
    if user is None or user.credential_version != record.credential_version:
        db.session.rollback()
        _end(messages.MFA_NOT_PENDING)
    return record, user


def verify(code=None, recovery_code=None) -> tuple[User, str]:
    """Finish this cookie's waiting login with ``code`` or ``recovery_code``."""
    method = TOTP if code else RECOVERY_CODE

    def counted_check(_record, user):
        return code_checked(user, partial(check, user, code, recovery_code))

    return finish(method, counted_check)


def finish(method, check_proof) -> tuple[User, str]:
    """Finish this cookie's waiting login with the proof of ``method`` that ``check_proof``
    checks (given the waiting record and its user, in the caller's transaction); the user and
    the new session's CSRF token."""
    record, user = waiting()
    # A rollback expires the loaded objects, and the record may be gone by then.
    record_id, token_hash, remember = record.id, record.token_hash, record.remember
    if not check_proof(record, user):
        db.session.rollback()
        ended = pending.count_failure(record_id, token_hash)
        security_event(MFA_LOGIN_ENDED if ended else MFA_FAILED, user=user, method=method)
        if ended:
            _end(messages.MFA_LOGIN_ENDED)
        if method == WEBAUTHN:
            raise Refusal(401, messages.PASSKEY_REFUSED, messages.PASSKEY_REFUSED_TYPE)
        raise Refusal(401, messages.MFA_CODE_WRONG)
    # Only one request finishes a wait: a second one, racing with the same proof, finds it gone.
    if not pending.consume(record):
        db.session.rollback()
        _end(messages.MFA_NOT_PENDING)
    if method == RECOVERY_CODE:
        mailings.send_mfa_notice(user, RECOVERY_CODE_USED, left=recovery_codes.left(user.id))
    token = finish_login(user, remember, method=method)
    if method == RECOVERY_CODE:
        security_event(RECOVERY_CODE_USED, user=user)
    return user, token
