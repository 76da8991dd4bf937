"""The user's own sessions: list them, end one, end all the others."""

from flask import Blueprint, abort
from flask_login import current_user, login_required

from app.api.limits import per_user
from app.common import messages
from app.common.response import success
from app.security.events import LOGOUT, SESSION_REVOKED, security_event
from app.sessions import service as sessions

sessions_api = Blueprint("sessions", __name__, url_prefix="/api/auth")
# Ending sessions is throttled per user, both routes in one count: a stolen cookie must not be
# able to end its owner's new sessions as fast as they are made.
REVOKE_SCOPE = "session-revoke"


@sessions_api.get("/sessions")
@login_required
def list_sessions():
    """List the user's live sessions, marking the current one."""
    current = sessions.current_record()
    data = [
        record.to_json(current=record.id == current.id)
        for record in sessions.live_sessions(current)
    ]
    return success(messages.SESSIONS_LISTED, data=data)


@sessions_api.delete("/sessions/<public_id>")
@login_required
@per_user("SESSION_REVOKE_RATE_LIMIT", scope=REVOKE_SCOPE)
def delete_session(public_id):
    """End one of the user's sessions; ending the current one is a logout."""
    user = current_user._get_current_object()
    current = sessions.current_record()
    if public_id == current.public_id:
        token = sessions.end()
        security_event(LOGOUT, user=user)
        return success(messages.LOGGED_OUT, csrf_token=token)
    if not sessions.revoke(current, public_id):
        abort(404, messages.SESSION_NOT_FOUND)
    security_event(SESSION_REVOKED, user=user, session=public_id)
    return success(messages.SESSION_ENDED)


@sessions_api.post("/logout_all")
@login_required
@per_user("SESSION_REVOKE_RATE_LIMIT", scope=REVOKE_SCOPE)
def logout_all():
    """End every other session of the user; this one goes on, rotated."""
    user = sessions.current_account()
    token = sessions.restart_alone(user)
    security_event(SESSION_REVOKED, user=user, session="all-others")
    return success(messages.OTHER_SESSIONS_ENDED, csrf_token=token)
