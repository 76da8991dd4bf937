"""The per-account throttle on failed logins, kept in Flask-Limiter's storage.

Route limits (per IP, per user) are decorators in ``app.api.auth``; this one needs the
outcome of the password check, so the view drives it by hand. Every call honours
``RATELIMIT_ENABLED``: with it off, the limiter's storage must not be touched at all.
"""

import math
import time

from flask import abort, current_app
from limits import parse

from app.common import messages
from app.extensions import limiter
from app.security.events import THROTTLED, security_event
from app.users.models import email_key, user_name_key

SCOPE = "failed-login"


def account_key(user, login: str) -> str:
    """The user id when ``login`` names an account, else the normalised login itself.

    So ``Alice``, ``alice`` and ``alice@example.com`` share one count, and an unknown login
    is counted (and throttled) exactly like a known one.
    """
    if user is not None:
        return f"user:{user.id}"
    return "login:" + (email_key(login) if "@" in login else user_name_key(login))


def _limit():
    return parse(current_app.config["LOGIN_FAILURE_LIMIT"])


def count_attempt(key: str, user=None, login=None) -> None:
    """Count one attempt against ``key``, or answer 429 when it is over its failure limit.

    Counted before the password is checked, in one atomic step of the storage: a check
    made first and a count made after the password was wrong let every one of a burst of
    parallel guesses through. A success then clears the count (``clear``).
    """
    if not limiter.enabled:
        return
    limit = _limit()
    strategy = limiter.limiter
    if strategy.hit(limit, SCOPE, key):
        return
    security_event(THROTTLED, user=user, login=login, limit=str(limit))
    reset_time = strategy.get_window_stats(limit, SCOPE, key).reset_time
    retry_after = max(1, math.ceil(reset_time - time.time()))
    abort(429, description=messages.TOO_MANY_ATTEMPTS, retry_after=retry_after)


def clear(key: str) -> None:
    """Forget ``key``'s attempts after a success below the limit."""
    if limiter.enabled:
        limiter.limiter.clear(_limit(), SCOPE, key)
