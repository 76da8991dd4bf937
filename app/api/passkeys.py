"""The passkey views: list, add, rename and remove them, and use one to sign in without a
password, as a pending login's second factor, or to re-authenticate."""

from flask import Blueprint
from flask_login import login_required

from app.api.access import reauthenticated
from app.api.limits import per_client, per_user
from app.api.payload import validated
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.passkeys import flows as passkeys
from app.passkeys import uses
from app.passkeys.forms import CredentialForm, NameForm, NewPasskeyForm, SignInForm
from app.personal_tokens.scopes import ACCOUNT_READ, bearer
from app.sessions.cookie import current_account

passkeys_api = Blueprint("passkeys", __name__, url_prefix=f"{API_PREFIX}/auth")


@passkeys_api.get("/passkeys")
@bearer(ACCOUNT_READ)
@login_required
def list_passkeys():
    """List the user's passkeys (never their public keys)."""
    return success(messages.PASSKEYS_LISTED, data=passkeys.list_for(current_account()))


@passkeys_api.post("/passkeys/register/begin")
@reauthenticated
@per_user("PASSKEY_REGISTER_RATE_LIMIT")
def register_begin():
    """Hand out the creation options of a new passkey."""
    data = passkeys.begin_registration(current_account())
    return success(messages.PASSKEY_OPTIONS, data=data)


@passkeys_api.post("/passkeys/register/finish")
@reauthenticated
def register_finish():
    """Check the browser's answer and store the new passkey."""
    form = validated(NewPasskeyForm)
    data = passkeys.finish_registration(current_account(), form.credential.data, form.name.data)
    return success(messages.PASSKEY_ADDED, data=data, status=201)


@passkeys_api.patch("/passkeys/<public_id>")
@login_required
def rename(public_id):
    """Give one of the user's passkeys a new name."""
    data = passkeys.rename(current_account(), public_id, validated(NameForm).name.data)
    return success(messages.PASSKEY_RENAMED, data=data)


@passkeys_api.delete("/passkeys/<public_id>")
@reauthenticated
def remove(public_id):
    """Remove one of the user's passkeys."""
    passkeys.remove(current_account(), public_id)
    return success(messages.PASSKEY_REMOVED)


@passkeys_api.post("/passkeys/login/begin")
@per_client("PASSKEY_LOGIN_RATE_LIMIT")
def sign_in_begin():
    """Hand out the request options of a sign-in with a passkey and no password."""
    return success(messages.PASSKEY_OPTIONS, data=uses.begin_sign_in())


@passkeys_api.post("/passkeys/login/finish")
@per_client("PASSKEY_LOGIN_RATE_LIMIT")
def sign_in_finish():
    """Log in with a passkey alone, starting a new session."""
    form = validated(SignInForm)
    user, token = uses.finish_sign_in(form.credential.data, form.remember_me.data)
    return success(messages.LOGGED_IN, data=user.to_json(), csrf_token=token)


@passkeys_api.post("/mfa/webauthn/begin")
@per_client("MFA_VERIFY_RATE_LIMIT")
def second_factor_begin():
    """Hand out the request options of a pending login's second factor."""
    return success(messages.PASSKEY_OPTIONS, data=uses.begin_second_factor())


@passkeys_api.post("/mfa/webauthn/finish")
@per_client("MFA_VERIFY_RATE_LIMIT")
def second_factor_finish():
    """Finish a pending login with one of the user's passkeys."""
    user, token = uses.finish_second_factor(validated(CredentialForm).credential.data)
    return success(messages.LOGGED_IN, data=user.to_json(), csrf_token=token)


@passkeys_api.post("/reauthenticate/webauthn/begin")
@login_required
def reauthenticate_begin():
    """Hand out the request options of a re-authentication with a passkey."""
    return success(messages.PASSKEY_OPTIONS, data=uses.begin_reauthentication(current_account()))


@passkeys_api.post("/reauthenticate/webauthn/finish")
@login_required
def reauthenticate_finish():
    """Confirm it is still the user, with one of their own passkeys."""
    credential = validated(CredentialForm).credential.data
    uses.finish_reauthentication(current_account(), credential)
    return success(messages.REAUTHENTICATED)
