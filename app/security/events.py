"""Security events: one JSON line each on the ``app.security`` logger (set up by ``app.log``).

A line holds the event, the time, the user or the attempted login, the client IP and the
request id. Never a password, a hash, a cookie or a token.
"""

import json
import logging

from flask import has_request_context, request
from flask_login import current_user

from app.common.time import utcnow
from app.log import SECURITY_LOGGER, request_id
from app.security.client import client_ip

logger = logging.getLogger(SECURITY_LOGGER)

MAX_LOGGED_LOGIN_LEN = 254

SIGNUP = "signup"
SIGNUP_EMAIL_TAKEN = "signup_email_taken"
LOGIN_OK = "login_ok"
LOGIN_FAILED = "login_failed"
THROTTLED = "throttled"
LOGOUT = "logout"
PASSWORD_CHANGED = "password_changed"
PASSWORD_CHANGE_FAILED = "password_change_failed"
SESSION_REVOKED = "session_revoked"
LOGIN_UNCONFIRMED = "login_refused_unconfirmed"
CONFIRMATION_SENT = "confirmation_sent"
EMAIL_CONFIRMED = "email_confirmed"
EMAIL_CHANGE_REQUESTED = "email_change_requested"
EMAIL_CHANGE_FAILED = "email_change_failed"
EMAIL_CHANGED = "email_changed"
RESET_REQUESTED = "password_reset_requested"
RESET_SENT = "password_reset_sent"
PASSWORD_RESET = "password_reset"
TOKEN_REFUSED = "token_refused"
REAUTHENTICATED = "reauthenticated"
REAUTHENTICATION_FAILED = "reauthentication_failed"
MFA_REQUIRED = "login_mfa_required"
MFA_FAILED = "mfa_failed"
MFA_LOGIN_ENDED = "mfa_login_ended"
TOTP_SETUP_STARTED = "totp_setup_started"
TOTP_ENABLED = "totp_enabled"
TOTP_DISABLED = "totp_disabled"
TOTP_DISABLE_FAILED = "totp_disable_failed"
RECOVERY_CODES_RENEWED = "recovery_codes_renewed"
RECOVERY_CODE_USED = "recovery_code_used"
MFA_RESET = "mfa_reset"
PASSKEY_ADDED = "passkey_added"
PASSKEY_RENAMED = "passkey_renamed"
PASSKEY_REMOVED = "passkey_removed"
PASSKEY_REFUSED = "passkey_refused"
LOGIN_DISABLED = "login_refused_disabled"
ACCOUNT_DISABLED = "account_disabled"
ACCOUNT_ENABLED = "account_enabled"
ROLE_CHANGED = "role_changed"
SESSIONS_ENDED = "sessions_ended"
ACCOUNT_UNLOCKED = "account_unlocked"
ACCOUNT_DELETED = "account_deleted"
ACCOUNT_EXPORTED = "account_exported"
ADMIN_REFUSED = "admin_refused"
TOKEN_CREATED = "token_created"
TOKEN_REVOKED = "token_revoked"
TOKENS_ENDED = "tokens_ended"


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
