"""Each endpoint reads its body through the body reader, over HTTP: 413 over
MAX_CONTENT_LENGTH, 422 for a field of the wrong type, and nothing written either way.

The reader's rules themselves (every odd value, byte and shape) are unit tests of
``validated()`` in ``tests/api/test_payload.py``, with no database.
"""

import http.client
import io
import json
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

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
ALL_POSTS = [*BODIES, "/api/auth/logout", "/api/auth/logout_all"]
DEFAULT_LIMIT = 64 * 1024


@pytest.fixture
def alice(logged_in_client, auth):
    """Alice, logged in: ``auth`` posts as her."""
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


# One case of the reader's rules per endpoint: a wrong type is refused, nothing written


@pytest.mark.parametrize(
    ("path", "field"), [(path, next(iter(body))) for path, body in BODIES.items()]
)
def test_a_field_of_the_wrong_type_is_422_and_changes_nothing(app, alice, client, path, field):
    response = alice.post(path, json={**BODIES[path], field: ["alice"]})
    assert_error(response, 422, messages.VALIDATION_FAILED, {field: [messages.FIELD_NOT_STRING]})
    assert_untouched(app, client)


@pytest.mark.parametrize("path", BODIES)
def test_a_nul_byte_in_a_form_field_is_422_and_changes_nothing(app, alice, client, path):
    field = next(iter(BODIES[path]))
    response = alice.post(path, data={**BODIES[path], field: BODIES[path][field] + "\0"})
    fields = {field: [messages.FIELD_BAD_CHARACTERS]}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert_untouched(app, client)


@pytest.mark.parametrize("path", BODIES)
def test_malformed_json_is_400_and_changes_nothing(app, alice, client, path):
    response = alice.post(path, data=b'{"login": alice}', content_type="application/json")
    assert_error(response, 400, messages.BODY_MALFORMED)
    assert_untouched(app, client)


@pytest.mark.parametrize(("value", "remembered"), [(True, True), (False, False)])
def test_remember_me_as_a_json_boolean_is_what_the_session_keeps(
    app, user, auth, value, remembered
):
    assert auth.post(LOGIN, json={**BODIES[LOGIN], "remember_me": value}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuthSession.remember)) is remembered


def test_a_form_field_given_twice_is_422_and_logs_nobody_in(app, user, auth):
    body = MultiDict(BODIES[LOGIN])
    body.add("login", "bob")
    response = auth.post(LOGIN, data=body)
    assert_error(response, 422, messages.VALIDATION_FAILED, {"login": [messages.FIELD_REPEATED]})
    assert count_rows(app, AuthSession) == 0


def test_a_password_with_a_paired_surrogate_escape_signs_up_and_logs_in(auth):
    """A proper pair (here U+1F511) is one character, and a fine password."""
    password = PASSWORD + "\U0001f511"
    raw = json.dumps({**BODIES[SIGNUP], "password": password, "confirm": password})
    assert "\\ud83d\\udd11" in raw
    assert auth.post(SIGNUP, data=raw, content_type="application/json").status_code == 201
    auth.logout()
    assert auth.login("bobby", password=password).status_code == 200


def test_a_multipart_signup_is_read(auth):
    response = auth.post(SIGNUP, data=BODIES[SIGNUP], content_type="multipart/form-data")
    assert response.status_code == 201


def test_unknown_json_fields_are_ignored_and_never_stored(auth):
    body = {
        **BODIES[SIGNUP],
        "id": 999,
        "role": "admin",
        "role_code": 0,
        "created_on": "2000-01-01T00:00:00Z",
    }
    response = auth.post(SIGNUP, json=body)
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["role"] == "user"
    assert data["id"] != 999
    assert not data["created_on"].startswith("2000")


@pytest.mark.parametrize(
    "disposition", ["form-data", "attachment"], ids=["no name", "not form-data"]
)
def test_a_form_part_with_no_name_is_400_not_a_500(auth, disposition):
    """Flask-WTF looks for its token among the fields before the header: a part keyed None
    made every POST a 500."""
    auth.fetch_token()
    body = (
        f"--B\r\nContent-Disposition: {disposition}\r\n\r\nvalue\r\n"
        '--B\r\nContent-Disposition: form-data; name="login"\r\n\r\nalice\r\n--B--\r\n'
    )
    response = auth.post(LOGIN, data=body, content_type="multipart/form-data; boundary=B")
    assert_error(response, 400, messages.FORM_PART_UNNAMED)
