"""Who may call a view, beyond being logged in: one decorator per rule, checked in one place."""

from functools import wraps

from flask_login import login_required

from app.accounts.reauthentication import require_recent


def reauthenticated(view):
    """Logged in, and with a proof of identity within ``REAUTHENTICATION_WINDOW``: else a 401,
    or a 403 "Reauthentication required" (``POST /api/auth/reauthenticate`` refreshes it)."""

    @wraps(view)
    def checked(*args, **kwargs):
        require_recent()
        return view(*args, **kwargs)

    return login_required(checked)
