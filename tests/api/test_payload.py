"""Request bodies: a JSON object or a form, type-checked before any form sees them.

The rules of ``app.api.payload.validated``, tested on the request alone: each test builds a
request with ``test_request_context`` on one app of the module, and no test reaches a
database, so they run once, not again on PostgreSQL. That each endpoint reads its body
through ``validated``, and that a refused body changes nothing, is tested over HTTP in
tests/test_body_size.py.
"""

import io
import json

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from app import create_app
from app.api.payload import BOOLEAN, OBJECT, TEXT, TOKEN, _field_kinds, validated
from app.common import messages
from app.common.refusals import FieldErrors, Refusal
from app.passkeys.forms import CredentialForm, NewPasskeyForm
from app.users.forms import (
    ChangePasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
    TokenForm,
)
from tests.helpers import (
    PASSWORD,
    SIGNUP_FIELDS,
    SIGNUP_WITH_UNDECLARED_FIELDS,
    form_of_size,
    json_of_size,
)

NEW_PASSWORD = "tangerine voyage quietly 48 lanterns"
# A valid body for each form that the endpoints under /api/auth read.
BODIES = {
    LoginForm: {"login": "alice", "password": PASSWORD},
    SignupForm: SIGNUP_FIELDS,
    ChangePasswordForm: {
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    },
}
FORMS = [pytest.param(form, id=form.__name__) for form in BODIES]
STRING_FIELDS = [
    pytest.param(form, field, id=f"{form.__name__}.{field}")
    for form, body in BODIES.items()
    for field in body
]
REMEMBER_ME = pytest.param(LoginForm, "remember_me", id="LoginForm.remember_me")
# What each form says of a body that holds none of its fields.
REQUIRED = {
    form: {field: [messages.FIELD_REQUIRED] for field in body} for form, body in BODIES.items()
}
# ChangePasswordForm is bound to the user whose password it changes; only the password rule
# reads that user, and validated never applies it.
FORM_ARGUMENTS = {ChangePasswordForm: {"user": None}}
NOT_STRING = [messages.FIELD_NOT_STRING]
BAD_CHARACTERS = [messages.FIELD_BAD_CHARACTERS]
JSON = "application/json"
URLENCODED = "application/x-www-form-urlencoded"
DEFAULT_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def bare_app():
    """One app for the module's request contexts. Its in-memory database is never opened:
    the reader reads the request, never the database."""
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def read(app, form_class, **request):
    """The form that ``validated(form_class)`` returns for a POST made of ``request`` (the
    arguments of ``test_request_context``: ``json``, ``data``, ``content_type``...)."""
    with app.test_request_context("/", method="POST", **request):
        return validated(form_class, **FORM_ARGUMENTS.get(form_class, {}))


def refusal(app, form_class, **request):
    """The fields of the 422 that ``validated`` raises for this request."""
    with pytest.raises(FieldErrors) as raised:
        read(app, form_class, **request)
    assert raised.value.status == 422
    assert raised.value.message == messages.VALIDATION_FAILED
    return raised.value.fields


def aborted(app, form_class, **request):
    """``(status, message)`` of the error, other than a field error, that ``validated``
    raises for this request."""
    with pytest.raises((Refusal, HTTPException)) as raised:
        read(app, form_class, **request)
    refused = raised.value
    if isinstance(refused, HTTPException):
        return refused.code, refused.description
    assert not isinstance(refused, FieldErrors)
    return refused.status, refused.message


# Bodies that are not a JSON object

MALFORMED_JSON = [
    pytest.param(b"", id="empty"),
    pytest.param(b"{", id="unclosed"),
    pytest.param(b"{'login': 'alice'}", id="single quotes"),
    pytest.param(b'{"login": "alice",}', id="trailing comma"),
    pytest.param(b'{"login": alice}', id="bare word"),
    pytest.param(b'{"login": "\xff"}', id="byte FF in a string"),
    pytest.param(b'{"login": "\xc3\x28"}', id="cut UTF-8 sequence in a string"),
    pytest.param(b"\xff\xfe\x00", id="UTF-16 byte order mark"),
    pytest.param(b"\x00" * 100, id="NUL bytes"),
    pytest.param(b'{"login": "a"}\x00', id="NUL after the object"),
    # Python refuses to read an int of more than 4300 digits.
    pytest.param(b'{"login": 1' + b"1" * 5000 + b"}", id="5001-digit number"),
    # Nesting past the recursion limit: a RecursionError, not a 500.
    pytest.param(b"[" * 40000, id="40000 open brackets"),
    pytest.param(b'{"login": ' * 5000, id="5000 open objects"),
    pytest.param(
        b'{"login": ' + b"[" * 20000 + b"]" * 20000 + b"}", id="20000 nested lists in a field"
    ),
    pytest.param(
        b'{"login": ' + b"[" * 20000 + b"]" * 20000 + b', "password": "x"}',
        id="20000 nested lists before another field",
    ),
    pytest.param(
        b'{"login": ' + b'{"a":' * 6000 + b"1" + b"}" * 6000 + b"}",
        id="6000 nested objects in a field",
    ),
]


@pytest.mark.parametrize("form_class", FORMS)
@pytest.mark.parametrize("raw", MALFORMED_JSON)
def test_malformed_json_is_400(bare_app, form_class, raw):
    assert aborted(bare_app, form_class, data=raw, content_type=JSON) == (
        400,
        messages.BODY_MALFORMED,
    )


NOT_OBJECTS = [
    pytest.param("[]", id="empty list"),
    pytest.param('["alice"]', id="list"),
    pytest.param('"alice"', id="string"),
    pytest.param("1", id="integer"),
    pytest.param("1.5", id="float"),
    pytest.param("null", id="null"),
    pytest.param("true", id="true"),
    # The right values, as a list of pairs: still not an object (Flask-WTF would take it).
    pytest.param(
        json.dumps([["login", "alice"], ["password", PASSWORD]]), id="the fields as pairs"
    ),
]


@pytest.mark.parametrize("form_class", FORMS)
@pytest.mark.parametrize("raw", NOT_OBJECTS)
def test_json_that_is_not_an_object_is_400(bare_app, form_class, raw):
    assert aborted(bare_app, form_class, data=raw, content_type=JSON) == (
        400,
        messages.BODY_NOT_OBJECT,
    )


# The forms that do not declare ``login``: a body of only that field leaves theirs missing.
LOGIN_UNKNOWN = {SignupForm: REQUIRED[SignupForm], ChangePasswordForm: REQUIRED[ChangePasswordForm]}
# Odd JSON that Python still reads as an object: each value is judged like any other, by
# each form that declares its field (the password is in all three).
ODD_OBJECTS = [
    pytest.param(
        b'{"login": NaN, "password": Infinity}',
        {
            LoginForm: {"login": NOT_STRING, "password": NOT_STRING},
            SignupForm: {"password": NOT_STRING},
            ChangePasswordForm: {"password": NOT_STRING},
        },
        id="NaN and Infinity",
    ),
    pytest.param(
        b'{"login": -Infinity}', {LoginForm: {"login": NOT_STRING}, **LOGIN_UNKNOWN}, id="-Infinity"
    ),
    pytest.param(
        b'{"login": 1e999}', {LoginForm: {"login": NOT_STRING}, **LOGIN_UNKNOWN}, id="1e999"
    ),
    pytest.param(
        b'{"login": "\\u0000"}',
        {LoginForm: {"login": BAD_CHARACTERS}, **LOGIN_UNKNOWN},
        id="escaped NUL",
    ),
    # Python takes a UTF-8 byte order mark before the JSON for no character at all.
    pytest.param(
        b"\xef\xbb\xbf" + json.dumps({"login": "alice"}).encode(),
        {LoginForm: {"password": [messages.FIELD_REQUIRED]}, **LOGIN_UNKNOWN},
        id="UTF-8 byte order mark",
    ),
]


@pytest.mark.parametrize("form_class", FORMS)
@pytest.mark.parametrize(("raw", "fields"), ODD_OBJECTS)
def test_odd_json_objects_are_judged_field_by_field(bare_app, form_class, raw, fields):
    assert refusal(bare_app, form_class, data=raw, content_type=JSON) == fields[form_class]


# Values of the wrong JSON type

WRONG_TYPES = [
    None,
    0,
    1,
    -1,
    1.5,
    10**30,
    True,
    False,
    [],
    ["alice"],
    [PASSWORD, PASSWORD],
    [[["alice"]]],
    [[["deep"]]],
    {},
    {"value": "alice"},
    {"value": PASSWORD},
    {"a": {"b": {"c": [None]}}},
]


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_string_field_of_wrong_type_is_422(bare_app, form_class, field, value):
    body = {**BODIES[form_class], field: value}
    assert refusal(bare_app, form_class, json=body) == {field: NOT_STRING}


@pytest.mark.parametrize("form_class", FORMS)
def test_every_field_of_wrong_type_is_named(bare_app, form_class):
    body = dict.fromkeys(BODIES[form_class], 7)
    assert refusal(bare_app, form_class, json=body) == {field: NOT_STRING for field in body}


def test_type_errors_come_before_form_rules(bare_app):
    """A wrong type is reported alone, not mixed with what the form would have said."""
    body = {"user_name": ["x"], "email": "not an email"}
    assert refusal(bare_app, SignupForm, json=body) == {"user_name": NOT_STRING}


def test_a_repeated_key_inside_a_nested_value_is_still_a_type_error(bare_app):
    raw = b'{"login": {"a": 1, "a": 2}, "password": "x"}'
    assert refusal(bare_app, LoginForm, data=raw, content_type=JSON) == {"login": NOT_STRING}


@pytest.mark.parametrize(
    "value", [None, 0, 1, "true", "false", "y", "on", "1", "", [], [True], {}], ids=repr
)
def test_remember_me_must_be_a_json_boolean(bare_app, value):
    body = {**BODIES[LoginForm], "remember_me": value}
    fields = {"remember_me": [messages.FIELD_NOT_BOOLEAN]}
    assert refusal(bare_app, LoginForm, json=body) == fields


@pytest.mark.parametrize(
    ("remember_me", "remembered"),
    [(True, True), (False, False), (None, False)],
    ids=["true", "false", "left out"],
)
def test_remember_me_json_boolean(bare_app, remember_me, remembered):
    body = dict(BODIES[LoginForm])
    if remember_me is not None:
        body["remember_me"] = remember_me
    assert read(bare_app, LoginForm, json=body).remember_me.data is remembered


# Characters no database takes


def with_nul(value, where):
    return {"start": "\0" + value, "middle": value[:2] + "\0" + value[2:], "end": value + "\0"}[
        where
    ]


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize("encoding", ["json", "data"])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_nul_byte_is_422(bare_app, form_class, field, encoding, where):
    body = {**BODIES[form_class], field: with_nul(BODIES[form_class][field], where)}
    assert refusal(bare_app, form_class, **{encoding: body}) == {field: BAD_CHARACTERS}


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize("surrogate", ["\\ud800", "\\udfff", "x\\udc00y"])
def test_lone_surrogate_escape_is_422(bare_app, form_class, field, surrogate):
    raw = json.dumps({**BODIES[form_class], field: "SURROGATE"}).replace("SURROGATE", surrogate)
    assert surrogate in raw
    assert refusal(bare_app, form_class, data=raw, content_type=JSON) == {field: BAD_CHARACTERS}


def test_lone_surrogate_as_raw_bytes_is_422(bare_app):
    """CESU-style bytes for U+D800 decode (surrogatepass) to a lone surrogate: still refused."""
    raw = b'{"login": "\xed\xa0\x80", "password": "x"}'
    assert refusal(bare_app, LoginForm, data=raw, content_type=JSON) == {"login": BAD_CHARACTERS}


def test_paired_surrogate_escape_is_a_normal_character(bare_app):
    """A proper pair (here U+1F511) is one character, and a fine password."""
    password = PASSWORD + "\U0001f511"
    raw = json.dumps({**SIGNUP_FIELDS, "password": password, "confirm": password})
    assert "\\ud83d\\udd11" in raw
    form = read(bare_app, SignupForm, data=raw, content_type=JSON)
    assert form.password.data == form.confirm.data == password


# Bytes that are not UTF-8

# Python reads JSON bytes with surrogatepass: the bytes of a lone surrogate become one, which
# the field refuses; any other bad sequence makes the body no JSON at all.
INVALID_UTF8_IN_JSON = [
    pytest.param(b"\xff", False, id="FF"),
    pytest.param(b"\xc3\x28", False, id="C3 28"),
    pytest.param(b"\xed\xa0\x80", True, id="ED A0 80 (U+D800)"),
    pytest.param(b"\xf8\x88\x80\x80\x80", False, id="F8 88 80 80 80"),
    pytest.param(b"ok\xc3", False, id="cut short"),
]


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize(("raw_value", "surrogate"), INVALID_UTF8_IN_JSON)
def test_invalid_utf8_in_a_json_field(bare_app, form_class, field, raw_value, surrogate):
    raw = json.dumps({**BODIES[form_class], field: "HERE"}).encode().replace(b"HERE", raw_value)
    if surrogate:
        assert refusal(bare_app, form_class, data=raw, content_type=JSON) == {field: BAD_CHARACTERS}
    else:
        assert aborted(bare_app, form_class, data=raw, content_type=JSON) == (
            400,
            messages.BODY_MALFORMED,
        )


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize("escaped", ["%FF", "%C3%28", "%ED%A0%80", "ok%C3"])
def test_invalid_utf8_in_a_form_field_is_400(bare_app, form_class, field, escaped):
    """Werkzeug would hand the view the escape itself as text: "%FF" instead of an error."""
    body = {**BODIES[form_class], field: "HERE"}
    raw = "&".join(f"{name}={value}" for name, value in body.items()).replace("HERE", escaped)
    assert aborted(bare_app, form_class, data=raw, content_type=URLENCODED) == (
        400,
        messages.BODY_NOT_UTF8,
    )


@pytest.mark.parametrize(
    "raw",
    [b"login=%ff%fe&password=x", b"login=\xff\xfe&password=x"],
    ids=["escaped", "raw bytes"],
)
def test_form_body_with_invalid_utf8_is_400(bare_app, raw):
    """Werkzeug would keep "%ff" as text, or drop a form with raw bytes: refused instead."""
    assert aborted(bare_app, LoginForm, data=raw, content_type=URLENCODED) == (
        400,
        messages.BODY_NOT_UTF8,
    )


def multipart(fields, boundary="fuzzboundary"):
    """``fields`` (name: bytes) as the body of a multipart/form-data request, and its type."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    raw = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return {"data": raw, "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
def test_invalid_utf8_in_a_multipart_field_is_422(bare_app, form_class, field):
    """Werkzeug would hand the view U+FFFD in place of the bad bytes."""
    fields = {name: value.encode() for name, value in BODIES[form_class].items()}
    fields[field] = b"x\xff\xfey"
    assert refusal(bare_app, form_class, **multipart(fields)) == {field: BAD_CHARACTERS}


# Fields given twice

REPEATABLE_FIELDS = [*STRING_FIELDS, REMEMBER_ME]


@pytest.mark.parametrize(("form_class", "field"), REPEATABLE_FIELDS)
@pytest.mark.parametrize("second", ["other", "same"])
def test_form_field_given_twice_is_422(bare_app, form_class, field, second):
    first = BODIES[form_class].get(field, "y")
    body = MultiDict(BODIES[form_class])
    body.setlist(field, [first, first if second == "same" else "other"])
    assert refusal(bare_app, form_class, data=body) == {field: [messages.FIELD_REPEATED]}


def json_with_repeat(body, field, second):
    """``body`` as raw JSON with ``field`` given a second time, as ``second``."""
    pairs = [f"{json.dumps(name)}: {json.dumps(value)}" for name, value in body.items()]
    pairs.append(f"{json.dumps(field)}: {json.dumps(second)}")
    return ("{" + ", ".join(pairs) + "}").encode()


@pytest.mark.parametrize(("form_class", "field"), REPEATABLE_FIELDS)
@pytest.mark.parametrize("second", ["other", "same"])
def test_json_key_given_twice_is_422(bare_app, form_class, field, second):
    """Like a form field sent twice: neither value is silently dropped."""
    body = dict(BODIES[form_class])
    if field == "remember_me":
        body["remember_me"] = False
    value = body[field] if second == "same" else (True if field == "remember_me" else second)
    raw = json_with_repeat(body, field, value)
    assert refusal(bare_app, form_class, data=raw, content_type=JSON) == {
        field: [messages.FIELD_REPEATED]
    }


def test_unknown_json_key_given_twice_is_ignored(bare_app):
    raw = json_with_repeat({**BODIES[LoginForm], "extra": 1}, "extra", 2)
    form = read(bare_app, LoginForm, data=raw, content_type=JSON)
    assert form.data == {**BODIES[LoginForm], "remember_me": False}


# Forms


@pytest.mark.parametrize("word", ["y", "on", "true", "1", "Y", "ON", "True", " on "])
def test_form_remember_me_true(bare_app, word):
    body = {**BODIES[LoginForm], "remember_me": word}
    assert read(bare_app, LoginForm, data=body).remember_me.data is True


@pytest.mark.parametrize("word", ["", "n", "no", "off", "false", "0", "yes", "2", "checked"])
def test_form_remember_me_false(bare_app, word):
    body = {**BODIES[LoginForm], "remember_me": word}
    assert read(bare_app, LoginForm, data=body).remember_me.data is False


def test_form_without_remember_me_is_false(bare_app):
    assert read(bare_app, LoginForm, data=BODIES[LoginForm]).remember_me.data is False


# Content types


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "multipart/form-data",
    ],
)
def test_form_content_types(bare_app, content_type):
    form = read(bare_app, SignupForm, data=SIGNUP_FIELDS, content_type=content_type)
    assert form.data == SIGNUP_FIELDS


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"],
)
def test_json_content_types(bare_app, content_type):
    raw = json.dumps(SIGNUP_FIELDS)
    assert read(bare_app, SignupForm, data=raw, content_type=content_type).data == SIGNUP_FIELDS


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/json", "application/xml", "application/octet-stream", None],
    ids=repr,
)
def test_other_content_types_are_415(bare_app, content_type):
    """A body of any other type (or of none named) is not read as empty."""
    raw = json.dumps(BODIES[LoginForm])
    assert aborted(bare_app, LoginForm, data=raw, content_type=content_type) == (
        415,
        messages.UNSUPPORTED_MEDIA_TYPE,
    )


def test_no_body_at_all_is_missing_fields(bare_app):
    assert refusal(bare_app, LoginForm) == REQUIRED[LoginForm]


# Unknown fields


def test_unknown_json_fields_are_ignored(bare_app):
    body = SIGNUP_WITH_UNDECLARED_FIELDS
    assert read(bare_app, SignupForm, json=body).data == SIGNUP_FIELDS


def test_unknown_form_fields_are_ignored(bare_app):
    body = MultiDict({**BODIES[LoginForm], "role": "admin"})
    body.add("extra", "1")
    body.add("extra", "2")
    form = read(bare_app, LoginForm, data=body)
    assert form.data == {**BODIES[LoginForm], "remember_me": False}


# Body size: 413 over MAX_CONTENT_LENGTH

ENCODINGS = {"json": (json_of_size, JSON), "form": (form_of_size, URLENCODED)}


def test_default_limit_is_64_kib(bare_app):
    assert bare_app.config["MAX_CONTENT_LENGTH"] == DEFAULT_LIMIT


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_body_over_the_limit_is_413(bare_app, encoding):
    make, content_type = ENCODINGS[encoding]
    raw = make(DEFAULT_LIMIT + 1, **BODIES[LoginForm])
    assert aborted(bare_app, LoginForm, data=raw, content_type=content_type) == (
        413,
        RequestEntityTooLarge.description,
    )


def test_multipart_body_over_the_limit_is_413(bare_app):
    body = {**SIGNUP_FIELDS, "pad": "x" * DEFAULT_LIMIT}
    assert aborted(bare_app, SignupForm, data=body, content_type="multipart/form-data") == (
        413,
        RequestEntityTooLarge.description,
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_body_at_the_limit_is_read(bare_app, encoding):
    make, content_type = ENCODINGS[encoding]
    raw = make(DEFAULT_LIMIT, **BODIES[LoginForm])
    assert len(raw) == DEFAULT_LIMIT
    form = read(bare_app, LoginForm, data=raw, content_type=content_type)
    assert form.data == {**BODIES[LoginForm], "remember_me": False}


def chunked(raw, content_type):
    """A body with no Content-Length, as a WSGI server hands on a chunked one."""
    return {
        "input_stream": io.BytesIO(raw),
        "content_type": content_type,
        "headers": {"Transfer-Encoding": "chunked"},
        "environ_overrides": {"wsgi.input_terminated": True},
    }


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    "size", [DEFAULT_LIMIT, DEFAULT_LIMIT + 100], ids=["at the limit", "over the limit"]
)
def test_chunked_body_over_the_limit_is_413_not_cut_short(bare_app, encoding, size):
    """Werkzeug stops reading a streamed body at the limit without a word, so the rest would be
    lost (``_refuse_cut_off_body``); at exactly the limit nothing tells it from a longer one."""
    make, content_type = ENCODINGS[encoding]
    raw = make(size, **BODIES[LoginForm])
    assert aborted(bare_app, LoginForm, **chunked(raw, content_type)) == (
        413,
        RequestEntityTooLarge.description,
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_chunked_body_under_the_limit_is_read(bare_app, encoding):
    make, content_type = ENCODINGS[encoding]
    raw = make(DEFAULT_LIMIT - 1, **BODIES[LoginForm])
    form = read(bare_app, LoginForm, **chunked(raw, content_type))
    assert form.data == {**BODIES[LoginForm], "remember_me": False}


# The module's own pieces


def test_field_kinds():
    assert _field_kinds(LoginForm) == {"login": TEXT, "password": TEXT, "remember_me": BOOLEAN}
    assert _field_kinds(SignupForm) == dict.fromkeys(SIGNUP_FIELDS, TEXT)
    assert _field_kinds(ChangePasswordForm) == dict.fromkeys(BODIES[ChangePasswordForm], TEXT)
    assert _field_kinds(ResetPasswordForm) == {"token": TOKEN, "password": TEXT, "confirm": TEXT}
    assert _field_kinds(NewPasskeyForm) == {"credential": OBJECT, "name": TEXT}


@pytest.mark.parametrize("token", ["a\x00b", "\ud800", "\ufffd", "x" * 10240])
def test_a_token_field_takes_any_string_for_the_token_store_to_refuse(bare_app, token):
    assert read(bare_app, TokenForm, json={"token": token}).token.data == token


@pytest.mark.parametrize("value", [7, None, ["t"], {"t": 1}, True])
def test_a_token_field_still_takes_only_a_string(bare_app, value):
    assert refusal(bare_app, TokenForm, json={"token": value}) == {"token": NOT_STRING}


CREDENTIAL = {"id": "abc", "response": {"clientDataJSON": "e30"}}


@pytest.mark.parametrize(
    "request_body",
    [{"json": {"credential": CREDENTIAL}}, {"data": {"credential": json.dumps(CREDENTIAL)}}],
    ids=["json object", "form field of JSON text"],
)
def test_an_object_field_takes_a_json_object(bare_app, request_body):
    assert read(bare_app, CredentialForm, **request_body).credential.data == CREDENTIAL


@pytest.mark.parametrize(
    "request_body",
    [
        {"json": {"credential": json.dumps(CREDENTIAL)}},
        {"json": {"credential": [CREDENTIAL]}},
        {"json": {"credential": None}},
        {"data": {"credential": "not JSON"}},
        {"data": {"credential": "[1]"}},
        {"data": {"credential": "{" * 5000}},
    ],
    ids=[
        "json: its JSON text",
        "json: a list",
        "json: null",
        "form: not JSON",
        "form: a list",
        "form: too deep",
    ],
)
def test_an_object_field_takes_nothing_else(bare_app, request_body):
    fields = {"credential": [messages.FIELD_NOT_OBJECT]}
    assert refusal(bare_app, CredentialForm, **request_body) == fields


def test_validated_returns_the_bound_form(bare_app):
    body = {**BODIES[LoginForm], "remember_me": True}
    form = read(bare_app, LoginForm, json=body)
    assert (form.login.data, form.password.data, form.remember_me.data) == (
        "alice",
        PASSWORD,
        True,
    )


def test_validated_raises_field_errors(bare_app):
    with (
        bare_app.test_request_context("/", method="POST", json={"login": 5}),
        pytest.raises(FieldErrors) as raised,
    ):
        validated(LoginForm)
    assert raised.value.status == 422
    assert raised.value.fields == {"login": NOT_STRING}
