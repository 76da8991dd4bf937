"""Request bodies over HTTP: every endpoint refuses an odd or oversized body before it writes
anything, with the contract's envelope, never a 500.

The reader's rules (types, characters, repeats, content types, sizes) are tested on the
request alone in tests/api/test_payload.py, without a database. Here, CSRF on: one case per
endpoint that it reads its body through ``validated`` and a refused body changes nothing,
the size limit end to end (a 413 per endpoint and encoding, the setting, gunicorn), and what
is refused before any view reads the body.
"""

import http.client
import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.common import messages
from app.extensions import db
from app.sessions.models import AuthSession
from app.users.models import User
from tests.helpers import (
    PASSWORD,
    SIGNUP_FIELDS,
    SIGNUP_WITH_UNDECLARED_FIELDS,
    assert_error,
    form_of_size,
    json_of_size,
    stored_password_is,
)

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
ALL_POSTS = [*BODIES, "/api/auth/logout", "/api/auth/logout_all"]
DEFAULT_LIMIT = 64 * 1024
ENCODINGS = {
    "json": (json_of_size, "application/json"),
    "form": (form_of_size, "application/x-www-form-urlencoded"),
}


@pytest.fixture
def alice(logged_in_client, auth):
    """Alice logged in: ``auth`` posts as her, with her CSRF token."""
    return auth


def stored(app):
    """What any of these endpoints would write: the users (a signup, a password change, a
    login's count) and the sessions (a login, a logout)."""
    with app.app_context():
        users = db.session.execute(
            select(
                User.id, User.user_name, User._password, User.credential_version, User.login_count
            ).order_by(User.id)
        ).all()
        sessions = db.session.execute(
            select(AuthSession.public_id, AuthSession.token_hash).order_by(AuthSession.id)
        ).all()
    return users, sessions


def assert_untouched(app, client, before):
    """Nothing was written since ``before`` (``stored``), and alice is still logged in with
    her password as it was."""
    assert stored(app) == before
    assert client.get("/api/auth/verify_auth").get_json()["data"]["user_name"] == "alice"
    assert stored_password_is(app, PASSWORD)


# Each endpoint reads its body through the reader


@pytest.mark.parametrize("path", BODIES)
def test_wrong_json_type_is_422_and_changes_nothing(app, alice, client, path):
    """A list where a string goes: Flask-WTF would take its first item, and the request
    would succeed (a new session, a new user, a new password)."""
    before = stored(app)
    body = {**BODIES[path], "password": [BODIES[path]["password"]] * 2}
    response = alice.post(path, json=body)
    fields = {"password": [messages.FIELD_NOT_STRING]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert_untouched(app, client, before)


# MAX_CONTENT_LENGTH


@pytest.mark.parametrize("path", ALL_POSTS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_body_over_the_limit_is_413(app, alice, client, path, encoding):
    before = stored(app)
    make, content_type = ENCODINGS[encoding]
    raw = make(DEFAULT_LIMIT + 1, **BODIES.get(path, {}))
    response = alice.post(path, data=raw, content_type=content_type)
    assert_error(response, 413, messages.BODY_TOO_LARGE)
    assert_untouched(app, client, before)


def test_multipart_body_over_the_limit_is_413(app, alice, client):
    before = stored(app)
    body = {**BODIES[SIGNUP], "pad": "x" * DEFAULT_LIMIT}
    response = alice.post(SIGNUP, data=body, content_type="multipart/form-data")
    assert_error(response, 413, messages.BODY_TOO_LARGE)
    assert_untouched(app, client, before)


def test_delete_with_a_body_over_the_limit_is_413(alice, client):
    response = client.delete(
        "/api/auth/sessions/nope",
        data=json_of_size(DEFAULT_LIMIT + 1),
        content_type="application/json",
        headers={"X-CSRFToken": alice.token},
    )
    assert_error(response, 413, messages.BODY_TOO_LARGE)


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


# Refused before any view reads the body: Flask-WTF parses a form to look for its token among
# the fields, and the app's request class refuses these forms as it parses them.


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


# What the endpoint makes of a body the reader took


def test_unknown_json_fields_are_ignored(auth):
    """Fields no form declares reach no account: none of them is stored."""
    body = SIGNUP_WITH_UNDECLARED_FIELDS
    response = auth.post(SIGNUP, json=body)
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["role"] == "user"
    assert data["id"] != 999
    assert not data["created_on"].startswith("2000")
