"""The user's own sessions: list them, end one, end all the others."""

from flask import Blueprint
from flask_login import login_required

from app.accounts.sessions import end_every_session, end_other_sessions, end_session
from app.api.limits import per_user
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.common.refusals import Refusal
from app.personal_tokens.guard import current_token
from app.personal_tokens.scopes import SESSIONS_READ, SESSIONS_WRITE, bearer
from app.sessions import cookie, store

sessions_api = Blueprint("sessions", __name__, url_prefix=f"{API_PREFIX}/auth")
# Ending sessions is throttled per user, both routes in one count: a stolen cookie must not be
# able to end its owner's new sessions as fast as they are made.
REVOKE_SCOPE = "session-revoke"


@sessions_api.get("/sessions")
@bearer(SESSIONS_READ)
@login_required
def list_sessions():
    """List the user's live sessions, marking the current one (none, for a bearer token)."""
    credential = cookie.current_credential()
    current = cookie.current_record()
    data = store.listed(credential.user_id, credential.credential_version, current)
    return success(messages.SESSIONS_LISTED, data=data)


@sessions_api.delete("/sessions/<public_id>")
@bearer(SESSIONS_WRITE)
@login_required
@per_user("SESSION_REVOKE_RATE_LIMIT", scope=REVOKE_SCOPE)
def delete_session(public_id):
    """End one of the user's sessions; ending the current one is a logout."""
    found, token = end_session(public_id)
    if not found:
        raise Refusal(404, messages.SESSION_NOT_FOUND)
    if token is not None:
        return success(messages.LOGGED_OUT, csrf_token=token)
    return success(messages.SESSION_ENDED)


@sessions_api.post("/logout_all")
@bearer(SESSIONS_WRITE)
@login_required
@per_user("SESSION_REVOKE_RATE_LIMIT", scope=REVOKE_SCOPE)
def logout_all():
    """End every other session of the user; this one goes on, rotated. With a bearer token,
    every session ends."""
    if current_token() is not None:
        end_every_session()
        return success(messages.ALL_SESSIONS_ENDED)
    return success(messages.OTHER_SESSIONS_ENDED, csrf_token=end_other_sessions())
