"""Who may call a view, beyond being logged in: one decorator per rule, checked in one place."""

from functools import wraps

from flask_login import login_required

from app.accounts.reauthentication import require_recent
from app.personal_tokens.guard import current_token


def reauthenticated(view):
    """Logged in, and with a proof of identity within ``REAUTHENTICATION_WINDOW``: else a 401,
    or a 403 "Reauthentication required" (``POST /api/auth/reauthenticate`` refreshes it).

    A bearer request reaches such a view only where it takes the token's scope
    (``admin:write``); the token was made behind a re-authentication, and its scope is the
    check."""

    @wraps(view)
    def checked(*args, **kwargs):
        if current_token() is None:
            require_recent()
        return view(*args, **kwargs)

    return login_required(checked)
