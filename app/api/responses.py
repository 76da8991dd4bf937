"""The JSON envelopes: every answer under ``/api/`` is built here."""

from flask import jsonify
from werkzeug.exceptions import HTTPException

from app.common import messages

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


class FieldErrors(HTTPException):
    """A 422 (or 409) that names each offending field and what is wrong with it."""

    code = 422
    description = messages.VALIDATION_FAILED

    def __init__(self, fields, description=None, code=None):
        super().__init__(description=description)
        if code is not None:
            self.code = code
        self.fields = {name: list(errors) for name, errors in fields.items()}


class Refusal(HTTPException):
    """An error answer whose ``errors.type`` is its own, not its status's."""

    def __init__(self, code, description, error_type):
        super().__init__(description=description)
        self.code = code
        self.error_type = error_type


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


def from_http_exception(exc: HTTPException):
    """The error envelope for a Werkzeug exception, keeping its headers (Allow, Retry-After)."""
    status = exc.code or 500
    message = DEFAULT_MESSAGES.get(status) or exc.description or exc.name
    headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
    return error(
        status,
        message,
        fields=getattr(exc, "fields", None),
        headers=headers,
        error_type=getattr(exc, "error_type", None),
    )
