"""Size and shape limits: 413 over MAX_CONTENT_LENGTH, 400 or 422 for any odd field, never 500."""

import http.client
import io
import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.common import messages
from app.extensions import db
from app.sessions.models import AuthSession
from app.users.models import User
from tests.helpers import PASSWORD, SIGNUP_FIELDS, assert_error, count_rows

LOGIN = "/api/auth/login"
SIGNUP = "/api/auth/signup"
CHANGE_PASSWORD = "/api/auth/change_password"
NEW_PASSWORD = "tangerine voyage quietly 48 lanterns"
# A valid body for each endpoint that takes fields; alice is logged in when they are sent.
BODIES = {
    LOGIN: {"login": "alice", "password": PASSWORD},
    SIGNUP: {**SIGNUP_FIELDS, "user_name": "bobby", "email": "bob@example.com"},
    CHANGE_PASSWORD: {
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    },
}
STRING_FIELDS = [(path, field) for path, body in BODIES.items() for field in body]
ALL_POSTS = [*BODIES, "/api/auth/logout", "/api/auth/logout_all"]
DEFAULT_LIMIT = 64 * 1024


@pytest.fixture
def alice(auth):
    """Alice, signed up and logged in."""
    assert auth.signup().status_code == 201
    return auth


def assert_untouched(app, client):
    """Nothing was written: one user, her one session, her password as it was."""
    assert count_rows(app, User) == 1
    assert count_rows(app, AuthSession) == 1
    assert client.get("/api/auth/verify_auth").get_json()["data"]["user_name"] == "alice"
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.check_password(PASSWORD)


def json_of_size(size, **fields):
    """A JSON object of exactly ``size`` bytes: ``fields`` plus an ignored padding field."""
    body = {**fields, "pad": ""}
    missing = size - len(json.dumps(body).encode())
    assert missing >= 0
    return json.dumps({**body, "pad": "x" * missing}).encode()


def form_of_size(size, **fields):
    body = "&".join(f"{name}={value}" for name, value in {**fields, "pad": ""}.items())
    return (body + "x" * (size - len(body))).encode()


ENCODINGS = {
    "json": (json_of_size, "application/json"),
    "form": (form_of_size, "application/x-www-form-urlencoded"),
}


# MAX_CONTENT_LENGTH


def test_default_limit_is_64_kib(app):
    assert app.config["MAX_CONTENT_LENGTH"] == DEFAULT_LIMIT


@pytest.mark.parametrize("path", ALL_POSTS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_body_over_the_limit_is_413(app, alice, client, path, encoding):
    make, content_type = ENCODINGS[encoding]
    raw = make(DEFAULT_LIMIT + 1, **BODIES.get(path, {}))
    response = alice.post(path, data=raw, content_type=content_type)
    assert_error(response, 413, messages.BODY_TOO_LARGE)
    assert_untouched(app, client)


def test_multipart_body_over_the_limit_is_413(app, alice, client):
    body = {**BODIES[SIGNUP], "pad": "x" * DEFAULT_LIMIT}
    response = alice.post(SIGNUP, data=body, content_type="multipart/form-data")
    assert_error(response, 413, messages.BODY_TOO_LARGE)
    assert_untouched(app, client)


def test_delete_with_a_body_over_the_limit_is_413(app, alice, client):
    response = client.delete(
        "/api/auth/sessions/nope",
        data=json_of_size(DEFAULT_LIMIT + 1),
        content_type="application/json",
        headers={"X-CSRFToken": alice.token},
    )
    assert_error(response, 413, messages.BODY_TOO_LARGE)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_body_at_the_limit_is_read(app, alice, encoding):
    make, content_type = ENCODINGS[encoding]
    raw = make(DEFAULT_LIMIT, login="alice", password=PASSWORD)
    assert len(raw) == DEFAULT_LIMIT
    assert alice.post(LOGIN, data=raw, content_type=content_type).status_code == 200


def test_limit_is_configurable(configured):
    app = configured("MAX_CONTENT_LENGTH", 1024, "1024")
    assert app.config["MAX_CONTENT_LENGTH"] == 1024
    client = app.test_client()
    headers = {"X-CSRFToken": client.get("/api/auth/csrf").get_json()["csrf_token"]}
    fields = {"login": "alice", "password": PASSWORD}
    too_big = client.post(
        LOGIN, data=json_of_size(1025, **fields), content_type="application/json", headers=headers
    )
    assert_error(too_big, 413, messages.BODY_TOO_LARGE)
    fits = client.post(
        LOGIN, data=json_of_size(1024, **fields), content_type="application/json", headers=headers
    )
    assert_error(fits, 401, messages.INVALID_CREDENTIALS)


def chunked_post(client, token, path, raw, content_type):
    """POST ``raw`` with no Content-Length, as a WSGI server hands on a chunked body."""
    return client.post(
        path,
        input_stream=io.BytesIO(raw),
        content_type=content_type,
        headers={"X-CSRFToken": token, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_chunked_body_over_the_limit_is_413_not_cut_short(app, alice, client, encoding):
    """Werkzeug stops reading a streamed body at the limit without a word; the rest is lost."""
    alice.logout()
    make, content_type = ENCODINGS[encoding]
    raw = make(DEFAULT_LIMIT + 100, login="alice", password=PASSWORD)
    response = chunked_post(client, alice.token, LOGIN, raw, content_type)
    assert_error(response, 413, messages.BODY_TOO_LARGE)
    assert count_rows(app, AuthSession) == 0


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_chunked_body_under_the_limit_is_read(app, alice, client, encoding):
    alice.logout()
    make, content_type = ENCODINGS[encoding]
    raw = make(DEFAULT_LIMIT - 1, login="alice", password=PASSWORD)
    assert chunked_post(client, alice.token, LOGIN, raw, content_type).status_code == 200


def test_chunked_body_over_the_limit_is_413_under_gunicorn(live_server):
    """No Content-Length to check up front: the body is cut off while it is read."""
    url = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("GET", "/api/auth/csrf")
        answer = connection.getresponse()
        token = json.load(answer)["csrf_token"]
        cookie = answer.headers["Set-Cookie"].split(";")[0]
        chunks = (b"x" * 1024 for _ in range(70))
        body = iter([b'{"login": "alice", "password": "', *chunks, b'"}'])
        connection.request(
            "POST",
            SIGNUP,
            body=body,
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": token,
                "Cookie": cookie,
                "Transfer-Encoding": "chunked",
            },
            encode_chunked=True,
        )
        answer = connection.getresponse()
        assert answer.status == 413
        assert json.load(answer) == {
            "success": False,
            "errors": {"type": "Payload too large", "message": messages.BODY_TOO_LARGE},
        }
    finally:
        connection.close()
    assert "Traceback" not in live_server.log()


# Odd values in any field of any endpoint: 400 or 422, never 500, nothing written

WRONG_TYPES = [
    None,
    0,
    -1,
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


@pytest.mark.parametrize(("path", "field"), STRING_FIELDS)
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_wrong_json_type_in_any_field_is_422(app, alice, client, path, field, value):
    response = alice.post(path, json={**BODIES[path], field: value})
    assert_error(response, 422, messages.VALIDATION_FAILED, {field: [messages.FIELD_NOT_STRING]})
    assert_untouched(app, client)


@pytest.mark.parametrize("value", [None, 0, 1, "true", [], [True], {}], ids=repr)
def test_wrong_json_type_in_remember_me_is_422(app, alice, client, value):
    response = alice.post(LOGIN, json={**BODIES[LOGIN], "remember_me": value})
    fields = {"remember_me": [messages.FIELD_NOT_BOOLEAN]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert_untouched(app, client)


@pytest.mark.parametrize(("path", "field"), STRING_FIELDS)
@pytest.mark.parametrize("encoding", ["json", "data"])
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_nul_byte_in_any_field_is_422(app, alice, client, path, field, encoding, where):
    value = BODIES[path][field]
    value = {"start": "\0" + value, "middle": value[:2] + "\0" + value[2:], "end": value + "\0"}
    response = alice.post(path, **{encoding: {**BODIES[path], field: value[where]}})
    fields = {field: [messages.FIELD_BAD_CHARACTERS]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert_untouched(app, client)


@pytest.mark.parametrize(("path", "field"), STRING_FIELDS)
@pytest.mark.parametrize(
    "raw_value",
    [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"ok\xc3"],
    ids=repr,
)
def test_invalid_utf8_in_a_json_field_is_400(app, alice, client, path, field, raw_value):
    raw = json.dumps({**BODIES[path], field: "HERE"}).encode().replace(b"HERE", raw_value)
    response = alice.post(path, data=raw, content_type="application/json")
    assert response.status_code in {400, 422}
    assert response.get_json()["success"] is False
    assert_untouched(app, client)


@pytest.mark.parametrize(("path", "field"), STRING_FIELDS)
@pytest.mark.parametrize("escaped", ["%FF", "%C3%28", "%ED%A0%80", "ok%C3"])
def test_invalid_utf8_in_a_form_field_is_400_or_422(app, alice, client, path, field, escaped):
    """Werkzeug would hand the view the escape itself as text: "%FF" instead of an error."""
    body = {**BODIES[path], field: "HERE"}
    raw = "&".join(f"{name}={value}" for name, value in body.items()).replace("HERE", escaped)
    response = alice.post(path, data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {400, 422}, response.get_json()
    if response.status_code == 422:
        assert field in response.get_json()["errors"]["fields"]
    assert_untouched(app, client)


@pytest.mark.parametrize(("path", "field"), STRING_FIELDS)
def test_invalid_utf8_in_a_multipart_field_is_422(app, alice, client, path, field):
    """Werkzeug would hand the view U+FFFD in place of the bad bytes."""
    boundary = "fuzzboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + (b"x\xff\xfey" if name == field else value.encode())
        + b"\r\n"
        for name, value in BODIES[path].items()
    ]
    raw = b"".join(parts) + f"--{boundary}--\r\n".encode()
    response = alice.post(path, data=raw, content_type=f"multipart/form-data; boundary={boundary}")
    fields = {field: [messages.FIELD_BAD_CHARACTERS]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert_untouched(app, client)


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize(
    "raw",
    [
        b'{"login": 1' + b"1" * 5000 + b"}",
        b'{"login": NaN, "password": Infinity}',
        b'{"login": -Infinity}',
        b'{"login": 1e999}',
        b'{"login": "\\u0000"}',
        b'{"login": ' + b'{"a":' * 6000 + b"1" + b"}" * 6000 + b"}",
        b"\x00" * 100,
        b'{"login": "a"}\x00',
        b"\xef\xbb\xbf" + json.dumps({"login": "alice"}).encode(),
    ],
    ids=lambda raw: repr(raw[:24]),
)
def test_odd_json_bodies_are_400_or_422(app, alice, client, path, raw):
    response = alice.post(path, data=raw, content_type="application/json")
    assert response.status_code in {400, 422}
    body = response.get_json()
    assert body["success"] is False
    assert set(body["errors"]) <= {"type", "message", "fields"}
    assert_untouched(app, client)
