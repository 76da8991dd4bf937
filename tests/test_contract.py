"""openapi.yaml: valid, in step with the URL map, served, and the judge of every answer."""

import json
import re

import pytest
from openapi_spec_validator import validate

from app.common import messages
from app.personal_tokens.scopes import SCOPES
from app.users import constants
from tests.contract import (
    DOCUMENT,
    OPERATIONS,
    ContractClient,
    ContractViolation,
    check_answer,
    schema_validator,
)

# Flask's <converter:name> and <name> placeholders, as OpenAPI's {name}.
FLASK_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
EXEMPT_METHODS = {"HEAD", "OPTIONS"}


def test_the_document_is_valid_openapi_3_1():
    validate(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.1")


def api_routes(app):
    """``{(METHOD, path)}`` of the Flask URL map under /api/, in OpenAPI's path syntax."""
    return {
        (method, FLASK_PARAMETER.sub(r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - EXEMPT_METHODS
    }


def test_every_api_route_is_documented_and_every_operation_exists(app):
    assert api_routes(app) == {(method.upper(), path) for method, path, _ in OPERATIONS}


def test_every_documented_path_is_under_the_api():
    assert all(path.startswith("/api/") for path in DOCUMENT["paths"])


def example_cases():
    """``(name, where, example)`` for every example in the document, where ``where`` leads to
    the schema it illustrates."""
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                for media_type, media in response.get("content", {}).items():
                    where = ("paths", path, method, "responses", status, "content", media_type)
                    for name, example in examples_of(media):
                        yield f"{method} {path} {status} {name}", (*where, "schema"), example
    for name, response in DOCUMENT["components"]["responses"].items():
        for media_type, media in response["content"].items():
            where = ("components", "responses", name, "content", media_type, "schema")
            for example_name, example in examples_of(media):
                yield f"{name} {example_name}", where, example


def examples_of(media):
    if "example" in media:
        yield "example", media["example"]
    for name, example in media.get("examples", {}).items():
        yield name, resolved(example)["value"]


def resolved(node):
    """``node``, or the component its ``$ref`` names (``#/components/examples/...``)."""
    if "$ref" not in node:
        return node
    *_, kind, name = node["$ref"].split("/")
    return DOCUMENT["components"][kind][name]


EXAMPLES = list(example_cases())


@pytest.mark.parametrize(
    ("where", "example"), [case[1:] for case in EXAMPLES], ids=[case[0] for case in EXAMPLES]
)
def test_every_example_fits_its_schema(where, example):
    schema_validator(*where).validate(example)


# Flask-WTF's reasons, which start the message of a CSRF failure.
CSRF_REASONS = ("The CSRF token is missing.", "The CSRF token is invalid.")
# Werkzeug's refusal of a Host that TRUSTED_HOSTS does not list, for the examples' host.
UNTRUSTED_HOST = "Host 'evil.example.com' is not trusted."


class Placeholders(dict):
    """The length rules; any other placeholder (the CLI's ``{login}``) stays as it is."""

    def __missing__(self, key):
        return "{" + key + "}"


def known_messages():
    """Every message the app sends: its constants, the length rules filled in, Flask-WTF's CSRF
    messages, Werkzeug's untrusted Host."""
    constants_ = {value for name, value in vars(messages).items() if name.isupper()}
    limits = Placeholders(min=constants.MIN_USERNAME_LEN, max=constants.MAX_USERNAME_LEN)
    filled = {text.format_map(limits) for text in constants_}
    csrf = {messages.CSRF_FAILED.format(reason=reason) for reason in CSRF_REASONS}
    scopes_ = {messages.INSUFFICIENT_SCOPE.format(scope=scope) for scope in SCOPES}
    return constants_ | filled | csrf | scopes_ | {UNTRUSTED_HOST}


KNOWN_MESSAGES = known_messages()


def messages_of(example):
    errors = example.get("errors", {})
    yield example.get("message") or errors["message"]
    for texts in errors.get("fields", {}).values():
        yield from texts


@pytest.mark.parametrize("example", [case[2] for case in EXAMPLES], ids=[c[0] for c in EXAMPLES])
def test_every_example_says_what_the_app_says(example):
    """The examples are real answers: each message is one the app sends, word for word."""
    assert set(messages_of(example)) <= KNOWN_MESSAGES


# The judge: an answer the document does not describe fails the test that caused it


def test_an_undocumented_status_fails_the_test(app, client, monkeypatch):
    monkeypatch.setitem(app.view_functions, "auth.csrf", lambda: ({"success": True}, 418))
    with pytest.raises(ContractViolation, match="418"):
        client.get("/api/auth/csrf")


def test_an_answer_off_its_schema_fails_the_test(app, client, monkeypatch):
    monkeypatch.setitem(app.view_functions, "auth.csrf", lambda: {"success": True, "secret": 1})
    with pytest.raises(ContractViolation, match="csrf"):
        client.get("/api/auth/csrf")


def test_a_429_without_retry_after_fails_the_test():
    body = json.dumps({"success": False, "errors": {"type": "Too many requests", "message": "x"}})
    with pytest.raises(ContractViolation, match="Retry-After"):
        check_answer(
            "POST", "/api/auth/login", 429, {"Content-Type": "application/json"}, body.encode()
        )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/nope", 200), ("GET", "/api/auth/login", 500), ("PUT", "/api/nope", 422)],
)
def test_an_unlisted_route_may_answer_only_its_routing_error(method, path, status):
    body = json.dumps({"success": False, "errors": {"type": "Not found", "message": "x"}})
    with pytest.raises(ContractViolation):
        check_answer(method, path, status, {"Content-Type": "application/json"}, body.encode())


def test_routing_errors_are_held_to_the_error_envelope(client):
    assert client.get("/api/nope").status_code == 404
    assert client.get("/api/auth/login").status_code == 405


def test_every_test_client_holds_answers_to_the_document(app):
    assert isinstance(app.test_client(), ContractClient)


# Served


def test_the_document_is_served_as_json(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == DOCUMENT
    assert list(response.get_json()["paths"]) == list(DOCUMENT["paths"])


# Traps in writing the document (shared pitfalls: YAML 1.1, form bodies, public operations)

# Where a boolean belongs in an OpenAPI document, or in the examples of this API's answers.
BOOLEAN_KEYS = {"required", "const", "default", "additionalProperties", "success", "remember"}
BOOLEAN_KEYS |= {"current", "remember_me", "deprecated", "explode", "allowEmptyValue"}
BOOLEAN_KEYS |= {"email_confirmed", "mfa_required", "totp", "webauthn", "backed_up"}
BOOLEAN_KEYS |= {"requireResidentKey"}
BOOLEAN_KEYS |= {"unevaluatedProperties", "is_active", "locked_out"}


def booleans(node, key=None):
    """``(key, value)`` for every boolean in the document."""
    if isinstance(node, bool):
        yield key, node
    elif isinstance(node, dict):
        for child_key, child in node.items():
            yield from booleans(child, child_key)
    elif isinstance(node, list):
        for child in node:
            yield from booleans(child, key)


def test_yaml_made_no_boolean_of_a_word():
    """YAML 1.1 reads an unquoted no, yes, on or off as a boolean."""
    assert {key for key, _ in booleans(DOCUMENT)} <= BOOLEAN_KEYS


def patterns(node):
    """Every ``pattern`` in the document."""
    if isinstance(node, dict):
        for key, child in node.items():
            if key == "pattern" and isinstance(child, str):
                yield child
            else:
                yield from patterns(child)
    elif isinstance(node, list):
        for child in node:
            yield from patterns(child)


# Classes whose members differ between ECMA 262 (JSON Schema's regular expressions, as
# Schemathesis generates from them) and Python (the app, and openapi-core): Python's \s also
# takes U+001C to U+001F and U+0085, its \d and \w every script's digits and letters.
ENGINE_DEPENDENT = re.compile(r"\\[sSdDwWbB]")


@pytest.mark.parametrize("pattern", sorted(set(patterns(DOCUMENT))))
def test_no_pattern_means_one_thing_to_the_fuzzer_and_another_to_the_app(pattern):
    assert not ENGINE_DEPENDENT.search(pattern)


# Every character Python strips; a pattern's whitespace class missing one would let it through.
WHITESPACE = "".join(chr(code) for code in range(0x110000) if chr(code).isspace())


@pytest.mark.parametrize(
    ("where", "value", "valid"),
    [
        (("LoginFields", "login"), WHITESPACE, False),
        (("LoginFields", "login"), "\u001d", False),
        (("LoginFields", "login"), "\ufeff", True),
        (("SignupFields", "first_name"), WHITESPACE, False),
        (("SignupFields", "user_name"), f"{WHITESPACE}alice{WHITESPACE}", True),
        (("SignupFields", "user_name"), "\ufeffalice", False),
        (("TotpCode",), f"{WHITESPACE}1{WHITESPACE}23 456{WHITESPACE}", True),
    ],
)
def test_what_the_patterns_take_as_whitespace_is_what_the_app_strips(where, value, valid):
    """The forms strip, and codes drop, Python's whitespace (U+001D too); U+FEFF is text."""
    schema, *field = where
    path = ("components", "schemas", schema, *(("properties", *field) if field else ()))
    assert schema_validator(*path).is_valid(value) == valid


OPERATION_IDS = [f"{method} {path}" for method, path, _ in OPERATIONS]
WITH_BODIES = [
    (operation, f"{m} {p}") for m, p, operation in OPERATIONS if "requestBody" in operation
]


@pytest.mark.parametrize(
    "operation", [op for op, _ in WITH_BODIES], ids=[name for _, name in WITH_BODIES]
)
def test_every_body_is_described_as_json_and_as_both_forms(operation):
    assert set(operation["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_operation_says_what_it_needs(method, path, operation):
    """Public ones say ``security: []``; every POST and DELETE needs the CSRF token too."""
    assert "security" in operation
    requirements = operation["security"]
    with_session = [set(requirement) for requirement in requirements if "session" in requirement]
    # A bearer token needs nothing beside it: no cookie, no CSRF token.
    assert all(set(r) == {"bearer"} for r in requirements if "bearer" in r)
    if method in {"post", "delete"}:
        assert with_session == [{"session", "csrf"}]
    if method == "get" and requirements:
        assert with_session == [{"session"}]


WITH_CSRF = [
    (operation, f"{m} {p}")
    for m, p, operation in OPERATIONS
    if any("csrf" in requirement for requirement in operation["security"])
]


@pytest.mark.parametrize(
    "operation", [op for op, _ in WITH_CSRF], ids=[name for _, name in WITH_CSRF]
)
def test_every_operation_that_needs_the_csrf_token_lists_its_403(operation):
    """A missing credential is a 401 or a 403 (Schemathesis's ``ignored_auth``): a CSRF
    failure is a 403 of its own type, listed with an example on every operation that needs
    the token."""
    response = resolved(operation["responses"]["403"])
    (media,) = response["content"].values()
    types = {example["errors"]["type"] for _, example in examples_of(media)}
    assert messages.CSRF_FAILED_TYPE in types


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_every_operation_can_answer_a_server_error(method, path, operation):
    assert "500" in operation["responses"]
    if method in {"post", "delete"}:
        assert {"400", "413"} <= set(operation["responses"])
