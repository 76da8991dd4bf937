"""The JSON envelopes: one place builds every answer under ``/api/``."""

import pytest
from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)

from app.api.responses import ERROR_TYPES, error, from_http_exception, from_refusal, success
from app.common import messages
from app.common.refusals import FieldErrors, Refusal, taken


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_success_with_everything(ctx):
    response, status = success("done", data={"id": 1}, status=201, csrf_token="tok")
    assert status == 201
    assert response.get_json() == {
        "success": True,
        "message": "done",
        "data": {"id": 1},
        "csrf_token": "tok",
    }


def test_success_leaves_out_what_does_not_apply(ctx):
    response, status = success("done")
    assert status == 200
    assert response.get_json() == {"success": True, "message": "done"}
    assert success()[0].get_json() == {"success": True}


def test_success_keeps_empty_data(ctx):
    response, _ = success("listed", data=[])
    assert response.get_json()["data"] == []


def test_error(ctx):
    response = error(401, messages.NOT_LOGGED_IN)
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.get_json() == {
        "success": False,
        "errors": {"type": "Unauthorized", "message": messages.NOT_LOGGED_IN},
    }


def test_error_with_fields_and_headers(ctx):
    response = error(
        422, messages.VALIDATION_FAILED, fields={"email": ["bad"]}, headers=[("Retry-After", "9")]
    )
    assert response.get_json()["errors"] == {
        "type": "Form validation error",
        "message": messages.VALIDATION_FAILED,
        "fields": {"email": ["bad"]},
    }
    assert response.headers["Retry-After"] == "9"


def test_error_type_of_an_unlisted_status(ctx):
    assert error(418, "teapot").get_json()["errors"]["type"] == "Error"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "Bad request"),
        (401, "Unauthorized"),
        (404, "Not found"),
        (405, "Method not allowed"),
        (409, "Conflict"),
        (413, "Payload too large"),
        (415, "Unsupported media type"),
        (422, "Form validation error"),
        (429, "Too many requests"),
        (500, "Server error"),
        (503, "Service unavailable"),
    ],
)
def test_error_types(status, kind):
    assert ERROR_TYPES[status] == kind


def test_field_errors_is_a_422():
    exc = FieldErrors({"login": ("a", "b")})
    assert exc.status == 422
    assert exc.message == messages.VALIDATION_FAILED
    assert exc.fields == {"login": ["a", "b"]}


def test_field_errors_as_conflict():
    exc = taken({"email": [messages.EMAIL_TAKEN]})
    assert exc.status == 409
    assert exc.message == messages.CONFLICT
    assert FieldErrors({}).status == 422


def test_from_field_errors(ctx):
    response = from_refusal(FieldErrors({"login": [messages.FIELD_REQUIRED]}))
    assert response.status_code == 422
    assert response.get_json()["errors"]["fields"] == {"login": [messages.FIELD_REQUIRED]}


def test_from_refusal_keeps_its_type_and_retry_after(ctx):
    response = from_refusal(Refusal(429, messages.TOO_MANY_ATTEMPTS, retry_after=7))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.get_json()["errors"] == {
        "type": "Too many requests",
        "message": messages.TOO_MANY_ATTEMPTS,
    }
    typed = from_refusal(Refusal(403, messages.ACCOUNT_DISABLED, messages.ACCOUNT_DISABLED_TYPE))
    assert typed.get_json()["errors"]["type"] == messages.ACCOUNT_DISABLED_TYPE
    assert "Retry-After" not in typed.headers


def test_from_http_exception_uses_the_description(ctx):
    response = from_http_exception(Unauthorized(messages.NOT_LOGGED_IN))
    assert response.status_code == 401
    assert response.get_json()["errors"] == {
        "type": "Unauthorized",
        "message": messages.NOT_LOGGED_IN,
    }


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (RequestEntityTooLarge(), messages.BODY_TOO_LARGE),
        (InternalServerError("Traceback: secret"), messages.SERVER_ERROR),
        (
            ServiceUnavailable("psycopg: password authentication failed"),
            messages.SERVICE_UNAVAILABLE,
        ),
    ],
)
def test_from_http_exception_hides_details_behind_fixed_messages(ctx, exc, message):
    response = from_http_exception(exc)
    assert response.status_code == exc.code
    assert response.get_json()["errors"]["message"] == message


def test_from_http_exception_keeps_allow(ctx):
    response = from_http_exception(MethodNotAllowed(valid_methods=["POST", "OPTIONS"]))
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST, OPTIONS"
    assert response.mimetype == "application/json"


def test_from_http_exception_keeps_retry_after(ctx):
    response = from_http_exception(TooManyRequests(retry_after=30))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"


def test_from_http_exception_is_json_not_html(ctx):
    for exc in (BadRequest(), NotFound(), Forbidden()):
        response = from_http_exception(exc)
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers.getlist("Content-Type") == ["application/json"]
        assert "<" not in response.get_data(as_text=True)
