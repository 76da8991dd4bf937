"""Route limits, with rates read from the config at request time: per client, or per user.

Each limit names its key and logs its breaches as security events. Flask-Limiter's own
hooks would run on every request, a real share of a fast route such as verify_auth, so
they run only on routes that a limit applies to (``register``).
"""

from functools import partial

from flask import current_app, request
from flask_login import current_user

from app.common import messages
from app.extensions import limiter
from app.security.client import rate_limit_key
from app.security.events import log_route_breach

# The views that carry a limit of their own, by qualified name (Flask-Limiter's own key).
LIMITED_VIEWS = set()
# Flask-Limiter's settings for limits on every route; this app sets none of them itself.
APP_WIDE_LIMITS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")
UNLIMITED = "unlimited_endpoints"


def user_key() -> str:
    """The logged-in user; an anonymous request (answered 401 anyway) counts for its client."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return f"ip:{rate_limit_key()}"


def _qualified_name(view) -> str:
    return f"{view.__module__}.{view.__qualname__}"


def _options(config_key, key_func):
    return {
        "limit_value": lambda: current_app.config[config_key],
        "key_func": key_func,
        "error_message": messages.TOO_MANY_REQUESTS,
        "on_breach": log_route_breach,
    }


def _recorded(limit):
    def decorate(view):
        LIMITED_VIEWS.add(_qualified_name(view))
        return limit(view)

    return decorate


def per_client(config_key):
    """A limit per client IP (an IPv6 client by its /64)."""
    return _recorded(limiter.limit(**_options(config_key, rate_limit_key)))


def per_user(config_key, scope=None):
    """A limit per user; routes given the same ``scope`` share one count."""
    if scope is None:
        return _recorded(limiter.limit(**_options(config_key, user_key)))
    return _recorded(limiter.shared_limit(scope=scope, **_options(config_key, user_key)))


def is_unlimited() -> bool:
    """True when no limit applies to this request's route (nor to one that matched none)."""
    unlimited = current_app.extensions.get(UNLIMITED)
    if unlimited is None:
        unlimited = current_app.extensions[UNLIMITED] = _unlimited_endpoints(current_app)
    return request.endpoint in unlimited


def _unlimited_endpoints(app) -> frozenset:
    if any(app.config.get(key) for key in APP_WIDE_LIMITS):
        return frozenset()
    views = app.view_functions.items()
    return frozenset(
        {None, *(name for name, view in views if _qualified_name(view) not in LIMITED_VIEWS)}
    )


def _is_limiters(hook) -> bool:
    if isinstance(hook, partial):
        return hook.args[:1] == (limiter,)
    return getattr(hook, "__self__", None) is limiter


def _guard(hooks, guarded):
    hooks[None] = [guarded(hook) if _is_limiters(hook) else hook for hook in hooks.get(None, [])]


def register(app):
    """Run Flask-Limiter's request hooks (its middleware) only where a limit applies: the
    limits of a route are checked by its decorator, and this app sets no app-wide ones."""
    _guard(app.before_request_funcs, lambda hook: lambda: None if is_unlimited() else hook())
    _guard(
        app.after_request_funcs,
        lambda hook: lambda response: response if is_unlimited() else hook(response),
    )
    _guard(
        app.teardown_request_funcs,
        lambda hook: lambda exc=None: None if is_unlimited() else hook(exc),
    )
