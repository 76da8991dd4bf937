"""The body reader's rules, once, as unit tests of ``validated()`` under a request context.

No database: these run once, in the SQLite pass. That each endpoint reads its body through
``validated()``, and that a refused body changes nothing, is shown over HTTP in
``tests/test_body_size.py``, once per endpoint.
"""

import io
import json

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from app import create_app
from app.api.payload import BOOLEAN, TEXT, TOKEN, _field_kinds, validated
from app.api.responses import FieldErrors
from app.common import messages
from app.users.forms import (
    ChangePasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
    TokenForm,
)
from tests.helpers import PASSWORD, SIGNUP_FIELDS

NEW_PASSWORD = "tangerine voyage quietly 48 lanterns"
LIMIT = 64 * 1024
# A valid body for each form that the endpoints' tables posted.
BODIES = {
    LoginForm: {"login": "alice", "password": PASSWORD},
    SignupForm: SIGNUP_FIELDS,
    ChangePasswordForm: {
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    },
}
STRING_FIELDS = [
    pytest.param(form, field, id=f"{form.__name__}-{field}")
    for form, body in BODIES.items()
    for field in body
]
FORMS = [pytest.param(form, id=form.__name__) for form in BODIES]
WRONG_TYPES = [
    None,
    0,
    -1,
    1,
    1.5,
    10**30,
    True,
    False,
    [],
    ["alice"],
    [PASSWORD, PASSWORD],
    {},
    {"value": PASSWORD},
    [[["deep"]]],
    {"a": {"b": {"c": [None]}}},
]
FORM_TYPE = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def bare_app():
    """An app that never opens its database: nothing here reads or writes one."""
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.fixture
def reader(bare_app):
    """``read(form_class, **request)``: ``(200, {field: data})`` for the bound form, ``(422,
    fields)`` for field errors, ``(status, description)`` for an HTTP error."""

    def read(form_class, **request):
        with bare_app.test_request_context("/", method="POST", **request):
            try:
                form = validated(form_class)
            except FieldErrors as refused:
                return 422, refused.fields
            except HTTPException as refused:
                return refused.code, refused.description
            return 200, {name: field.data for name, field in form._fields.items()}

    return read


def raw_json(reader, form_class, raw, content_type="application/json"):
    return reader(form_class, data=raw, content_type=content_type)


def form_body(body, field, value):
    """``body`` as a urlencoded form, with ``field``'s value written as ``value`` as it is."""
    return "&".join(f"{name}={value if name == field else text}" for name, text in body.items())


# Bodies that are not a JSON object


@pytest.mark.parametrize("form_class", FORMS)
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
        b'{"login": 1' + b"1" * 5000 + b"}",
        b'{"login": ' + b'{"a":' * 6000 + b"1" + b"}" * 6000 + b"}",
        b"\x00" * 100,
        b'{"login": "a"}\x00',
    ],
    ids=lambda raw: repr(raw[:20]),
)
def test_malformed_json_is_400(reader, form_class, raw):
    assert raw_json(reader, form_class, raw) == (400, messages.BODY_MALFORMED)


@pytest.mark.parametrize("form_class", FORMS)
@pytest.mark.parametrize("raw", ["[]", '["alice"]', '"alice"', "1", "1.5", "null", "true"])
def test_json_that_is_not_an_object_is_400(reader, form_class, raw):
    assert raw_json(reader, form_class, raw) == (400, messages.BODY_NOT_OBJECT)


def test_json_body_of_the_fields_list_is_400(reader):
    """A list of the right values is still not an object (Flask-WTF would take it)."""
    raw = json.dumps([["login", "alice"], ["password", PASSWORD]])
    assert raw_json(reader, LoginForm, raw) == (400, messages.BODY_NOT_OBJECT)


# Values of the wrong JSON type


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_a_string_field_of_wrong_type_is_422(reader, form_class, field, value):
    body = {**BODIES[form_class], field: value}
    assert reader(form_class, json=body) == (422, {field: [messages.FIELD_NOT_STRING]})


@pytest.mark.parametrize("form_class", FORMS)
def test_every_field_of_wrong_type_is_named(reader, form_class):
    body = dict.fromkeys(BODIES[form_class], 7)
    fields = {name: [messages.FIELD_NOT_STRING] for name in body}
    assert reader(form_class, json=body) == (422, fields)


@pytest.mark.parametrize(
    "value", ["true", "false", "y", "on", "1", "", None, 0, 1, [], [True], {}], ids=repr
)
def test_remember_me_must_be_a_json_boolean(reader, value):
    body = {**BODIES[LoginForm], "remember_me": value}
    assert reader(LoginForm, json=body) == (422, {"remember_me": [messages.FIELD_NOT_BOOLEAN]})


@pytest.mark.parametrize("value", [True, False])
def test_remember_me_json_boolean(reader, value):
    status, data = reader(LoginForm, json={**BODIES[LoginForm], "remember_me": value})
    assert (status, data["remember_me"]) == (200, value)


def test_type_errors_come_before_form_rules(reader):
    """A wrong type is reported alone, not mixed with what the form would have said."""
    body = {"user_name": ["x"], "email": "not an email"}
    assert reader(SignupForm, json=body) == (422, {"user_name": [messages.FIELD_NOT_STRING]})


def test_a_shallow_nested_value_in_a_field_is_422(reader):
    body = {"login": [[["alice"]]], "password": PASSWORD}
    assert reader(LoginForm, json=body) == (422, {"login": [messages.FIELD_NOT_STRING]})


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        (b'{"login": NaN, "password": Infinity}', ["login", "password"]),
        (b'{"login": -Infinity, "password": "x"}', ["login"]),
        (b'{"login": 1e999, "password": "x"}', ["login"]),
    ],
    ids=["nan-and-infinity", "minus-infinity", "overflow"],
)
def test_json_numbers_beyond_the_standard_are_still_not_strings(reader, raw, fields):
    expected = {field: [messages.FIELD_NOT_STRING] for field in fields}
    assert raw_json(reader, LoginForm, raw) == (422, expected)


def test_a_byte_order_mark_is_read_past(reader):
    raw = b"\xef\xbb\xbf" + json.dumps({"login": "alice"}).encode()
    assert raw_json(reader, LoginForm, raw) == (422, {"password": [messages.FIELD_REQUIRED]})


# Characters no database takes


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize("encoding", ["json", "data"])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_nul_byte_anywhere_in_a_field_is_422(reader, form_class, field, encoding, where):
    value = BODIES[form_class][field]
    value = {"start": "\0" + value, "middle": value[:2] + "\0" + value[2:], "end": value + "\0"}
    body = {**BODIES[form_class], field: value[where]}
    assert reader(form_class, **{encoding: body}) == (
        422,
        {field: [messages.FIELD_BAD_CHARACTERS]},
    )


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize("surrogate", ["\\ud800", "\\udfff", "x\\udc00y"])
def test_a_lone_surrogate_escape_is_422(reader, form_class, field, surrogate):
    raw = json.dumps({**BODIES[form_class], field: "HERE"}).replace("HERE", surrogate)
    assert surrogate in raw
    fields = {field: [messages.FIELD_BAD_CHARACTERS]}
    assert raw_json(reader, form_class, raw) == (422, fields)


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize(
    ("raw_value", "expected"),
    [
        (b"\xff", "malformed"),
        (b"\xc3\x28", "malformed"),
        # CESU-style bytes for U+D800 decode (surrogatepass) to a lone surrogate: refused.
        (b"\xed\xa0\x80", "bad characters"),
        (b"\xf8\x88\x80\x80\x80", "malformed"),
        (b"ok\xc3", "malformed"),
    ],
    ids=repr,
)
def test_invalid_utf8_in_a_json_field_is_400_or_422(reader, form_class, field, raw_value, expected):
    raw = json.dumps({**BODIES[form_class], field: "HERE"}).encode().replace(b"HERE", raw_value)
    answers = {
        "malformed": (400, messages.BODY_MALFORMED),
        "bad characters": (422, {field: [messages.FIELD_BAD_CHARACTERS]}),
    }
    assert raw_json(reader, form_class, raw) == answers[expected]


def test_a_paired_surrogate_escape_is_a_normal_character(reader):
    """A proper pair (here U+1F511) is one character, read as it is."""
    password = PASSWORD + "\U0001f511"
    raw = json.dumps({"login": "alice", "password": password})
    assert "\\ud83d\\udd11" in raw
    assert raw_json(reader, LoginForm, raw)[1]["password"] == password


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
@pytest.mark.parametrize("escaped", ["%FF", "%C3%28", "%ED%A0%80", "ok%C3"])
def test_invalid_utf8_in_a_form_field_is_400(reader, form_class, field, escaped):
    """Werkzeug would hand the view the escape itself as text: "%FF" instead of an error."""
    raw = form_body(BODIES[form_class], field, escaped)
    assert raw_json(reader, form_class, raw, FORM_TYPE) == (400, messages.BODY_NOT_UTF8)


@pytest.mark.parametrize("body", [b"login=%ff%fe&password=x", b"login=\xff\xfe&password=x"])
def test_a_form_with_raw_or_escaped_bad_bytes_is_400(reader, body):
    """Werkzeug would keep "%ff" as text, or drop a form with raw bytes: refused instead."""
    assert raw_json(reader, LoginForm, body, FORM_TYPE) == (400, messages.BODY_NOT_UTF8)


@pytest.mark.parametrize(("form_class", "field"), STRING_FIELDS)
def test_invalid_utf8_in_a_multipart_field_is_422(reader, form_class, field):
    """Werkzeug would hand the view U+FFFD in place of the bad bytes."""
    boundary = "fuzzboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + (b"x\xff\xfey" if name == field else value.encode())
        + b"\r\n"
        for name, value in BODIES[form_class].items()
    ]
    raw = b"".join(parts) + f"--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    fields = {field: [messages.FIELD_BAD_CHARACTERS]}
    assert raw_json(reader, form_class, raw, content_type) == (422, fields)


@pytest.mark.parametrize(
    "disposition",
    ["form-data", 'form-data; filename="a.txt"', "attachment"],
    ids=["no name", "a file with no name", "not form-data"],
)
def test_a_form_part_with_no_name_is_400(reader, disposition):
    """RFC 7578 names every part. Werkzeug keys a nameless one None, and Flask-WTF, looking
    for its token among the fields, raised on it: a 500 on every POST."""
    raw = (
        f"--B\r\nContent-Disposition: {disposition}\r\n\r\nvalue\r\n"
        '--B\r\nContent-Disposition: form-data; name="login"\r\n\r\nalice\r\n--B--\r\n'
    )
    content_type = "multipart/form-data; boundary=B"
    assert raw_json(reader, LoginForm, raw, content_type) == (400, messages.FORM_PART_UNNAMED)


# Fields given twice


@pytest.mark.parametrize(
    ("form_class", "field"),
    [*STRING_FIELDS, pytest.param(LoginForm, "remember_me", id="LoginForm-remember_me")],
)
@pytest.mark.parametrize("second", ["other", None])
def test_a_form_field_given_twice_is_422(reader, form_class, field, second):
    first = BODIES[form_class].get(field, "y")
    body = MultiDict(BODIES[form_class])
    body.setlist(field, [first, second if second is not None else first])
    assert reader(form_class, data=body) == (422, {field: [messages.FIELD_REPEATED]})


def json_with_repeat(body, field, second):
    """``body`` as raw JSON with ``field`` given a second time, as ``second``."""
    pairs = [f"{json.dumps(name)}: {json.dumps(value)}" for name, value in body.items()]
    pairs.append(f"{json.dumps(field)}: {json.dumps(second)}")
    return ("{" + ", ".join(pairs) + "}").encode()


@pytest.mark.parametrize(
    ("form_class", "field"),
    [*STRING_FIELDS, pytest.param(LoginForm, "remember_me", id="LoginForm-remember_me")],
)
@pytest.mark.parametrize("second", ["other", "same"])
def test_a_json_key_given_twice_is_422(reader, form_class, field, second):
    """Like a form field sent twice: neither value is silently dropped."""
    body = BODIES[form_class]
    if field == "remember_me":
        body = {**body, "remember_me": False}
    value = body[field] if second == "same" else (True if field == "remember_me" else second)
    raw = json_with_repeat(body, field, value)
    assert raw_json(reader, form_class, raw) == (422, {field: [messages.FIELD_REPEATED]})


def test_an_unknown_json_key_given_twice_is_ignored(reader):
    raw = json_with_repeat({**BODIES[LoginForm], "extra": 1}, "extra", 2)
    assert raw_json(reader, LoginForm, raw)[0] == 200


def test_a_repeated_key_inside_a_nested_value_is_still_a_type_error(reader):
    raw = b'{"login": {"a": 1, "a": 2}, "password": "x"}'
    assert raw_json(reader, LoginForm, raw) == (422, {"login": [messages.FIELD_NOT_STRING]})


# Forms


@pytest.mark.parametrize("word", ["y", "on", "true", "1", "Y", "ON", "True", " on "])
def test_form_remember_me_true(reader, word):
    status, data = reader(LoginForm, data={**BODIES[LoginForm], "remember_me": word})
    assert (status, data["remember_me"]) == (200, True)


@pytest.mark.parametrize("word", ["", "n", "no", "off", "false", "0", "yes", "2", "checked"])
def test_form_remember_me_false(reader, word):
    status, data = reader(LoginForm, data={**BODIES[LoginForm], "remember_me": word})
    assert (status, data["remember_me"]) == (200, False)


def test_a_form_without_remember_me_is_false(reader):
    assert reader(LoginForm, data=BODIES[LoginForm])[1]["remember_me"] is False


@pytest.mark.parametrize(
    "content_type",
    [FORM_TYPE, f"{FORM_TYPE}; charset=UTF-8", "multipart/form-data"],
)
def test_form_content_types(reader, content_type):
    status, data = reader(SignupForm, data=SIGNUP_FIELDS, content_type=content_type)
    assert (status, data) == (200, {**SIGNUP_FIELDS})


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/vnd.api+json"],
)
def test_json_content_types(reader, content_type):
    status, data = raw_json(reader, SignupForm, json.dumps(SIGNUP_FIELDS), content_type)
    assert (status, data) == (200, {**SIGNUP_FIELDS})


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "image/png"])
def test_another_content_type_is_415(reader, content_type):
    answer = raw_json(reader, LoginForm, b"login=alice", content_type)
    assert answer == (415, messages.UNSUPPORTED_MEDIA_TYPE)


def test_no_body_at_all_is_missing_fields(reader):
    required = [messages.FIELD_REQUIRED]
    assert reader(LoginForm) == (422, {"login": required, "password": required})


def test_unknown_json_fields_are_ignored(reader):
    body = {
        **SIGNUP_FIELDS,
        "id": 999,
        "role": "admin",
        "role_code": 0,
        "created_on": "2000-01-01T00:00:00Z",
        "nested": {"deep": [1, 2, None]},
        "csrf_token": None,
    }
    assert reader(SignupForm, json=body) == (200, {**SIGNUP_FIELDS})


def test_unknown_form_fields_are_ignored(reader):
    body = MultiDict({**BODIES[LoginForm], "role": "admin"})
    body.add("extra", "1")
    body.add("extra", "2")
    assert reader(LoginForm, data=body) == (200, {**BODIES[LoginForm], "remember_me": False})


# The size limit (MAX_CONTENT_LENGTH)


def json_of_size(size, **fields):
    """A JSON object of exactly ``size`` bytes: ``fields`` plus an ignored padding field."""
    body = {**fields, "pad": ""}
    missing = size - len(json.dumps(body).encode())
    assert missing >= 0
    return json.dumps({**body, "pad": "x" * missing}).encode()


def form_of_size(size, **fields):
    body = "&".join(f"{name}={value}" for name, value in {**fields, "pad": ""}.items())
    return (body + "x" * (size - len(body))).encode()


ENCODINGS = {"json": (json_of_size, "application/json"), "form": (form_of_size, FORM_TYPE)}


@pytest.mark.parametrize("form_class", FORMS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_body_over_the_limit_is_413(reader, form_class, encoding):
    make, content_type = ENCODINGS[encoding]
    raw = make(LIMIT + 1, **BODIES[form_class])
    assert raw_json(reader, form_class, raw, content_type)[0] == 413


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_body_at_the_limit_is_read(reader, encoding):
    make, content_type = ENCODINGS[encoding]
    raw = make(LIMIT, **BODIES[LoginForm])
    assert len(raw) == LIMIT
    assert raw_json(reader, LoginForm, raw, content_type)[0] == 200


def chunked(reader, raw, content_type):
    """``raw`` with no Content-Length, as a WSGI server hands on a chunked body."""
    return reader(
        LoginForm,
        input_stream=io.BytesIO(raw),
        content_type=content_type,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_chunked_body_over_the_limit_is_413_not_cut_short(reader, encoding):
    """Werkzeug stops reading a streamed body at the limit without a word; the rest is lost."""
    make, content_type = ENCODINGS[encoding]
    raw = make(LIMIT + 100, **BODIES[LoginForm])
    assert chunked(reader, raw, content_type)[0] == 413


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_chunked_body_under_the_limit_is_read(reader, encoding):
    make, content_type = ENCODINGS[encoding]
    raw = make(LIMIT - 1, **BODIES[LoginForm])
    status, data = chunked(reader, raw, content_type)
    assert (status, data["login"]) == (200, "alice")


# The module's own pieces


def test_field_kinds():
    assert _field_kinds(LoginForm) == {"login": TEXT, "password": TEXT, "remember_me": BOOLEAN}
    assert _field_kinds(SignupForm) == dict.fromkeys(SIGNUP_FIELDS, TEXT)
    assert _field_kinds(ResetPasswordForm) == {"token": TOKEN, "password": TEXT, "confirm": TEXT}


@pytest.mark.parametrize("token", ["a\x00b", "\ud800", "\ufffd", "x" * 10240])
def test_a_token_field_takes_any_string_for_the_token_store_to_refuse(reader, token):
    assert reader(TokenForm, json={"token": token}) == (200, {"token": token})


@pytest.mark.parametrize("value", [7, None, ["t"], {"t": 1}, True])
def test_a_token_field_still_takes_only_a_string(reader, value):
    assert reader(TokenForm, json={"token": value}) == (422, {"token": [messages.FIELD_NOT_STRING]})


def test_validated_returns_the_bound_form(reader):
    body = {**BODIES[LoginForm], "remember_me": True}
    assert reader(LoginForm, json=body) == (200, body)


def test_validated_raises_field_errors_as_a_422(bare_app):
    request = bare_app.test_request_context("/", method="POST", json={"login": 5})
    with request, pytest.raises(FieldErrors) as raised:
        validated(LoginForm)
    assert raised.value.code == 422
    assert raised.value.fields == {"login": [messages.FIELD_NOT_STRING]}
