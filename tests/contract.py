"""``openapi.yaml`` as the judge of every answer the suite receives under ``/api/``.

``check_answer`` validates one answer with openapi-core: its status must be listed for the
operation, its content type and body must match, and so must the headers the document
requires (``Retry-After`` on a 429). A path or method that the document does not list may only
answer a routing error (404 or 405) in the error envelope. Flask's
automatic HEAD and OPTIONS answers, which carry no body, are exempt.

The Flask test client (``ContractClient``) and the live-server client (``tests.system.client``)
call it for every answer, so a test that provokes an answer the document does not describe
fails.
"""

import json
from pathlib import Path
from urllib.parse import quote

import yaml
from flask.testing import FlaskClient
from jsonschema.exceptions import ValidationError
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
DOCUMENT = yaml.safe_load(DOCUMENT_PATH.read_text())
OPENAPI = OpenAPI.from_dict(DOCUMENT)
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
# ``(method, path, operation)`` for every operation of the document, in its order.
OPERATIONS = [
    (method, path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if method in HTTP_METHODS
]
API_PREFIX = "/api/"
EXEMPT_METHODS = {"HEAD", "OPTIONS"}
# A path or method the document does not list: Werkzeug's 404 or 405.
ROUTING_STATUSES = {404, 405}
HOST_URL = "http://localhost"
_DOCUMENT_URI = "urn:openapi"
_REGISTRY = Registry().with_resource(
    _DOCUMENT_URI, Resource(contents=DOCUMENT, specification=DRAFT202012)
)


def schema_validator(*where):
    """A validator for the schema at ``where`` (keys into the document), refs resolved."""
    pointer = "".join("/" + quote(str(key).replace("~", "~0").replace("/", "~1")) for key in where)
    return OAS31Validator({"$ref": f"{_DOCUMENT_URI}#{pointer}"}, registry=_REGISTRY)


ERROR_ENVELOPE = schema_validator("components", "schemas", "Error")


class ContractViolation(AssertionError):
    """An answer that openapi.yaml does not describe."""


def check_answer(method, path, status, headers, body: bytes):
    """Fail with ``ContractViolation`` unless the document describes this answer."""
    method = method.upper()
    if not path.startswith(API_PREFIX) or method in EXEMPT_METHODS:
        return
    # A plain mapping: openapi-core takes neither http.client's nor Werkzeug's header classes.
    headers = dict(headers.items())
    content_type = headers.get("Content-Type", "")
    request = MockRequest(HOST_URL, method.lower(), path)
    response = MockResponse(body, status_code=status, headers=headers, content_type=content_type)
    try:
        OPENAPI.validate_response(request, response)
    except (PathNotFound, OperationNotFound):
        _check_routing_error(method, path, status, content_type, body)
    except Exception as exc:  # openapi-core raises one of many types; all mean "not described"
        raise ContractViolation(
            f"{method} {path} answered {status} {content_type}, which openapi.yaml does not "
            f"describe: {exc}\n{body[:500]!r}"
        ) from exc


def _check_routing_error(method, path, status, content_type, body):
    if status not in ROUTING_STATUSES or content_type != "application/json":
        raise ContractViolation(
            f"{method} {path} is not in openapi.yaml, so it may only answer a routing error "
            f"(404 or 405) in the error envelope, but it answered {status} {content_type}"
        )
    try:
        ERROR_ENVELOPE.validate(json.loads(body))
    except ValidationError as error:
        raise ContractViolation(f"{method} {path}: {error.message}") from error


class ContractClient(FlaskClient):
    """Flask's test client, holding every answer under /api/ to the document."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        check_answer(
            request.method, request.path, response.status_code, response.headers, response.data
        )
        return response
