"""The passkey flows: adding, naming and removing one, and every use: a sign-in with no
password, a login's second factor, and re-authentication.

Each use takes this requester's challenge (used up and committed first, whatever the
verdict), finds the passkey the answer names (for a second factor or a re-authentication,
only among the user's own), checks the answer with py_webauthn and moves the passkey's
counter forward in one conditional ``UPDATE``. Whatever fails, the answer is the one 401 of
type "Passkey refused", and nothing else changes. No use consults the password's failure
counts: a passkey cannot be guessed, and someone who only knows a user name must not be able
to lock its owner out of them.
"""

from flask import current_app

from app.accounts import mailings, second_factor
from app.accounts.logins import admit, finish_login
from app.accounts.mfa import require_confirmed_address
from app.accounts.reauthentication import proved_now
from app.common import messages
from app.common.refusals import Refusal, conflict, not_logged_in
from app.extensions import db
from app.mfa import recovery_codes
from app.passkeys import challenges, relying_party, store
from app.passkeys.models import DEFAULT_NAME
from app.passkeys.relying_party import Refused
from app.security.events import (
    PASSKEY_ADDED,
    PASSKEY_REFUSED,
    PASSKEY_REMOVED,
    PASSKEY_RENAMED,
    security_event,
)
from app.sessions import cookie
from app.sessions.models import hash_token
from app.users.models import User

PASSKEY = "passkey"


def refuse(user=None, reason=None):
    db.session.rollback()
    security_event(PASSKEY_REFUSED, user=user, reason=reason)
    raise Refusal(401, messages.PASSKEY_REFUSED, messages.PASSKEY_REFUSED_TYPE)


def _session_owner():
    return challenges.session_owner(cookie.current_record().public_id)


def _browser_owner():
    return f"browser:{hash_token(cookie.browser_nonce())}"


def _pending_owner(record):
    return challenges.pending_owner(record.token_hash)


def _checked_use(credential, owner, purpose, user=None, verification_required=False):
    """The passkey an answer signed with, checked and its use recorded (uncommitted);
    ``refuse`` otherwise. With ``user``, only that user's passkeys count."""
    challenge = challenges.take(owner, purpose)
    try:
        if challenge is None:
            raise Refused
        # The id's shape and size first: nothing reads the database with a 16 KB id.
        credential_id = relying_party.credential_id_of(credential)
        passkey = store.by_credential_id(credential_id, None if user is None else user.id)
        if passkey is None:
            raise Refused
        new_count = relying_party.verify_use(credential, challenge, passkey, verification_required)
    except Refused:
        refuse(user, purpose)
    if not store.record_use(passkey, new_count):
        refuse(user, "sign_count")
    return passkey


# Managing


def list_for(user) -> list[dict]:
    passkeys = [passkey.to_json() for passkey in store.of_user(user.id)]
    db.session.commit()
    return passkeys


def _refuse_a_passkey_more(user):
    """The 409 of an account that holds ``PASSKEY_MAX_PER_ACCOUNT`` passkeys already."""
    if store.count(user.id) >= current_app.config["PASSKEY_MAX_PER_ACCOUNT"]:
        db.session.rollback()
        raise conflict(messages.PASSKEY_LIMIT_REACHED)


def begin_registration(user) -> dict:
    """The creation options of a new passkey for ``user``, its challenge kept for the session."""
    require_confirmed_address(user)
    _refuse_a_passkey_more(user)
    handle = store.handle_of(user)
    existing = store.of_user(user.id)
    challenge = challenges.issue(_session_owner(), challenges.REGISTER)
    return relying_party.creation_options(user, handle, challenge, existing)


def finish_registration(user, credential, name) -> dict:
    """Store the passkey of a registration answer; ``{"passkey", "recovery_codes"?}``, the
    codes when it is the account's first second factor."""
    challenge = challenges.take(_session_owner(), challenges.REGISTER)
    require_confirmed_address(user)
    try:
        if challenge is None:
            raise Refused
        new = relying_party.verify_new(credential, challenge)
    except Refused:
        refuse(user, challenges.REGISTER)
    # The user's row held until the commit: two registrations at once count one after the
    # other, so neither can pass the cap on the other's count (SQLite: the one writer).
    if not user.hold_if_current():
        db.session.rollback()
        raise not_logged_in()
    _refuse_a_passkey_more(user)
    first_factor = not second_factor.methods_of(user)
    if store.by_credential_id(new.credential_id) is not None:
        refuse(user, "known_credential")
    passkey = store.add(user, new, name)
    answer = {}
    if first_factor:
        answer["recovery_codes"] = recovery_codes.replace_all(user.id)
    mailings.send_mfa_notice(user, PASSKEY_ADDED, name=passkey.name)
    db.session.commit()
    security_event(PASSKEY_ADDED, user=user, passkey=passkey.public_id)
    return {"passkey": passkey.to_json(), **answer}


def _found(user, public_id):
    passkey = store.find(user.id, public_id)
    if passkey is None:
        db.session.rollback()
        raise Refusal(404, messages.PASSKEY_NOT_FOUND)
    return passkey


def rename(user, public_id, name) -> dict:
    passkey = _found(user, public_id)
    passkey.name = name or DEFAULT_NAME
    db.session.commit()
    security_event(PASSKEY_RENAMED, user=user, passkey=passkey.public_id)
    return passkey.to_json()


def remove(user, public_id):
    """Remove the user's passkey ``public_id``; never the last way into an account with no
    password. The recovery codes go with the last second factor."""
    passkey = _found(user, public_id)
    if not user.password and store.count(user.id) == 1:
        db.session.rollback()
        raise conflict(messages.PASSKEY_LAST_FACTOR)
    if not store.remove(passkey):
        db.session.rollback()
        raise Refusal(404, messages.PASSKEY_NOT_FOUND)
    if not second_factor.methods_of(user):
        recovery_codes.remove_all(user.id)
    mailings.send_mfa_notice(user, PASSKEY_REMOVED, name=passkey.name)
    db.session.commit()
    security_event(PASSKEY_REMOVED, user=user, passkey=passkey.public_id)


# Using


def begin_sign_in() -> dict:
    """The request options of a sign-in with no password: any discoverable passkey, with
    user verification, answered from this browser."""
    challenge = challenges.issue(_browser_owner(), challenges.AUTHENTICATE)
    return relying_party.request_options(challenge, verification_required=True)


def finish_sign_in(credential, remember):
    """Log in the user whose passkey signed this browser's challenge; the user and token."""
    owner = _browser_owner()
    passkey = _checked_use(credential, owner, challenges.AUTHENTICATE, verification_required=True)
    user = passkey_user(passkey, credential)
    # No failure count: only PASSKEY_LOGIN_RATE_LIMIT, per client, bounds these.
    admit(user)
    return user, finish_login(user, remember, method=PASSKEY)


def passkey_user(passkey, credential):
    """The owner of ``passkey``, who must be the user the answer names (its user handle)."""
    user = db.session.get(User, passkey.user_id)
    handle = relying_party.user_handle_of(credential)
    if user is None or handle is None or handle != user.passkey_handle:
        refuse(user, "user_handle")
    return user


def begin_second_factor() -> dict:
    record, user = second_factor.waiting()
    if not store.count(user.id):
        refuse(user, challenges.SECOND_FACTOR)
    challenge = challenges.issue(_pending_owner(record), challenges.SECOND_FACTOR)
    return relying_party.request_options(challenge, store.of_user(user.id))


def finish_second_factor(credential):
    """Finish this cookie's waiting login with one of the user's passkeys."""

    def check(record, user):
        try:
            _checked_use(credential, _pending_owner(record), challenges.SECOND_FACTOR, user)
        except Refusal:
            return False
        return True

    return second_factor.finish(second_factor.WEBAUTHN, check)


def begin_reauthentication(user) -> dict:
    challenge = challenges.issue(_session_owner(), challenges.REAUTHENTICATE)
    return relying_party.request_options(challenge, store.of_user(user.id))


def finish_reauthentication(user, credential):
    """A proof of identity with one of this user's own passkeys (never another user's)."""
    _checked_use(credential, _session_owner(), challenges.REAUTHENTICATE, user)
    proved_now(user, method=PASSKEY)
