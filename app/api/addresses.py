"""The account's address: confirm it, send a new confirmation link, change it."""

from flask import Blueprint
from flask_login import login_required

from app.accounts import addresses
from app.api.access import reauthenticated
from app.api.limits import per_client, per_user
from app.api.payload import validated
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.sessions.cookie import current_account
from app.users.forms import ChangeEmailForm, TokenForm

addresses_api = Blueprint("addresses", __name__, url_prefix=f"{API_PREFIX}/auth")


@addresses_api.post("/confirm_email")
@per_client("LINK_RATE_LIMIT")
def confirm_email():
    """Confirm an address with the token of the link sent to it."""
    confirmed = addresses.confirm_email(validated(TokenForm).token.data)
    return success(messages.EMAIL_CONFIRMED if confirmed else messages.EMAIL_ALREADY_CONFIRMED)


@addresses_api.post("/confirm_email/resend")
@login_required
@per_user("CONFIRM_RESEND_RATE_LIMIT")
def resend_confirmation():
    """Send a new confirmation link to the logged-in user's address."""
    addresses.resend_confirmation(current_account())
    return success(messages.CONFIRMATION_SENT, status=202)


@addresses_api.post("/change_email")
@reauthenticated
@per_user("CHANGE_EMAIL_RATE_LIMIT")
def change_email():
    """Ask to change the address: a link goes to the new one, a notice to the old one."""
    user = current_account()
    addresses.request_email_change(user, validated(ChangeEmailForm))
    return success(messages.EMAIL_CHANGE_REQUESTED, status=202)


@addresses_api.post("/change_email/confirm")
@per_client("LINK_RATE_LIMIT")
def confirm_email_change():
    """Change the address to the one the link was sent to."""
    addresses.change_email(validated(TokenForm).token.data)
    return success(messages.EMAIL_CHANGED)
