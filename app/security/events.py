"""Request ids and the security event log: one JSON line per event.

A line holds the event, the time, the user or the attempted login, the client IP and the
request id. Never a password, a hash, a cookie or a token.
"""

import json
import logging
import re
import uuid

from flask import current_app, g, has_request_context, request
from flask_login import current_user

from app.common.time import utcnow
from app.security.client import client_ip

logger = logging.getLogger("app.security")

REQUEST_ID_HEADER = "X-Request-ID"
# A trusted proxy's request id is kept when it is short and plain, so that log lines can be
# joined. From anyone else it is ignored: a client could reuse another request's id.
_SAFE_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._-]{1,64}\Z")
MAX_LOGGED_LOGIN_LEN = 254

SIGNUP = "signup"
LOGIN_OK = "login_ok"
LOGIN_FAILED = "login_failed"
THROTTLED = "throttled"
LOGOUT = "logout"
PASSWORD_CHANGED = "password_changed"
PASSWORD_CHANGE_FAILED = "password_change_failed"
SESSION_REVOKED = "session_revoked"


def request_id() -> str:
    if "request_id" not in g:
        incoming = ""
        if int(current_app.config["TRUSTED_PROXIES"]) > 0:
            incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


def security_event(event: str, user=None, login=None, **details) -> None:
    """Log ``event`` as one structured line."""
    record = {"event": event, "time": utcnow().isoformat(timespec="milliseconds")}
    if user is not None:
        record["user_id"] = user.id
        record["user_name"] = user.user_name
    if login is not None:
        record["login"] = login[:MAX_LOGGED_LOGIN_LEN]
    if has_request_context():
        record["ip"] = client_ip()
        record["request_id"] = request_id()
    record.update(details)
    # json.dumps escapes newlines and control characters: one event stays one line.
    logger.info(json.dumps(record, sort_keys=True))


def log_route_breach(request_limit):
    """Flask-Limiter's ``on_breach``: a route limit (per IP or per user) was exceeded."""
    user = current_user if current_user.is_authenticated else None
    security_event(THROTTLED, user=user, path=request.path, limit=str(request_limit.limit))


def register(app):
    """Give every request an id and echo it in the answer; send events to the log."""
    logger.setLevel(app.config["SECURITY_LOG_LEVEL"])
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False

    @app.after_request
    def finish_request(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response
