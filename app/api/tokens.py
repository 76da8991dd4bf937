"""The user's personal access tokens: make one (a session, lately re-authenticated), list
them, revoke one."""

from flask import Blueprint
from flask_login import current_user, login_required

from app.api.access import reauthenticated
from app.api.limits import per_user
from app.api.payload import validated
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.personal_tokens import flows
from app.personal_tokens.forms import TokenForm
from app.personal_tokens.scopes import ACCOUNT_READ, SESSIONS_WRITE, bearer
from app.sessions.cookie import current_account, current_credential

tokens_api = Blueprint("tokens", __name__, url_prefix=f"{API_PREFIX}/auth")


@tokens_api.post("/tokens")
@reauthenticated
@per_user("TOKEN_CREATE_RATE_LIMIT")
def create_token():
    """Make a token; it is in the answer this once, and never again."""
    user = current_account()
    form = validated(TokenForm, user=user)
    data, token = flows.create(
        user,
        current_credential().credential_version,
        form.name.data,
        form.scope_list(),
        form.days(),
    )
    return success(messages.TOKEN_CREATED, data={**data, "token": token}, status=201)


@tokens_api.get("/tokens")
@bearer(ACCOUNT_READ)
@login_required
def list_tokens():
    """List the user's live tokens, never the tokens themselves."""
    credential = current_credential()
    data = flows.listed(current_user, credential.credential_version)
    return success(messages.TOKENS_LISTED, data=data)


@tokens_api.delete("/tokens/<public_id>")
@bearer(SESSIONS_WRITE)
@login_required
def revoke_token(public_id):
    """Revoke one of the user's tokens (the one in use, too)."""
    flows.revoke(current_user, public_id)
    return success(messages.TOKEN_REVOKED)
