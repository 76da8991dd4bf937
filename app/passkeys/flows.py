"""Managing one's passkeys: adding one, naming it, removing it, listing them.

No passkey is added before the account's address is confirmed (``app.mfa.flows``). An account
holds at most ``PASSKEY_MAX_PER_ACCOUNT``, and an account with no password keeps its last one.
A refused registration answers the one 401 of type "Passkey refused" (``refuse``), and its
challenge stays used up.
"""

from flask import current_app

from app.accounts import mailings
from app.common import messages
from app.common.refusals import Refusal, conflict, not_logged_in
from app.extensions import db
from app.mfa import recovery_codes
from app.mfa.flows import require_confirmed_address
from app.mfa.login import methods_of
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


def refuse(user=None, reason=None):
    """The one 401 of every passkey answer that is refused, whatever is wrong with it."""
    security_event(PASSKEY_REFUSED, user=user, reason=reason)
    raise Refusal(401, messages.PASSKEY_REFUSED, messages.PASSKEY_REFUSED_TYPE)


def session_owner() -> str:
    """The owner of this session's challenges."""
    return challenges.session_owner(cookie.current_record().public_id)


def list_for(user) -> list[dict]:
    return [passkey.to_json() for passkey in store.of_user(user.id)]


def _refuse_a_passkey_more(user):
    """The 409 of an account that holds ``PASSKEY_MAX_PER_ACCOUNT`` passkeys already."""
    if store.count(user.id) >= current_app.config["PASSKEY_MAX_PER_ACCOUNT"]:
        raise conflict(messages.PASSKEY_LIMIT_REACHED)


def begin_registration(user) -> dict:
    """The creation options of a new passkey for ``user``, its challenge kept for the session."""
    require_confirmed_address(user)
    _refuse_a_passkey_more(user)
    handle = store.handle_of(user)
    existing = store.of_user(user.id)
    challenge = challenges.issue(session_owner(), challenges.REGISTER)
    db.session.commit()
    return relying_party.creation_options(user, handle, challenge, existing)


def finish_registration(user, credential, name) -> dict:
    """Store the passkey of a registration answer; ``{"passkey", "recovery_codes"?}``, the
    codes when it is the account's first second factor."""
    challenge = challenges.take(session_owner(), challenges.REGISTER)
    # Used up, whatever the verdict.
    db.session.commit()
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
        raise not_logged_in()
    _refuse_a_passkey_more(user)
    first_factor = not methods_of(user)
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
        raise conflict(messages.PASSKEY_LAST_FACTOR)
    if not store.remove(passkey):
        raise Refusal(404, messages.PASSKEY_NOT_FOUND)
    if not methods_of(user):
        recovery_codes.remove_all(user.id)
    mailings.send_mfa_notice(user, PASSKEY_REMOVED, name=passkey.name)
    db.session.commit()
    security_event(PASSKEY_REMOVED, user=user, passkey=passkey.public_id)
