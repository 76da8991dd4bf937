"""The second factor: its state, TOTP set-up and removal, recovery codes, and the second
step of a login."""

from flask import Blueprint
from flask_login import login_required

from app.api.access import reauthenticated
from app.api.limits import per_client
from app.api.payload import validated
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.mfa import flows as mfa
from app.mfa import login as pending_login
from app.mfa.forms import CodeForm, ProofForm, SecondFactorForm
from app.personal_tokens.scopes import ACCOUNT_READ, bearer
from app.sessions.cookie import current_account

mfa_api = Blueprint("mfa", __name__, url_prefix=f"{API_PREFIX}/auth/mfa")


@mfa_api.get("")
@bearer(ACCOUNT_READ)
@login_required
def state():
    """Say which second factors are on, and how many recovery codes are left."""
    return success(messages.MFA_STATUS, data=mfa.state_of(current_account()))


@mfa_api.post("/totp/setup")
@reauthenticated
def totp_setup():
    """Make a new TOTP secret, waiting for its first code: the key, its URI, its QR code."""
    data = mfa.begin_totp_setup(current_account())
    return success(messages.TOTP_SETUP_STARTED, data=data)


@mfa_api.post("/totp/confirm")
@reauthenticated
def totp_confirm():
    """Turn TOTP on with a code of the new secret; answer the recovery codes, this once."""
    codes = mfa.confirm_totp(current_account(), validated(CodeForm).code.data)
    return success(messages.TOTP_ENABLED, data={"recovery_codes": codes})


@mfa_api.post("/totp/disable")
@reauthenticated
def totp_disable():
    """Turn TOTP off, with a code or the password."""
    form = validated(ProofForm)
    mfa.disable_totp(current_account(), form.password.data, form.code.data)
    return success(messages.TOTP_DISABLED)


@mfa_api.post("/recovery_codes")
@reauthenticated
def new_recovery_codes():
    """Replace every recovery code with new ones; answer them, this once."""
    codes = mfa.renew_recovery_codes(current_account())
    return success(messages.RECOVERY_CODES_RENEWED, data={"recovery_codes": codes})


@mfa_api.post("/verify")
@per_client("MFA_VERIFY_RATE_LIMIT")
def verify():
    """Finish a pending login with a code or a recovery code."""
    form = validated(SecondFactorForm)
    user, token = pending_login.verify(form.code.data, form.recovery_code.data)
    return success(messages.LOGGED_IN, data=user.to_json(), csrf_token=token)
