"""Every use of a passkey as a proof: a sign-in with no password, a pending login's second
factor, and a re-authentication.

Each use takes this requester's challenge and commits, so that it is used up whatever the
verdict; finds the passkey the answer names (for a second factor or a re-authentication,
only among the user's own); checks the answer with py_webauthn; and moves the passkey's
counter forward in one conditional ``UPDATE``. Whatever fails, the answer is the one 401 of
type "Passkey refused", and nothing else changes. No use consults the password's failure
counts: a passkey cannot be guessed, and someone who only knows a user name must not be able
to lock its owner out of them.
"""

from app.accounts.logins import admit, finish_login
from app.accounts.reauthentication import proved_now
from app.common.refusals import Refusal
from app.extensions import db
from app.mfa import login as pending_login
from app.passkeys import challenges, relying_party, store
from app.passkeys.flows import refuse, session_owner
from app.passkeys.relying_party import Refused
from app.sessions import cookie
from app.sessions.models import hash_token
from app.users.models import User

PASSKEY = "passkey"


def _browser_owner():
    return f"browser:{hash_token(cookie.browser_nonce())}"


def _pending_login_owner(record):
    return challenges.pending_owner(record.token_hash)


def _checked(credential, challenge, purpose, user=None, verification_required=False):
    """The passkey an answer to ``challenge`` signed with, checked and its use recorded;
    ``refuse`` otherwise. With ``user``, only that user's passkeys count."""
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


def begin_sign_in() -> dict:
    """The request options of a sign-in with no password: any discoverable passkey, with
    user verification, answered from this browser."""
    challenge = challenges.issue(_browser_owner(), challenges.AUTHENTICATE)
    db.session.commit()
    return relying_party.request_options(challenge, verification_required=True)


def finish_sign_in(credential, remember):
    """Log in the user whose passkey signed this browser's challenge; the user and token."""
    challenge = challenges.take(_browser_owner(), challenges.AUTHENTICATE)
    # Used up, whatever the verdict.
    db.session.commit()
    passkey = _checked(credential, challenge, challenges.AUTHENTICATE, verification_required=True)
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
    record, user = pending_login.pending_with_user()
    if not store.count(user.id):
        refuse(user, challenges.SECOND_FACTOR)
    challenge = challenges.issue(_pending_login_owner(record), challenges.SECOND_FACTOR)
    db.session.commit()
    return relying_party.request_options(challenge, store.of_user(user.id))


def finish_second_factor(credential):
    """Finish this cookie's pending login with one of the user's passkeys."""

    def check(record, user):
        challenge = challenges.take(_pending_login_owner(record), challenges.SECOND_FACTOR)
        # Used up, whatever the verdict.
        db.session.commit()
        try:
            _checked(credential, challenge, challenges.SECOND_FACTOR, user)
        except Refusal:
            return False
        return True

    return pending_login.finish(pending_login.WEBAUTHN, check)


def begin_reauthentication(user) -> dict:
    challenge = challenges.issue(session_owner(), challenges.REAUTHENTICATE)
    db.session.commit()
    return relying_party.request_options(challenge, store.of_user(user.id))


def finish_reauthentication(user, credential):
    """A proof of identity with one of this user's own passkeys (never another user's)."""
    challenge = challenges.take(session_owner(), challenges.REAUTHENTICATE)
    # Used up, whatever the verdict.
    db.session.commit()
    _checked(credential, challenge, challenges.REAUTHENTICATE, user)
    proved_now(user, method=PASSKEY)
