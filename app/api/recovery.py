"""Password reset over mail: ask for a link, then set a new password with its token."""

from flask import Blueprint

from app.accounts import recovery
from app.api.limits import per_client
from app.api.payload import validated
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.users.forms import EmailForm, ResetPasswordForm

recovery_api = Blueprint("recovery", __name__, url_prefix=f"{API_PREFIX}/auth")


@recovery_api.post("/reset_password/request")
@per_client("RESET_RATE_LIMIT")
def request_reset():
    """Send a reset link to the account of this address; the same answer if there is none."""
    recovery.request_reset(validated(EmailForm).email.data)
    return success(messages.RESET_REQUESTED, status=202)


@recovery_api.post("/reset_password")
@per_client("RESET_RATE_LIMIT")
def reset_password():
    """Set a new password with a reset token; every session of the account ends."""
    recovery.reset_password(validated(ResetPasswordForm))
    return success(messages.PASSWORD_RESET)
