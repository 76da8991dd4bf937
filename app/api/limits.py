"""Route limits, with rates read from the config at request time: per client, or per user.

Each limit names its key and logs its breaches as security events.
"""

from flask import current_app
from flask_login import current_user

from app.common import messages
from app.extensions import limiter
from app.security.client import rate_limit_key
from app.security.events import log_route_breach


def user_key() -> str:
    """The logged-in user; an anonymous request (answered 401 anyway) counts for its client."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return f"ip:{rate_limit_key()}"


def _options(config_key, key_func):
    return {
        "limit_value": lambda: current_app.config[config_key],
        "key_func": key_func,
        "error_message": messages.TOO_MANY_REQUESTS,
        "on_breach": log_route_breach,
    }


def per_client(config_key):
    """A limit per client address (an IPv6 client by its /64)."""
    return limiter.limit(**_options(config_key, rate_limit_key))


def per_user(config_key, scope=None):
    """A limit per user; routes given the same ``scope`` share one count."""
    if scope is None:
        return limiter.limit(**_options(config_key, user_key))
    return limiter.shared_limit(scope=scope, **_options(config_key, user_key))
