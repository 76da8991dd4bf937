"""The throttles on failed logins and on second-factor codes, kept in Flask-Limiter's storage.

Password attempts are counted per login string, normalised the way accounts are looked up:
``Alice`` and ``alice`` share a count, an account's user name and its email do not, and an
unknown login is counted exactly like a known one. So nothing in a 429 depends on whether, or
how, strings belong to accounts: a count shared by an account's two names would tell an
attacker that they belong together. The limit's longer window caps what any one account can
be guessed at: it has exactly two names, so at most twice that window's count.

Codes (TOTP and recovery codes, at a login's second step, to re-authenticate or to turn TOTP
off) are counted apart, per account (its id): only someone who has the password, or a
session, can try one, so the count tells nothing that the answer does not. Password guesses
never touch it, and codes never touch the password counts: someone who only knows a name can
lock its password logins, never the owner's second step nor their passkeys.

Route limits (per IP, per user) are decorators (``app.api.limits``); this one needs the
outcome of the password check, so the view drives it by hand. Every call honours
``RATELIMIT_ENABLED``: with it off, the limiter's storage must not be touched at all.
"""

from flask import current_app
from limits import parse_many

from app.common import messages
from app.common.refusals import Refusal
from app.common.time import seconds_until
from app.extensions import limiter
from app.security.events import THROTTLED, security_event
from app.users.keys import email_key, user_name_key

SCOPE = "failed-login"
LIMIT = "LOGIN_FAILURE_LIMIT"
CODE_SCOPE = "failed-code"
CODE_LIMIT = "MFA_FAILURE_LIMIT"


def login_key(login: str) -> str:
    """The count of the login string ``login``: its user name or email key."""
    return "login:" + (email_key(login) if "@" in login else user_name_key(login))


def account_keys(user) -> list[str]:
    """The counts of both names of ``user``, for a failure that is known to be theirs."""
    return [login_key(user.user_name), login_key(user.email)]


def code_keys(user) -> list[str]:
    """The count of the codes tried for ``user``'s account: by its id, never by its names."""
    return [f"user:{user.id}"]


def _limits(config_key):
    return parse_many(current_app.config[config_key])


def count_attempt(
    keys, user=None, login=None, scope=SCOPE, limit=LIMIT, message=messages.TOO_MANY_ATTEMPTS
) -> None:
    """Count one attempt against each of ``keys``, or answer 429 when one is over its limit.

    Counted before the password is checked, in one atomic step of the storage per window: a
    check made first and a count made after the password was wrong let every one of a burst
    of parallel guesses through. A success then clears the counts (``clear``). The windows
    are counted in the order the config lists them, shortest first. Other counts kept the
    same way (requests for a password reset, per address) name their ``scope``, ``limit`` and
    the ``message`` of their 429.
    """
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    over = []
    for key in keys:
        for window in _limits(limit):
            # Past one window, the attempt is refused unchecked: it counts in no later one.
            if not strategy.hit(window, scope, key):
                over.append((window, key))
                break
    if over:
        _refuse(over, scope, message, user=user, login=login)


def refuse_if_over(keys, scope, limit, message=messages.TOO_MANY_REQUESTS, user=None) -> None:
    """A 429 when one of ``keys`` has used up a window of ``limit`` in ``scope``, whatever
    this request would have been; read without counting (``allow`` counts)."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    over = [
        (window, key)
        for key in keys
        for window in _limits(limit)
        if not strategy.test(window, scope, key)
    ]
    if over:
        _refuse(over, scope, message, user=user)


def _refuse(over, scope, message, user=None, login=None):
    security_event(THROTTLED, user=user, login=login, counter=scope, limit=str(over[0][0]))
    strategy = limiter.limiter
    reset_time = max(strategy.get_window_stats(w, scope, key).reset_time for w, key in over)
    raise Refusal(429, message, retry_after=seconds_until(reset_time))


def clear(keys, scope=SCOPE, limit=LIMIT) -> None:
    """Forget the attempts of ``keys`` (in ``scope``) after a success below the limit."""
    if not limiter.enabled:
        return
    for key in keys:
        for window in _limits(limit):
            limiter.limiter.clear(window, scope, key)


def allow(scope, key, limit) -> bool:
    """Count one use of ``key`` in ``scope``; False, quietly, when it is over ``limit``."""
    if not limiter.enabled:
        return True
    return all(limiter.limiter.hit(window, scope, key) for window in _limits(limit))


def counts_shared() -> bool:
    """True when another process sees the counts this one keeps (an operator's command, the
    servers'): they are in a shared store such as Redis, or kept nowhere (the throttle off).
    ``memory://`` keeps them in each process, out of every other's reach."""
    storage = current_app.config["RATELIMIT_STORAGE_URI"] or ""
    return not limiter.enabled or not storage.startswith("memory://")


def is_locked_out(keys, scope=SCOPE, limit=LIMIT) -> bool:
    """True when one of ``keys`` has used up a window of its limit (the failed-login one
    unless told), so that its next try is a 429; read without counting."""
    if not limiter.enabled:
        return False
    return any(
        not limiter.limiter.test(window, scope, key) for key in keys for window in _limits(limit)
    )


def is_account_locked_out(user) -> bool:
    """True when either name of ``user``, or its codes, would be refused a 429 now."""
    return is_locked_out(account_keys(user)) or is_locked_out(
        code_keys(user), CODE_SCOPE, CODE_LIMIT
    )


def unlock_account(user) -> None:
    """Forget the failed logins of both names of ``user``, and the codes tried for it."""
    clear(account_keys(user))
    clear(code_keys(user), CODE_SCOPE, CODE_LIMIT)
