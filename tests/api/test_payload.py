"""Request bodies: a JSON object or a form, type-checked before any form sees them."""

import json

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.api.payload import BOOLEAN, TEXT, TOKEN, _field_kinds, validated
from app.api.responses import FieldErrors
from app.common import messages
from app.extensions import db
from app.sessions.models import AuthSession
from app.users.forms import LoginForm, ResetPasswordForm, SignupForm, TokenForm
from app.users.models import User
from tests.helpers import PASSWORD, SIGNUP_FIELDS, assert_error, count_rows

LOGIN = "/api/auth/login"
SIGNUP = "/api/auth/signup"
BODIES = {
    LOGIN: {"login": "alice", "password": PASSWORD},
    SIGNUP: SIGNUP_FIELDS,
}
STRING_FIELDS = [(path, field) for path, body in BODIES.items() for field in body]
WRONG_TYPES = [1, 0, 1.5, True, False, None, [], ["alice"], {}, {"value": "alice"}]


@pytest.fixture
def alice(auth):
    """A signed-up user, logged out again."""
    assert auth.signup().status_code == 201
    assert auth.logout().status_code == 200


def post_raw(auth, path, raw, content_type="application/json"):
    return auth.post(path, data=raw, content_type=content_type)


def assert_nothing_written(app):
    assert count_rows(app, User) == 0
    assert count_rows(app, AuthSession) == 0


# Bodies that are not a JSON object


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"{'login': 'alice'}",
        b'{"login": "alice",}',
        b'{"login": alice}',
        b'{"login": "\xff"}',
        b'{"login": "\xc3\x28"}',
        b"\xff\xfe\x00",
        b"[" * 40000,
        b'{"login": ' * 5000,
        b'{"login": ' + b"[" * 20000 + b"]" * 20000 + b"}",
    ],
    ids=lambda raw: repr(raw[:20]),
)
def test_malformed_json_is_400(app, auth, path, raw):
    assert_error(post_raw(auth, path, raw), 400, messages.BODY_MALFORMED)
    assert_nothing_written(app)


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize("raw", ["[]", '["alice"]', '"alice"', "1", "1.5", "null", "true"])
def test_json_that_is_not_an_object_is_400(app, auth, path, raw):
    assert_error(post_raw(auth, path, raw), 400, messages.BODY_NOT_OBJECT)
    assert_nothing_written(app)


def test_json_body_of_the_fields_list_is_400(auth):
    """A list of the right values is still not an object (Flask-WTF would take it)."""
    raw = json.dumps([["login", "alice"], ["password", PASSWORD]])
    assert_error(post_raw(auth, LOGIN, raw), 400, messages.BODY_NOT_OBJECT)


# Values of the wrong JSON type


@pytest.mark.parametrize(("path", "field"), STRING_FIELDS)
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_string_field_of_wrong_type_is_422(app, alice, auth, client, path, field, value):
    body = {**BODIES[path], field: value}
    response = auth.post(path, json=body)
    assert_error(response, 422, messages.VALIDATION_FAILED, {field: [messages.FIELD_NOT_STRING]})
    assert count_rows(app, User) == 1
    assert count_rows(app, AuthSession) == 0
    assert client.get("/api/auth/verify_auth").status_code == 401


@pytest.mark.parametrize("path", BODIES)
def test_every_field_of_wrong_type_is_named(app, auth, path):
    body = dict.fromkeys(BODIES[path], 7)
    fields = {name: [messages.FIELD_NOT_STRING] for name in BODIES[path]}
    assert_error(auth.post(path, json=body), 422, messages.VALIDATION_FAILED, fields)
    assert_nothing_written(app)


@pytest.mark.parametrize("value", ["true", "false", "y", "on", "1", "", 1, 0, None, [], {}])
def test_remember_me_must_be_a_json_boolean(app, alice, auth, value):
    body = {**BODIES[LOGIN], "remember_me": value}
    response = auth.post(LOGIN, json=body)
    fields = {"remember_me": [messages.FIELD_NOT_BOOLEAN]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert count_rows(app, AuthSession) == 0


@pytest.mark.parametrize(("value", "remembered"), [(True, True), (False, False)])
def test_remember_me_json_boolean(app, alice, auth, value, remembered):
    assert auth.post(LOGIN, json={**BODIES[LOGIN], "remember_me": value}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuthSession.remember)) is remembered


def test_type_errors_come_before_form_rules(auth):
    """A wrong type is reported alone, not mixed with what the form would have said."""
    body = {"user_name": ["x"], "email": "not an email"}
    response = auth.post(SIGNUP, json=body)
    assert_error(
        response, 422, messages.VALIDATION_FAILED, {"user_name": [messages.FIELD_NOT_STRING]}
    )


def test_deeply_nested_value_in_a_field_is_400(auth):
    raw = '{"login": ' + "[" * 20000 + "]" * 20000 + ', "password": "x"}'
    assert_error(post_raw(auth, LOGIN, raw), 400, messages.BODY_MALFORMED)


def test_shallow_nested_value_in_a_field_is_422(auth):
    response = auth.post(LOGIN, json={"login": [[["alice"]]], "password": PASSWORD})
    fields = {"login": [messages.FIELD_NOT_STRING]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)


# Characters no database takes


@pytest.mark.parametrize(("path", "field"), STRING_FIELDS)
@pytest.mark.parametrize("kind", ["json", "data"])
def test_nul_byte_is_422(app, auth, path, field, kind):
    body = {**BODIES[path], field: BODIES[path][field] + "\x00"}
    response = auth.post(path, **{kind: body})
    fields = {field: [messages.FIELD_BAD_CHARACTERS]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert_nothing_written(app)


@pytest.mark.parametrize(("path", "field"), STRING_FIELDS)
@pytest.mark.parametrize("surrogate", ["\\ud800", "\\udfff", "x\\udc00y"])
def test_lone_surrogate_escape_is_422(app, auth, path, field, surrogate):
    raw = json.dumps({**BODIES[path], field: "SURROGATE"}).replace("SURROGATE", surrogate)
    assert surrogate in raw
    fields = {field: [messages.FIELD_BAD_CHARACTERS]}
    assert_error(post_raw(auth, path, raw), 422, messages.VALIDATION_FAILED, fields)
    assert_nothing_written(app)


def test_lone_surrogate_as_raw_bytes_is_not_a_500(app, auth):
    """CESU-style bytes for U+D800 decode (surrogatepass) to a lone surrogate: still refused."""
    raw = b'{"login": "\xed\xa0\x80", "password": "x"}'
    response = post_raw(auth, LOGIN, raw)
    fields = {"login": [messages.FIELD_BAD_CHARACTERS]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)


def test_paired_surrogate_escape_is_a_normal_character(auth):
    """A proper pair (here U+1F511) is one character, and a fine password."""
    password = PASSWORD + "\U0001f511"
    raw = json.dumps({**BODIES[SIGNUP], "password": password, "confirm": password})
    assert "\\ud83d\\udd11" in raw
    assert post_raw(auth, SIGNUP, raw).status_code == 201
    auth.logout()
    assert auth.login(password=password).status_code == 200


# Forms


@pytest.mark.parametrize(("path", "field"), [*STRING_FIELDS, (LOGIN, "remember_me")])
@pytest.mark.parametrize("second", ["other", None])
def test_form_field_given_twice_is_422(app, auth, path, field, second):
    first = BODIES[path].get(field, "y")
    body = MultiDict(BODIES[path])
    body.setlist(field, [first, second if second is not None else first])
    response = auth.post(path, data=body)
    fields = {field: [messages.FIELD_REPEATED]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert_nothing_written(app)


def json_with_repeat(body, field, second):
    """``body`` as raw JSON with ``field`` given a second time, as ``second``."""
    pairs = [f"{json.dumps(name)}: {json.dumps(value)}" for name, value in body.items()]
    pairs.append(f"{json.dumps(field)}: {json.dumps(second)}")
    return ("{" + ", ".join(pairs) + "}").encode()


@pytest.mark.parametrize(("path", "field"), [*STRING_FIELDS, (LOGIN, "remember_me")])
@pytest.mark.parametrize("second", ["other", "same"])
def test_json_key_given_twice_is_422(app, auth, path, field, second):
    """Like a form field sent twice: neither value is silently dropped."""
    body = {**BODIES[path], "remember_me": False} if field == "remember_me" else BODIES[path]
    value = body[field] if second == "same" else (True if field == "remember_me" else second)
    response = post_raw(auth, path, json_with_repeat(body, field, value))
    assert_error(response, 422, messages.VALIDATION_FAILED, {field: [messages.FIELD_REPEATED]})
    assert_nothing_written(app)


def test_unknown_json_key_given_twice_is_ignored(alice, auth):
    raw = json_with_repeat({**BODIES[LOGIN], "extra": 1}, "extra", 2)
    assert post_raw(auth, LOGIN, raw).status_code == 200


def test_a_repeated_key_inside_a_nested_value_is_still_a_type_error(auth):
    raw = b'{"login": {"a": 1, "a": 2}, "password": "x"}'
    response = post_raw(auth, LOGIN, raw)
    assert_error(response, 422, messages.VALIDATION_FAILED, {"login": [messages.FIELD_NOT_STRING]})


@pytest.mark.parametrize("word", ["y", "on", "true", "1", "Y", "ON", "True", " on "])
def test_form_remember_me_true(app, alice, auth, word):
    assert auth.post(LOGIN, data={**BODIES[LOGIN], "remember_me": word}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuthSession.remember)) is True


@pytest.mark.parametrize("word", ["", "n", "no", "off", "false", "0", "yes", "2", "checked"])
def test_form_remember_me_false(app, alice, auth, word):
    assert auth.post(LOGIN, data={**BODIES[LOGIN], "remember_me": word}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuthSession.remember)) is False


def test_form_without_remember_me_is_false(app, alice, auth):
    assert auth.post(LOGIN, data=BODIES[LOGIN]).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuthSession.remember)) is False


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "multipart/form-data",
    ],
)
def test_form_content_types(auth, content_type):
    response = auth.post(SIGNUP, data=BODIES[SIGNUP], content_type=content_type)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"],
)
def test_json_content_types(auth, content_type):
    response = post_raw(auth, SIGNUP, json.dumps(BODIES[SIGNUP]), content_type)
    assert response.status_code == 201


def test_no_body_at_all_is_missing_fields(auth):
    response = auth.post(LOGIN)
    required = [messages.FIELD_REQUIRED]
    fields = {"login": required, "password": required}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)


@pytest.mark.parametrize("body", [b"login=%ff%fe&password=x", b"login=\xff\xfe&password=x"])
def test_form_value_with_invalid_utf8_is_400(auth, body):
    """Werkzeug would keep "%ff" as text, or drop a form with raw bytes: refused instead."""
    response = auth.post(LOGIN, data=body, content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, messages.BODY_NOT_UTF8)


@pytest.mark.parametrize(
    "disposition",
    ["form-data", 'form-data; filename="a.txt"', "attachment"],
    ids=["no name", "a file with no name", "not form-data"],
)
def test_a_form_part_with_no_name_is_400(auth, disposition):
    """RFC 7578 names every part. Werkzeug keys a nameless one None, and Flask-WTF, looking
    for its token among the fields before the header, raised on it: a 500 on every POST."""
    auth.fetch_token()
    body = (
        f"--B\r\nContent-Disposition: {disposition}\r\n\r\nvalue\r\n"
        '--B\r\nContent-Disposition: form-data; name="login"\r\n\r\nalice\r\n--B--\r\n'
    )
    response = auth.post(LOGIN, data=body, content_type="multipart/form-data; boundary=B")
    assert_error(response, 400, messages.FORM_PART_UNNAMED)


# Unknown fields


def test_unknown_json_fields_are_ignored(app, auth):
    body = {
        **BODIES[SIGNUP],
        "id": 999,
        "role": "admin",
        "role_code": 0,
        "created_on": "2000-01-01T00:00:00Z",
        "nested": {"deep": [1, 2, None]},
        "csrf_token": None,
    }
    response = auth.post(SIGNUP, json=body)
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["role"] == "user"
    assert data["id"] != 999
    assert not data["created_on"].startswith("2000")


def test_unknown_form_fields_are_ignored(alice, auth):
    body = MultiDict({**BODIES[LOGIN], "role": "admin"})
    body.add("extra", "1")
    body.add("extra", "2")
    assert auth.post(LOGIN, data=body).status_code == 200


# The module's own pieces


def test_field_kinds():
    assert _field_kinds(LoginForm) == {"login": TEXT, "password": TEXT, "remember_me": BOOLEAN}
    assert _field_kinds(SignupForm) == dict.fromkeys(BODIES[SIGNUP], TEXT)
    assert _field_kinds(ResetPasswordForm) == {"token": TOKEN, "password": TEXT, "confirm": TEXT}


@pytest.mark.parametrize("token", ["a\x00b", "\ud800", "\ufffd", "x" * 10240])
def test_a_token_field_takes_any_string_for_the_token_store_to_refuse(app, token):
    with app.test_request_context("/", method="POST", json={"token": token}):
        assert validated(TokenForm).token.data == token


@pytest.mark.parametrize("value", [7, None, ["t"], {"t": 1}, True])
def test_a_token_field_still_takes_only_a_string(app, value):
    with (
        app.test_request_context("/", method="POST", json={"token": value}),
        pytest.raises(FieldErrors) as refused,
    ):
        validated(TokenForm)
    assert refused.value.fields == {"token": [messages.FIELD_NOT_STRING]}


def test_validated_returns_the_bound_form(app):
    body = {**BODIES[LOGIN], "remember_me": True}
    with app.test_request_context(LOGIN, method="POST", json=body):
        form = validated(LoginForm)
    assert (form.login.data, form.password.data, form.remember_me.data) == (
        "alice",
        PASSWORD,
        True,
    )


def test_validated_raises_field_errors(app):
    request = app.test_request_context(LOGIN, method="POST", json={"login": 5})
    with request, pytest.raises(FieldErrors) as raised:
        validated(LoginForm)
    assert raised.value.code == 422
    assert raised.value.fields == {"login": [messages.FIELD_NOT_STRING]}
