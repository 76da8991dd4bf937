"""The credential guard: a bearer request needs no CSRF token, a cookie request always does,
both together are refused; a token that is no token is one 401, counted per IP."""

import pytest
from sqlalchemy import select, update

from app.common import messages
from app.extensions import db
from app.personal_tokens.models import PersonalToken
from app.personal_tokens.scopes import ACCOUNT_READ, SESSIONS_READ, SESSIONS_WRITE
from app.sessions.models import hash_token
from app.users.models import User
from tests.helpers import CSRF_MISSING, assert_csrf_failure, assert_error
from tests.plugins.accounts import add_token, add_user, bearer

VERIFY = "/api/auth/verify_auth"
SESSIONS = "/api/auth/sessions"
LOGOUT_ALL = "/api/auth/logout_all"
FORWARD = "/api/auth/forward"


def test_a_bearer_request_needs_no_csrf_token_and_sets_no_cookie(app, client, user):
    token = add_token(app, user, scopes=[ACCOUNT_READ, SESSIONS_WRITE])
    response = client.get(VERIFY, headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["data"]["user_name"] == user.user_name
    assert "Set-Cookie" not in response.headers
    response = client.post(LOGOUT_ALL, headers=bearer(token))
    assert response.get_json() == {"success": True, "message": messages.ALL_SESSIONS_ENDED}
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "header",
    ["Bearer {token}", "bearer {token}", "BEARER  {token} ", "Bearer\t{token}"],
    ids=["Bearer", "lower case", "spaces", "tab"],
)
def test_the_scheme_is_read_as_rfc_6750_says(app, client, user, header):
    token = add_token(app, user)
    response = client.get(VERIFY, headers={"Authorization": header.format(token=token)})
    expected = 401 if "\t" in header else 200
    assert response.status_code == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "fat_",
        "x",
        "fat_" + "A" * 43,
        "ghp_" + "A" * 43,
        "fat_" + "A" * 500,
        "fat_\u00e9t\u00e9",
    ],
    ids=["empty", "prefix", "short", "unknown", "other prefix", "long", "not ascii"],
)
def test_a_token_that_is_no_token_is_one_401(app, client, user, value):
    add_token(app, user)
    response = client.get(VERIFY, headers={"Authorization": f"Bearer {value}"})
    assert_error(response, 401, messages.TOKEN_INVALID)


def test_a_cookie_and_a_bearer_token_together_are_refused(app, logged_in_client, auth, user):
    """Logged in, and a token in the header: a 400, and nothing happens, not even for a
    route the token could call without CSRF."""
    token = add_token(app, user, scopes=[SESSIONS_WRITE])
    response = logged_in_client.post(LOGOUT_ALL, headers=bearer(token))
    assert_error(response, 400, messages.BEARER_WITH_COOKIE)
    assert logged_in_client.get(VERIFY).status_code == 200
    # A bad token as well: the cookie is what is refused, and the token is never looked up.
    response = logged_in_client.get(VERIFY, headers=bearer("fat_" + "A" * 43))
    assert_error(response, 400, messages.BEARER_WITH_COOKIE)


def test_an_anonymous_cookie_with_a_bearer_token_is_refused_too(app, client, user):
    token = add_token(app, user)
    client.get("/api/auth/csrf")
    assert_error(client.get(VERIFY, headers=bearer(token)), 400, messages.BEARER_WITH_COOKIE)


@pytest.mark.parametrize("header", ["Basic YWxpY2U6cGFzcw==", "Token abc", "Bearer"])
def test_a_cookie_request_keeps_its_csrf_check_whatever_else_it_sends(
    app, logged_in_client, header
):
    """Only a bearer token with no cookie skips CSRF: another scheme, or a bare "Bearer"
    with a cookie, never does."""
    response = logged_in_client.post(LOGOUT_ALL, headers={"Authorization": header})
    if header == "Bearer":
        assert_error(response, 400, messages.BEARER_WITH_COOKIE)
    else:
        assert_csrf_failure(response, CSRF_MISSING)
    assert logged_in_client.get(VERIFY).status_code == 200


SCOPE_TYPE = messages.INSUFFICIENT_SCOPE_TYPE
# (what the request is, its status, type and message, RFC 6750's challenge)
CHALLENGES = [
    ("no token", 401, None, messages.TOKEN_INVALID, 'Bearer error="invalid_token"'),
    ("a scope it lacks", 403, SCOPE_TYPE, messages.INSUFFICIENT_SCOPE.format(scope=SESSIONS_READ),
     'Bearer error="insufficient_scope", scope="sessions:read"'),
    ("a session-only route", 403, SCOPE_TYPE, messages.SESSION_ONLY,
     'Bearer error="insufficient_scope"'),
    ("a cookie too", 400, None, messages.BEARER_WITH_COOKIE, 'Bearer error="invalid_request"'),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "status", "error_type", "message", "challenge"),
    CHALLENGES,
    ids=[row[0] for row in CHALLENGES],
)
def test_each_refusal_of_a_token_says_why_in_its_challenge(
    app, client, user, case, status, error_type, message, challenge
):
    token = add_token(app, user, scopes=[ACCOUNT_READ])
    method, path, presented = {
        "no token": ("GET", VERIFY, "fat_" + "A" * 43),
        "a scope it lacks": ("GET", SESSIONS, token),
        "a session-only route": ("POST", "/api/auth/change_password", token),
        "a cookie too": ("GET", VERIFY, token),
    }[case]
    if case == "a cookie too":
        client.get("/api/auth/csrf")
    response = client.open(path, method=method, headers=bearer(presented))
    assert_error(response, status, message, error_type=error_type)
    assert response.headers.get_all("WWW-Authenticate") == [challenge]


def test_no_other_refusal_carries_a_challenge(app, client, user):
    """A cookie request's refusals (no session, CSRF) and a token's 429 name no scheme."""
    assert "WWW-Authenticate" not in client.get(VERIFY).headers
    assert "WWW-Authenticate" not in client.post(LOGOUT_ALL).headers
    app.config["TOKEN_RATE_LIMIT"] = "1 per minute"
    token = add_token(app, user)
    client.get(VERIFY, headers=bearer(token))
    response = client.get(VERIFY, headers=bearer(token))
    assert response.status_code == 429
    assert "WWW-Authenticate" not in response.headers


def test_a_bearer_header_outside_the_api_is_not_read(app, client, user):
    response = client.get("/", headers=bearer("not a token"))
    assert response.status_code == 200


def test_a_token_of_an_older_credential_version_is_no_token(app, client, user):
    """A token made racing a password change carries the version before it: the read's join
    refuses it, whatever wrote it."""
    token = add_token(app, user)
    with app.app_context():
        db.session.execute(update(PersonalToken).values(credential_version=-1))
        db.session.commit()
    assert_error(client.get(VERIFY, headers=bearer(token)), 401, messages.TOKEN_INVALID)


def test_a_disabled_owners_token_is_no_token(app, client, user):
    token = add_token(app, user)
    with app.app_context():
        db.session.execute(update(User).values(is_active=False))
        db.session.commit()
    assert_error(client.get(VERIFY, headers=bearer(token)), 401, messages.TOKEN_INVALID)


def test_an_expired_token_is_no_token(app, client, user):
    token = add_token(app, user, days=-1)
    assert_error(client.get(VERIFY, headers=bearer(token)), 401, messages.TOKEN_INVALID)


def test_every_token_is_looked_up_the_same_way(app, client, user, statements):
    """No timing oracle: a good token, one a character off, one of another shape and no
    token at all each cost one hash and one indexed read by that hash."""
    token = add_token(app, user)
    tried = [token, token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 7, ""]
    for value in tried:
        statements.clear()
        client.get(VERIFY, headers={"Authorization": f"Bearer {value}"})
        reads = [s for s in statements if "FROM personal_token" in s]
        assert len(reads) == 1, (value, statements)
        assert "WHERE personal_token.token_hash = " in reads[0]


def test_the_last_use_is_kept_once_a_minute_and_on_a_new_ip(app, client, user):
    token = add_token(app, user)
    first = {"REMOTE_ADDR": "198.51.100.7"}
    assert client.get(VERIFY, headers=bearer(token), environ_base=first).status_code == 200
    with app.app_context():
        record = db.session.scalar(select(PersonalToken))
        assert record.last_used_ip == "198.51.100.7"
        used = record.last_used_at
    assert client.get(VERIFY, headers=bearer(token), environ_base=first).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(PersonalToken)).last_used_at == used
    other = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get(VERIFY, headers=bearer(token), environ_base=other).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(PersonalToken)).last_used_ip == "203.0.113.9"


def test_requests_are_limited_per_token(app, client, user):
    app.config["TOKEN_RATE_LIMIT"] = "2 per minute"
    token, other = add_token(app, user), add_token(app, user)
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200
    assert client.get(VERIFY, headers=bearer(token)).status_code == 200
    response = client.get(VERIFY, headers=bearer(token))
    assert_error(response, 429, messages.TOO_MANY_REQUESTS)
    assert int(response.headers["Retry-After"]) > 0
    # Another token of the same owner has a count of its own.
    assert client.get(VERIFY, headers=bearer(other)).status_code == 200


def test_bad_tokens_from_one_ip_lock_out_every_bearer_request_from_it(app, client, user):
    """Over the limit, a good token is a 429 too: else the 429 itself would tell a guess
    that is right from one that is wrong."""
    app.config["TOKEN_FAILURE_LIMIT"] = "2 per minute"
    token = add_token(app, user)
    for _ in range(2):
        assert client.get(VERIFY, headers=bearer("fat_" + "A" * 43)).status_code == 401
    assert_error(client.get(VERIFY, headers=bearer(token)), 429, messages.TOO_MANY_REQUESTS)
    elsewhere = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get(VERIFY, headers=bearer(token), environ_base=elsewhere).status_code == 200


def test_the_sessions_seen_with_a_token_mark_none_current(app, client, auth, user):
    token = add_token(app, user, scopes=[SESSIONS_READ])
    auth.login(user.user_name, user.password)
    listed = app.test_client().get(SESSIONS, headers=bearer(token)).get_json()["data"]
    assert [session["current"] for session in listed] == [False]


def test_logout_all_with_a_token_ends_every_session(app, client, auth, user):
    token = add_token(app, user, scopes=[SESSIONS_WRITE])
    auth.login(user.user_name, user.password)
    assert app.test_client().post(LOGOUT_ALL, headers=bearer(token)).status_code == 200
    assert client.get(VERIFY).status_code == 401


def test_forward_auth_answers_204_with_who_it_is(app, client, auth, user):
    token = add_token(app, user)
    for response in (app.test_client().get(FORWARD, headers=bearer(token)),):
        assert response.status_code == 204
        assert response.get_data() == b""
        assert response.headers["X-Auth-User"] == user.user_name
        assert response.headers["X-Auth-Email"] == user.email
        assert response.headers["X-Auth-Role"] == "user"
        assert response.headers["X-Auth-Id"] == str(user.id)
        assert "Set-Cookie" not in response.headers
    auth.login(user.user_name, user.password, remember_me=True)
    response = client.get(FORWARD)
    assert response.status_code == 204
    assert response.headers["X-Auth-Id"] == str(user.id)
    # A remembered session is not re-sent: the answer sets no cookie at all.
    assert "Set-Cookie" not in response.headers


def test_forward_auth_without_a_credential_is_401(app, client):
    assert_error(client.get(FORWARD), 401, messages.NOT_LOGGED_IN)


def test_a_staff_members_admin_write_token_acts_on_no_one(app, client):
    staff = add_user(app, "carol", role="staff", confirmed=True)
    target = add_user(app, "bob", confirmed=True)
    token = add_token(app, staff, scopes=["admin:read", "admin:write"])
    response = client.post(f"/api/admin/users/{target.id}/disable", headers=bearer(token))
    message = messages.INSUFFICIENT_SCOPE.format(scope="admin:write")
    assert_error(response, 403, message, error_type=messages.INSUFFICIENT_SCOPE_TYPE)
    with app.app_context():
        assert db.session.get(User, target.id).is_active


def test_an_admins_token_disables_without_reauthentication(app, client):
    """The token was made behind a re-authentication; the admin:write scope is the check."""
    admin = add_user(app, "root", role="admin", confirmed=True)
    target = add_user(app, "bob", confirmed=True)
    token = add_token(app, admin, scopes=["admin:write"])
    victim = add_token(app, target)
    response = client.post(f"/api/admin/users/{target.id}/disable", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["data"]["is_active"] is False
    assert_error(client.get(VERIFY, headers=bearer(victim)), 401, messages.TOKEN_INVALID)


def test_the_stored_form_is_the_hash_alone(app, user):
    token = add_token(app, user)
    with app.app_context():
        record = db.session.scalar(select(PersonalToken))
        assert record.token_hash == hash_token(token)
        stored = [str(value) for value in vars(record).values()]
    assert not any(token in value or token[4:] in value for value in stored)
