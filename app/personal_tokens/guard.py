"""Which credential a request carries, checked before any view runs: a session cookie, with
its CSRF check, or a bearer token, with its scope.

The decision follows the credential actually used, never a header's mere presence:

- no ``Authorization: Bearer`` header: a cookie request, and every POST, PATCH or DELETE of
  it passes Flask-WTF's CSRF check (``WTF_CSRF_CHECK_DEFAULT`` is off so that this hook,
  and not Flask-WTF's own, runs it), whatever other headers it has;
- a bearer header together with the session cookie: refused (400), so that no cookie request
  can lose its CSRF check by adding a header;
- a bearer header alone: the token must be live (else 401), the view must take a token at
  all and the token must carry, and its owner's role allow, the view's scope (else 403 of
  type "Insufficient scope"). No CSRF check: a browser never adds the header by itself.

A wrong or unknown token costs what a good one does: whatever its shape, it is hashed and
looked up by its hash, so that no prefix of a good token reads faster. Tokens that are no
token are counted per client IP (``TOKEN_FAILURE_LIMIT``); once over, every bearer request
from there is a 429, good tokens included, until the window passes. Good ones are counted
per token (``TOKEN_RATE_LIMIT``).

Each refusal of a token is a ``BearerRefusal``, whose RFC 6750 code the answer's
``WWW-Authenticate`` challenge carries (``app.api.responses``).

A token's last use (time and IP) is written at most once per ``SESSION_TOUCH_INTERVAL`` or
when the IP changes: the one write here, committed on its own before the view's flow.
"""

from flask import current_app, g, request

from app.common import messages
from app.common.paths import is_api_path
from app.common.refusals import BearerRefusal
from app.common.time import as_utc, utcnow
from app.extensions import csrf, db
from app.personal_tokens import scopes, store
from app.personal_tokens.lookup import find_by_token_hash
from app.security import throttle
from app.security.client import client_ip, rate_limit_key
from app.sessions.models import hash_token
from app.sessions.store import duration

SCHEME = "bearer"
USE_SCOPE, USE_LIMIT = "token", "TOKEN_RATE_LIMIT"
FAILURE_SCOPE, FAILURE_LIMIT = "bad-token", "TOKEN_FAILURE_LIMIT"
# RFC 6750's names for each refusal, in the answer's WWW-Authenticate challenge.
INVALID_REQUEST, INVALID_TOKEN, INSUFFICIENT_SCOPE = (
    "invalid_request",
    "invalid_token",
    "insufficient_scope",
)


def presented_token() -> str | None:
    """The token of this request's ``Authorization: Bearer`` header (maybe empty), or None
    when it has no such header."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != SCHEME:
        return None
    return token.strip()


def current_token():
    """The live token (a ``TokenView``) this request is made with, or None."""
    return g.get("personal_token")


def check_credential():
    """The app's before-request hook: see the module's docstring."""
    presented = presented_token() if is_api_path(request.path) else None
    if presented is None:
        _check_csrf()
        return
    if request.endpoint is None:
        return  # a routing error (404, 405) answers as it would for anyone
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        raise BearerRefusal(400, messages.BEARER_WITH_COOKIE, INVALID_REQUEST)
    token = _live_token(presented)
    scope = scopes.needed(current_app.view_functions[request.endpoint])
    if scope is None:
        raise BearerRefusal(
            403, messages.SESSION_ONLY, INSUFFICIENT_SCOPE, messages.INSUFFICIENT_SCOPE_TYPE
        )
    if scope not in token.scope_set & scopes.grantable(token.user.role_code):
        message = messages.INSUFFICIENT_SCOPE.format(scope=scope)
        raise BearerRefusal(
            403, message, INSUFFICIENT_SCOPE, messages.INSUFFICIENT_SCOPE_TYPE, scope=scope
        )
    throttle.count_attempt(
        [token.public_id],
        user=token.user,
        scope=USE_SCOPE,
        limit=USE_LIMIT,
        message=messages.TOO_MANY_REQUESTS,
    )
    _note_use(token)
    g.personal_token = token


def _live_token(presented):
    """The live token ``presented`` is; else a 401, counted for this client IP."""
    ip_key = [rate_limit_key()]
    throttle.refuse_if_over(ip_key, FAILURE_SCOPE, FAILURE_LIMIT)
    token = find_by_token_hash(hash_token(presented))
    if token is None or store.is_expired(token, utcnow()):
        throttle.allow(FAILURE_SCOPE, ip_key[0], FAILURE_LIMIT)
        raise BearerRefusal(401, messages.TOKEN_INVALID, INVALID_TOKEN)
    return token


def _note_use(token):
    now, ip = utcnow(), client_ip()
    recent = token.last_used_at is not None and now - as_utc(token.last_used_at) < duration(
        "SESSION_TOUCH_INTERVAL"
    )
    if recent and token.last_used_ip == ip:
        return
    store.touch(token, now, ip)
    db.session.commit()


def _check_csrf():
    config = current_app.config
    if not config["WTF_CSRF_ENABLED"] or request.method not in config["WTF_CSRF_METHODS"]:
        return
    if request.endpoint is None:
        return
    csrf.protect()


def register(app):
    """Run the check before every request, in place of Flask-WTF's own hook."""
    if app.config["WTF_CSRF_CHECK_DEFAULT"]:
        # Flask-WTF's hook would then refuse every bearer POST for want of a CSRF token.
        raise RuntimeError("WTF_CSRF_CHECK_DEFAULT must stay False: the guard checks CSRF")
    app.before_request(check_credential)
