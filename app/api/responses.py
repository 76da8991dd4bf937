"""The JSON envelopes: every answer under ``/api/`` is built here."""

from flask import jsonify
from werkzeug.exceptions import HTTPException

from app.common import messages
from app.common.refusals import BearerRefusal, Refusal

# The ``errors.type`` of an answer, by status; any other status uses Werkzeug's name.
ERROR_TYPES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Form validation error",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}

# Messages for statuses whose Werkzeug description is an HTML-minded paragraph.
DEFAULT_MESSAGES = {
    413: messages.BODY_TOO_LARGE,
    500: messages.SERVER_ERROR,
    503: messages.SERVICE_UNAVAILABLE,
}


def success(message=None, data=None, status=200, csrf_token=None):
    """A success envelope, with ``data`` and ``csrf_token`` only where they apply."""
    body = {"success": True}
    if message is not None:
        body["message"] = message
    if data is not None:
        body["data"] = data
    if csrf_token is not None:
        body["csrf_token"] = csrf_token
    return jsonify(body), status


def error(status, message, fields=None, headers=None, error_type=None):
    """An error envelope for ``status``."""
    errors = {"type": error_type or ERROR_TYPES.get(status, "Error"), "message": message}
    if fields:
        errors["fields"] = fields
    response = jsonify({"success": False, "errors": errors})
    response.status_code = status
    if headers:
        response.headers.extend(headers)
    return response


def from_refusal(refusal: Refusal):
    """The error envelope of a flow's refusal, with ``Retry-After`` where it says to wait, and
    a bearer token's refusal with its RFC 6750 challenge in ``WWW-Authenticate``."""
    headers = []
    if refusal.retry_after is not None:
        headers.append(("Retry-After", str(refusal.retry_after)))
    if isinstance(refusal, BearerRefusal):
        headers.append(("WWW-Authenticate", bearer_challenge(refusal)))
    return error(
        refusal.status,
        refusal.message,
        fields=refusal.fields,
        headers=headers,
        error_type=refusal.error_type,
    )


def bearer_challenge(refusal: BearerRefusal) -> str:
    """``Bearer error="..."``, with the scope it needed (RFC 6750, section 3): names and scopes
    of this service's own, which hold no quote or backslash."""
    challenge = f'Bearer error="{refusal.code}"'
    return challenge if refusal.scope is None else f'{challenge}, scope="{refusal.scope}"'


def from_http_exception(exc: HTTPException):
    """The error envelope for a Werkzeug exception, keeping its headers (Allow, Retry-After)."""
    status = exc.code or 500
    message = DEFAULT_MESSAGES.get(status) or exc.description or exc.name
    headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
    return error(status, message, headers=headers)
