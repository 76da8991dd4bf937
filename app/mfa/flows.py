"""Managing one's second factor: its state, setting TOTP up, turning it off, new recovery
codes, and an operator's reset. Every change logs an event and sends a notice.

No second factor, and no passkey, is added before the account's address is confirmed:
someone who signs up with another person's address could otherwise leave one behind, and it
would still open the account (or lock its owner out) once the owner took it over with a
password reset, which confirms the address (account pre-hijacking).
"""

from app.accounts import mailings
from app.accounts.reauthentication import identity_proved
from app.common import messages
from app.common.refusals import FieldErrors, Refusal, conflict
from app.extensions import db
from app.mfa import pending, recovery_codes, totp
from app.mfa.login import TOTP, WEBAUTHN, methods_of
from app.passkeys import store as passkey_store
from app.security.events import (
    MFA_RESET,
    RECOVERY_CODES_RENEWED,
    TOTP_DISABLE_FAILED,
    TOTP_DISABLED,
    TOTP_ENABLED,
    TOTP_SETUP_STARTED,
    security_event,
)


def state_of(user) -> dict:
    """What is on for ``user``, and how many recovery codes are left."""
    methods = methods_of(user)
    left = recovery_codes.left(user.id) if methods else 0
    return {
        "totp": TOTP in methods,
        "webauthn": WEBAUTHN in methods,
        "recovery_codes_left": left,
        "methods": methods,
    }


def require_confirmed_address(user):
    """A 403 of type "Email not confirmed" unless ``user``'s address is confirmed; nothing
    changes."""
    if user.email_confirmed_at is None:
        raise Refusal(403, messages.CONFIRM_EMAIL_FIRST, messages.EMAIL_NOT_CONFIRMED_TYPE)


def begin_totp_setup(user) -> dict:
    """A new secret for ``user``, waiting for its first code: the secret, its URI, its QR code."""
    require_confirmed_address(user)
    if totp.enabled(user.id):
        raise conflict(messages.TOTP_ALREADY_ON)
    secret, uri, qr_code = totp.begin_setup(user)
    db.session.commit()
    security_event(TOTP_SETUP_STARTED, user=user)
    return {"secret": secret, "otpauth_uri": uri, "qr_code": qr_code}


def confirm_totp(user, code) -> list[str]:
    """Turn TOTP on with the first code of the waiting secret; the new recovery codes."""
    require_confirmed_address(user)
    if totp.enabled(user.id):
        raise conflict(messages.TOTP_ALREADY_ON)
    if not totp.has_pending_setup(user.id):
        raise conflict(messages.TOTP_NOT_SET_UP)
    if not totp.accept(user.id, code, confirmed=False):
        raise FieldErrors({"code": [messages.MFA_CODE_WRONG]})
    codes = recovery_codes.replace_all(user.id)
    mailings.send_mfa_notice(user, TOTP_ENABLED)
    db.session.commit()
    security_event(TOTP_ENABLED, user=user)
    return codes


def disable_totp(user, password=None, code=None):
    """Turn TOTP off, with the password or a code as proof."""
    if not totp.enabled(user.id):
        raise conflict(messages.TOTP_NOT_ON)
    # End the read: a password is checked next.
    db.session.commit()
    if not identity_proved(user, password, code):
        security_event(TOTP_DISABLE_FAILED, user=user)
        raise Refusal(403, messages.WRONG_CODE_OR_PASSWORD)
    totp.remove(user.id)
    # The recovery codes stand in for the passkeys too, while there are any.
    if not methods_of(user):
        recovery_codes.remove_all(user.id)
        pending.end_all(user.id)
    mailings.send_mfa_notice(user, TOTP_DISABLED)
    db.session.commit()
    security_event(TOTP_DISABLED, user=user)


def renew_recovery_codes(user) -> list[str]:
    """New recovery codes for ``user``, who has a second factor (TOTP or a passkey); every old
    one stops working."""
    if not methods_of(user):
        raise conflict(messages.TOTP_NOT_ON)
    codes = recovery_codes.replace_all(user.id)
    mailings.send_mfa_notice(user, RECOVERY_CODES_RENEWED)
    db.session.commit()
    security_event(RECOVERY_CODES_RENEWED, user=user)
    return codes


def reset(user) -> bool:
    """An operator's reset for a user who lost the device: every second factor off (TOTP,
    passkeys, recovery codes) and every pending login ended. False when there was none. The
    event, naming the operator, is ``app.admin.actions.reset_mfa``'s."""
    was_on = bool(methods_of(user))
    totp.remove(user.id)
    passkey_store.remove_all(user.id)
    recovery_codes.remove_all(user.id)
    pending.end_all(user.id)
    if was_on:
        mailings.send_mfa_notice(user, MFA_RESET)
    db.session.commit()
    return was_on
