"""Property-based attacks: any body, method or path, with or without a session, a CSRF token
and a bearer token.

Whatever arrives, no answer is a 5xx, nothing under ``/api/`` redirects, and every
``/api/`` answer is the JSON envelope (bodiless HEAD and OPTIONS answers excepted).
"""

import json
import secrets
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from app.extensions import db
from app.mfa.models import PendingLogin
from app.passkeys.models import Passkey
from app.personal_tokens import store as token_store
from app.personal_tokens.scopes import SCOPES
from app.sessions.cookie import PENDING_LOGIN_KEY
from app.sessions.models import AuthSession, hash_token
from app.users.models import User
from tests.helpers import PASSWORD, AuthActions, confirm_email, session_cookie, set_role, totp_code
from tests.plugins.authenticator import SoftAuthenticator
from tests.plugins.databases import make_app

FUZZ = settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ENDPOINTS = [
    ("GET", "/api/auth/csrf"),
    ("GET", "/api/auth/verify_auth"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/change_password"),
    ("GET", "/api/auth/sessions"),
    ("DELETE", "/api/auth/sessions/SESSION"),
    ("POST", "/api/auth/logout_all"),
    ("POST", "/api/auth/reset_password/request"),
    ("POST", "/api/auth/reset_password"),
    ("POST", "/api/auth/confirm_email"),
    ("POST", "/api/auth/confirm_email/resend"),
    ("POST", "/api/auth/change_email"),
    ("POST", "/api/auth/change_email/confirm"),
    ("POST", "/api/auth/reauthenticate"),
    ("GET", "/api/auth/mfa"),
    ("POST", "/api/auth/mfa/totp/setup"),
    ("POST", "/api/auth/mfa/totp/confirm"),
    ("POST", "/api/auth/mfa/totp/disable"),
    ("POST", "/api/auth/mfa/recovery_codes"),
    ("POST", "/api/auth/mfa/verify"),
    ("GET", "/api/auth/passkeys"),
    ("POST", "/api/auth/passkeys/register/begin"),
    ("POST", "/api/auth/passkeys/register/finish"),
    ("PATCH", "/api/auth/passkeys/PASSKEY"),
    ("DELETE", "/api/auth/passkeys/PASSKEY"),
    ("POST", "/api/auth/passkeys/login/begin"),
    ("POST", "/api/auth/passkeys/login/finish"),
    ("POST", "/api/auth/mfa/webauthn/begin"),
    ("POST", "/api/auth/mfa/webauthn/finish"),
    ("POST", "/api/auth/reauthenticate/webauthn/begin"),
    ("POST", "/api/auth/reauthenticate/webauthn/finish"),
    ("GET", "/api/auth/account/export"),
    ("POST", "/api/auth/delete_account"),
    ("GET", "/api/admin/users"),
    ("GET", "/api/admin/users/USER"),
    ("POST", "/api/admin/users/USER/disable"),
    ("POST", "/api/admin/users/USER/enable"),
    ("POST", "/api/admin/users/USER/role"),
    ("POST", "/api/admin/users/USER/logout"),
    ("DELETE", "/api/admin/users/USER"),
    ("GET", "/api/auth/tokens"),
    ("POST", "/api/auth/tokens"),
    ("DELETE", "/api/auth/tokens/SESSION"),
    ("GET", "/api/auth/forward"),
    ("GET", "/"),
    ("GET", "/reset"),
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]
ODD_METHODS = ["PROPFIND", "TRACE", "MKCOL", "LOCK", "SEARCH", "BREW", "X-ANYTHING"]
FIELD_NAMES = [
    "login",
    "password",
    "remember_me",
    "user_name",
    "first_name",
    "last_name",
    "email",
    "confirm",
    "current_password",
    "csrf_token",
    "token",
    "code",
    "recovery_code",
    "credential",
    "name",
    "role",
]
NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff",
    "\ufffd",
    "\u202e",
    "%FF",
    "%00",
    "\uff21\uff4c\uff49\uff43\uff45",  # fullwidth "Alice"
    "alice",
    "ALICE@EXAMPLE.COM",
    "alice@example.com",
    PASSWORD,
    "tangerine voyage quietly 48 lanterns",
    "x" * 300,
    "ß" * 200,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "y",
    "on",
    "true",
    # A token's shape: 43 characters of base64url.
    "A" * 43,
    "-_" * 21 + "x",
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/vnd.api+json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "text/plain",
    "application/xml",
    "application/octet-stream",
    "",
    "*/*",
    "application/",
]
ODD_SEGMENTS = ["", ".", "..", "%", "%zz", "%ff", "%00", "%2F", "%2e%2e", ";", "~", "api", "auth"]
SESSION_STATES = [
    "anonymous",
    "logged in",
    "waiting for a code",
    "garbage cookie",
    "bearer token",
    "bearer token and cookie",
    "unknown bearer token",
]
TOKEN_STATES = ["none", "valid", "wrong", "garbage"]

strings = st.text(max_size=40) | st.sampled_from(NASTY_STRINGS)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | strings
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(strings, children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(FIELD_NAMES) | st.text(max_size=12)
# Objects holding the endpoints' own fields, each present or not, with any JSON value,
# plus unknown ones: so that the checks past the first are reached too.
json_objects = st.builds(
    lambda known, unknown: {**unknown, **known},
    st.fixed_dictionaries({}, optional=dict.fromkeys(FIELD_NAMES, json_values | strings)),
    st.dictionaries(st.text(max_size=12), json_values, max_size=3),
)
json_bodies = (json_objects | json_values).map(json.dumps)
# Forms: the same fields as strings, sometimes repeated, and unknown ones.
form_pairs = st.builds(
    lambda known, unknown: [pair for values in known for pair in values] + unknown,
    st.lists(
        st.builds(
            lambda name, values: [(name, value) for value in values],
            st.sampled_from(FIELD_NAMES),
            st.lists(strings, min_size=1, max_size=2),
        ),
        max_size=len(FIELD_NAMES),
    ),
    st.lists(st.tuples(field_names, strings), max_size=3),
)


def encode_form(pairs):
    def encoded(text):
        return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{encoded(name)}={encoded(value)}" for name, value in pairs).encode()


form_bodies = form_pairs.map(encode_form)
raw_bodies = st.binary(max_size=300) | json_bodies.map(str.encode) | form_bodies
# (content type, raw body) pairs: matching ones, and any body under any type.
bodies = st.one_of(
    st.just((None, None)),
    st.tuples(st.just("application/json"), json_bodies.map(str.encode)),
    st.tuples(st.just("application/x-www-form-urlencoded"), form_bodies),
    st.tuples(st.sampled_from(CONTENT_TYPES), raw_bodies),
)


def encode_segment(text):
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


segments = st.one_of(
    st.text(max_size=20).map(encode_segment),
    st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=10),
    st.sampled_from(ODD_SEGMENTS),
)
paths = st.one_of(
    st.sampled_from([path for _, path in ENDPOINTS]),
    st.builds(
        lambda prefix, parts: prefix + "/".join(parts),
        st.sampled_from(["/api/", "/api/auth/", "/api/auth/sessions/", "/", "/static/"]),
        st.lists(segments, max_size=4),
    ),
    st.builds(
        lambda prefix, length: prefix + "x" * length,
        st.sampled_from(["/api/", "/api/auth/", "/api/auth/sessions/", "/"]),
        st.integers(min_value=1000, max_value=8000),
    ),
    st.sampled_from(["/api", "/api/", "/api/auth", "/api/auth/", "/api/auth/sessions"]),
).filter(lambda path: not path.startswith("//"))  # the test client would read a host there


@pytest.fixture
def key():
    """The authenticator holding alice's passkey."""
    return SoftAuthenticator()


@pytest.fixture
def fuzz_app(database_url, key):
    """The app, unthrottled, with two users: alice, the only admin, with TOTP on and a passkey
    on ``key``, whose every session it is; and bob, for her admin routes to act on."""
    app = make_app(database_url, RATELIMIT_ENABLED=False)
    bob = AuthActions(app.test_client())
    assert bob.signup("bobby", "bob@example.com").status_code == 201
    alice = AuthActions(app.test_client())
    assert alice.signup().status_code == 201
    set_role(app, "alice", "admin")
    confirm_email(app)
    secret = alice.post("/api/auth/mfa/totp/setup").get_json()["data"]["secret"]
    assert (
        alice.post("/api/auth/mfa/totp/confirm", data={"code": totp_code(secret)}).status_code
        == 200
    )
    options = alice.post("/api/auth/passkeys/register/begin").get_json()["data"]
    answer = {"credential": key.create(options), "name": "Laptop"}
    assert alice.post("/api/auth/passkeys/register/finish", json=answer).status_code == 201
    yield app
    with app.app_context():
        db.engine.dispose()


def prepare(app, session_state, token_state):
    """A fresh client in ``session_state``; the X-CSRFToken header for ``token_state``; the
    public ids to put in paths (``session``: the client's own, ``passkey``: alice's first)."""
    client = app.test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    public_id = "unknown"
    with app.app_context():
        passkey = db.session.scalar(db.select(Passkey.public_id).order_by(Passkey.id))
        bob = db.session.scalar(db.select(User.id).filter_by(user_name_key="bobby"))
    if session_state == "logged in":
        with app.app_context():
            user = db.session.scalar(db.select(User).filter_by(user_name_key="alice"))
            record, sid = AuthSession.issue(
                user, False, "192.0.2.1", "fuzz", user.credential_version
            )
            db.session.add(record)
            db.session.commit()
            public_id = record.public_id
        content = {**session_cookie(app, client), "sid": sid}
        serializer = app.session_interface.get_signing_serializer(app)
        client.set_cookie("session", serializer.dumps(content))
        assert client.get("/api/auth/verify_auth").status_code == 200
    elif session_state == "waiting for a code":
        with app.app_context():
            user = db.session.scalar(db.select(User).filter_by(user_name_key="alice"))
            waiting = secrets.token_urlsafe(32)
            db.session.add(
                PendingLogin(
                    token_hash=hash_token(waiting),
                    user_id=user.id,
                    credential_version=user.credential_version,
                )
            )
            db.session.commit()
        content = {**session_cookie(app, client), PENDING_LOGIN_KEY: waiting}
        serializer = app.session_interface.get_signing_serializer(app)
        client.set_cookie("session", serializer.dumps(content))
    elif session_state == "garbage cookie":
        client.set_cookie("session", "garbage.not.signed")
    headers = {
        "none": {},
        "valid": {"X-CSRFToken": token},
        "wrong": {"X-CSRFToken": token[:-4] + "AAAA"},
        "garbage": {"X-CSRFToken": "\x7f" * 3},
    }[token_state]
    if session_state.startswith(("bearer", "unknown bearer")):
        headers["Authorization"] = f"Bearer {_bearer_token(app, session_state)}"
        if "cookie" not in session_state:
            client.delete_cookie("session")
    ids = {"session": public_id, "passkey": passkey or "unknown", "user": str(bob or 999)}
    return client, headers, ids


def _bearer_token(app, session_state) -> str:
    """alice's token with every scope (an admin's), or one that is no token."""
    if session_state.startswith("unknown"):
        return "fat_" + secrets.token_urlsafe(32)
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(user_name_key="alice"))
        _record, token = token_store.add(user, "fuzz", SCOPES, None, user.credential_version)
        db.session.commit()
    return token


def filled(path, ids):
    """``path`` with its placeholders (SESSION, PASSKEY, USER) replaced by ``ids``."""
    for placeholder, value in ids.items():
        path = path.replace(placeholder.upper(), value)
    return path


def is_api(path):
    return path == "/api" or path.startswith("/api/")


def assert_envelope(body, status):
    """The envelope: ``success``; on errors ``errors.type``, ``message``, maybe ``fields``."""
    assert isinstance(body, dict)
    assert isinstance(body.get("success"), bool)
    assert body["success"] is (status < 400)
    if body["success"]:
        assert "errors" not in body
        for key in ("message", "csrf_token"):
            assert isinstance(body.get(key, ""), str)
        return
    errors = body["errors"]
    assert set(errors) <= {"type", "message", "fields"}
    assert isinstance(errors["type"], str)
    assert errors["type"]
    assert isinstance(errors["message"], str)
    assert errors["message"]
    if "fields" in errors:
        assert isinstance(errors["fields"], dict)
        assert errors["fields"]
        for name, problems in errors["fields"].items():
            assert isinstance(name, str)
            assert isinstance(problems, list)
            assert problems
            assert all(isinstance(problem, str) for problem in problems)


def assert_sound(response, method):
    status = response.status_code
    assert status < 500, response.get_data()[:500]
    path = response.request.path
    if not is_api(path):
        return
    assert not 300 <= status < 400, f"{path} redirects to {response.headers.get('Location')}"
    raw = response.get_data()
    if method in ("HEAD", "OPTIONS") and raw == b"":
        return
    if status == 204:
        # Forward auth's answer: its headers say it all.
        assert raw == b"" and "Content-Type" not in response.headers
        return
    assert response.mimetype == "application/json", raw[:200]
    assert_envelope(json.loads(raw), status)


def send(client, method, path, headers, content_type, raw):
    kwargs = {"method": method, "headers": headers}
    if raw is not None:
        kwargs["data"] = raw
        kwargs["content_type"] = content_type
    return client.open(path, **kwargs)


FIELD_ENDPOINTS = [
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/change_password"),
    ("POST", "/api/auth/reset_password/request"),
    ("POST", "/api/auth/reset_password"),
    ("POST", "/api/auth/confirm_email"),
    ("POST", "/api/auth/change_email"),
    ("POST", "/api/auth/change_email/confirm"),
    ("POST", "/api/auth/reauthenticate"),
    ("POST", "/api/auth/mfa/totp/confirm"),
    ("POST", "/api/auth/mfa/totp/disable"),
    ("POST", "/api/auth/mfa/verify"),
    ("POST", "/api/auth/passkeys/register/finish"),
    ("PATCH", "/api/auth/passkeys/PASSKEY"),
    ("POST", "/api/auth/passkeys/login/finish"),
    ("POST", "/api/auth/mfa/webauthn/finish"),
    ("POST", "/api/auth/reauthenticate/webauthn/finish"),
    ("POST", "/api/auth/delete_account"),
    ("POST", "/api/admin/users/USER/role"),
]


@FUZZ
@given(
    endpoint=st.sampled_from(FIELD_ENDPOINTS),
    body=st.one_of(
        st.tuples(st.just("application/json"), json_bodies.map(str.encode)),
        st.tuples(st.just("application/x-www-form-urlencoded"), form_bodies),
    ),
    logged_in=st.sampled_from(["logged in", "anonymous", "waiting for a code"]),
)
@example(
    endpoint=("POST", "/api/auth/login"),
    body=("application/json", b'{"login": {"$ne": null}, "password": [1]}'),
    logged_in="anonymous",
)
@example(
    endpoint=("POST", "/api/auth/change_password"),
    body=("application/json", b'{"current_password": null, "password": 1e999, "confirm": []}'),
    logged_in="logged in",
)
@example(
    endpoint=("POST", "/api/auth/mfa/verify"),
    body=("application/json", b'{"code": "\\u0661\\u0662\\u0663\\u0664\\u0665\\u0666"}'),
    logged_in="waiting for a code",
)
@example(
    endpoint=("POST", "/api/auth/passkeys/login/finish"),
    body=("application/json", b'{"credential": "{\\"id\\": [\\"\\ud800\\"]}"}'),
    logged_in="anonymous",
)
def test_any_fields_with_a_valid_token(fuzz_app, endpoint, body, logged_in):
    """Past the CSRF check, straight at the code that reads the fields."""
    client, headers, ids = prepare(fuzz_app, logged_in, "valid")
    method, path = endpoint
    content_type, raw = body
    assert_sound(send(client, method, filled(path, ids), headers, content_type, raw), method)


@FUZZ
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    body=bodies,
    session_state=st.sampled_from(SESSION_STATES),
    token_state=st.sampled_from(TOKEN_STATES),
)
def test_any_body_at_any_endpoint(fuzz_app, endpoint, body, session_state, token_state):
    client, headers, ids = prepare(fuzz_app, session_state, token_state)
    method, path = endpoint
    path = filled(path, ids)
    content_type, raw = body
    assert_sound(send(client, method, path, headers, content_type, raw), method)


@FUZZ
@given(
    method=st.sampled_from(METHODS + ODD_METHODS),
    path=paths,
    body=st.sampled_from([(None, None), ("application/json", b"{}"), ("text/plain", b"x")]),
    session_state=st.sampled_from(SESSION_STATES),
    token_state=st.sampled_from(TOKEN_STATES),
)
@example(
    method="PROPFIND",
    path="/api/auth/sessions",
    body=(None, None),
    session_state="logged in",
    token_state="valid",
)
def test_any_method_at_any_path(fuzz_app, method, path, body, session_state, token_state):
    client, headers, _ = prepare(fuzz_app, session_state, token_state)
    content_type, raw = body
    assert_sound(send(client, method, path, headers, content_type, raw), method)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api//auth/csrf"),
        ("GET", "/api/auth//verify_auth"),
        ("POST", "/api//auth/login"),
        ("DELETE", "/api/auth/sessions//x"),
        ("GET", "/api//nope"),
    ],
)
def test_doubled_slash_under_api_is_json_not_a_redirect(client, method, path):
    """Werkzeug's merge_slashes answers these with an HTML 308; the contract says JSON."""
    response = client.open(path, method=method)
    assert_sound(response, method)


# Genuine passkey answers with one part changed: each ceremony's (begin, finish, the state
# the client starts in).
CEREMONIES = {
    "register": ("/api/auth/passkeys/register", "logged in"),
    "sign in": ("/api/auth/passkeys/login", "anonymous"),
    "second factor": ("/api/auth/mfa/webauthn", "waiting for a code"),
    "reauthenticate": ("/api/auth/reauthenticate/webauthn", "logged in"),
}


def parts_of(value, path=()):
    """The path of every part of a JSON value: itself, and what it holds, at any depth."""
    yield path
    if isinstance(value, (dict, list)):
        for name, inner in value.items() if isinstance(value, dict) else enumerate(value):
            yield from parts_of(inner, (*path, name))


REMOVE = object()


def changed(value, path, change):
    """``value`` with the part at ``path`` replaced by ``change(part)``, or removed if that
    gives ``REMOVE``."""
    if not path:
        return change(value)
    copy = dict(value) if isinstance(value, dict) else list(value)
    inner = changed(copy[path[0]], path[1:], change)
    if inner is REMOVE:
        del copy[path[0]]
    else:
        copy[path[0]] = inner
    return copy


def flip_bit(part, index):
    """A base64url text with one bit of its bytes flipped; any other part left alone."""
    try:
        raw = bytearray(base64url_to_bytes(part))
    except (TypeError, ValueError):
        return part
    if not raw:
        return part
    raw[index // 8 % len(raw)] ^= 1 << index % 8
    return bytes_to_base64url(bytes(raw))


changes = st.one_of(
    json_values.map(lambda new: lambda part: new),
    st.just(lambda part: REMOVE),
    st.binary(max_size=80).map(lambda raw: lambda part: bytes_to_base64url(raw)),
    st.integers(min_value=0).map(lambda index: lambda part: flip_bit(part, index)),
)


def passkey_state(app):
    """What a refused answer must leave as it was: passkeys, their counts, sessions."""
    with app.app_context():
        passkeys = db.session.execute(
            db.select(Passkey.credential_id, Passkey.sign_count, Passkey.last_used_at)
        ).all()
        return sorted(passkeys), db.session.scalar(db.select(db.func.count(AuthSession.id)))


@settings(FUZZ, max_examples=300)
@given(ceremony=st.sampled_from(sorted(CEREMONIES)), data=st.data())
def test_a_changed_passkey_answer_is_refused_and_changes_nothing(fuzz_app, key, ceremony, data):
    """Any part of a real answer changed, removed or bit-flipped: a clean refusal, or (where
    the part is not signed, say the transports) the ceremony's own success."""
    prefix, state = CEREMONIES[ceremony]
    client, headers, _ = prepare(fuzz_app, state, "valid")
    options = client.post(f"{prefix}/begin", headers=headers).get_json()["data"]
    # A new device registers; the one holding alice's passkey answers the others.
    answer = SoftAuthenticator().create(options) if ceremony == "register" else key.get(options)
    path = data.draw(st.sampled_from(list(parts_of(answer))), label="part")
    credential = changed(answer, path, data.draw(changes, label="change"))
    before = passkey_state(fuzz_app)
    body = json.dumps({"credential": None if credential is REMOVE else credential})
    response = send(client, "POST", f"{prefix}/finish", headers, "application/json", body)
    assert_sound(response, "POST")
    if response.status_code >= 400:
        assert response.status_code in (401, 422), response.get_json()
        assert passkey_state(fuzz_app) == before
