"""The app's error handlers: every error under ``/api/`` becomes the JSON error envelope."""

from flask import request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, ServiceUnavailable, default_exceptions

from app.api.responses import from_http_exception, from_refusal
from app.common import messages
from app.common.paths import is_api_path
from app.common.refusals import Refusal
from app.common.time import seconds_until
from app.extensions import db, limiter

# Fragments of driver messages that mean "no connection", as opposed to a bad query.
CONNECTION_ERROR_MARKERS = (
    "unable to open database file",
    "could not connect",
    "connection refused",
    "connection timeout",
    "timeout expired",
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "connection already closed",
    "the database system is starting up",
    "the database system is shutting down",
    "no connection to the server",
    # A stalled server: the statement timeout fired.
    "canceling statement due to statement timeout",
)


def is_connection_error(exc: SQLAlchemyError) -> bool:
    """True for errors that mean the database cannot be reached, not that a query is wrong."""
    if isinstance(exc, (DisconnectionError, PoolTimeoutError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        text = str(exc.orig).lower()
        return any(marker in text for marker in CONNECTION_ERROR_MARKERS)
    return False


def handle_http_exception(exc: HTTPException):
    """JSON for the API (routing 404/405 included); Flask's page elsewhere."""
    if is_api_path(request.path):
        return from_http_exception(exc)
    return exc


def handle_refusal(refusal: Refusal):
    """A flow's refusal: the error envelope under ``/api/``, Flask's page of its status
    elsewhere."""
    if is_api_path(request.path):
        return from_refusal(refusal)
    return default_exceptions[refusal.status](refusal.message)


def handle_csrf_failure(exc: CSRFError):
    """A 403 of type "CSRF failed", as Django answers, where Flask-WTF says 400.

    The token is a credential that is missing or wrong, not a malformed request: clients
    (and the page) tell it from every other refusal by its type, and fetch a new one. Flask-WTF's
    reason (missing, invalid, not this session's) stays at the start of the message.
    """
    message = messages.CSRF_FAILED.format(reason=exc.description)
    return handle_refusal(Refusal(403, message, messages.CSRF_FAILED_TYPE))


def handle_route_limit(exc: RateLimitExceeded):
    """A route limit's 429, with the ``Retry-After`` to wait.

    Flask-Limiter's own headers are off: they would put ``Retry-After`` and the remaining
    count on every answer of a limited route, 200s included.
    """
    breached = limiter.current_limit
    exc.retry_after = seconds_until(breached.window[0]) if breached else 1
    return handle_http_exception(exc)


def handle_database_error(exc: SQLAlchemyError):
    """503 while the database is unreachable; anything else stays a 500."""
    if not is_connection_error(exc):
        raise exc
    db.session.rollback()
    return handle_http_exception(ServiceUnavailable())


def handle_rate_limit_store_error(_exc):
    """503 while Redis, which holds the throttling counts, cannot be reached."""
    return handle_http_exception(ServiceUnavailable())


def register(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Refusal, handle_refusal)
    app.register_error_handler(CSRFError, handle_csrf_failure)
    app.register_error_handler(RateLimitExceeded, handle_route_limit)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
    if (app.config["RATELIMIT_STORAGE_URI"] or "").startswith("redis"):
        # The rate-limit store cannot be reached: refuse rather than run unthrottled. The
        # redis client is imported only for a Redis store, as Flask-Limiter does.
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        for error in (RedisConnectionError, RedisTimeoutError):
            app.register_error_handler(error, handle_rate_limit_store_error)
