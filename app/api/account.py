"""The account's own data: everything stored about it, as a file, and deleting it."""

from flask import Blueprint
from flask_login import login_required

from app.accounts import deletion, export
from app.api.access import reauthenticated
from app.api.payload import validated
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.sessions.cookie import current_account
from app.users.forms import DeleteAccountForm

account_api = Blueprint("account", __name__, url_prefix=f"{API_PREFIX}/auth")
# A browser that opens the answer saves it under this name.
EXPORT_DISPOSITION = 'attachment; filename="account-export.json"'


@account_api.get("/account/export")
@login_required
def export_account():
    """Answer everything stored about the user: profile, trail, sessions, MFA and passkeys."""
    body, status = success(messages.ACCOUNT_EXPORTED, data=export.export_own(current_account()))
    return body, status, {"Content-Disposition": EXPORT_DISPOSITION}


@account_api.post("/delete_account")
@reauthenticated
def delete_account():
    """Delete the user and everything stored about them; the session ends with it."""
    password = validated(DeleteAccountForm).password.data
    return success(
        messages.ACCOUNT_DELETED, csrf_token=deletion.delete_own(current_account(), password)
    )
