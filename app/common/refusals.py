"""Refusals: how a flow says no, with the status, type and message of the answer.

A flow raises a ``Refusal`` and changes nothing: whatever it wrote is left uncommitted, and the
request's end (or the command's) throws it away. Only ``app/api/`` turns a refusal into the
JSON error envelope (``app.api.errors``); the CLI prints its message on stderr and exits 1.
Nothing here knows about HTTP beyond the status number that both sides read.
"""

from app.common import messages


class Refusal(Exception):
    """A flow's refusal. ``error_type`` is the envelope's ``errors.type`` when it is not the
    status's own (``Conflict`` for 409 and so on); ``retry_after`` is the seconds to wait, for
    a 429."""

    def __init__(self, status, message, error_type=None, retry_after=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.retry_after = retry_after
        self.fields = {}


class BearerRefusal(Refusal):
    """A refusal of a request made with a bearer token, which RFC 6750 makes the server say
    in its challenge too: ``code`` is that RFC's name for it (``invalid_request``,
    ``invalid_token``, ``insufficient_scope``), ``scope`` the scope the request needed."""

    def __init__(self, status, message, code, error_type=None, scope=None):
        super().__init__(status, message, error_type)
        self.code = code
        self.scope = scope


class FieldErrors(Refusal):
    """A refusal that names each offending field and what is wrong with it: a 422, or a 409
    for names and addresses that are taken."""

    def __init__(self, fields, message=messages.VALIDATION_FAILED, status=422):
        super().__init__(status, message)
        self.fields = {name: list(errors) for name, errors in fields.items()}


def not_logged_in() -> Refusal:
    """The 401 of a request whose session ended, or never began."""
    return Refusal(401, messages.NOT_LOGGED_IN)


def conflict(message) -> Refusal:
    """A 409: the account is not in a state that allows this."""
    return Refusal(409, message)


def taken(fields) -> FieldErrors:
    """The 409 of names or addresses that belong to another account."""
    return FieldErrors(fields, messages.CONFLICT, status=409)
