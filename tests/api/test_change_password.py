"""POST /api/auth/change_password: the rule, the throttles, and every other session ending."""

import json
import logging

import pytest
from argon2 import PasswordHasher as Argon2Hasher
from limits import parse, parse_many
from sqlalchemy import select

from app.accounts import signup
from app.common import messages
from app.config import Config
from app.extensions import db
from app.sessions.models import AuthSession
from app.users import constants
from tests.helpers import (
    CSRF_INVALID,
    CSRF_MISMATCH,
    CSRF_MISSING,
    PASSWORD,
    SIGNUP_FIELDS,
    AuthActions,
    assert_csrf_failure,
    assert_error,
    count_rows,
    stored_password_is,
)
from tests.plugins.accounts import add_user, log_in

PATH = "/api/auth/change_password"
NEW_PASSWORD = "Zq8#vT2!x-renewed"
PASSWORD_LENGTH = messages.PASSWORD_LENGTH.format(
    min=Config.PASSWORD_MIN_LENGTH, max=constants.MAX_PASSWORD_LEN
)
PASSWORD_TOO_LONG = messages.PASSWORD_TOO_LONG.format(max=constants.MAX_PASSWORD_LEN)
MISSING = object()


def fields(current_password=PASSWORD, password=NEW_PASSWORD, confirm=None):
    body = {
        "current_password": current_password,
        "password": password,
        "confirm": password if confirm is None else confirm,
    }
    return {name: value for name, value in body.items() if value is not MISSING}


@pytest.fixture(params=["json", "form"])
def send(request, auth, logged_in_client):
    """POST to change_password as alice, logged in on ``client``, with a JSON or a
    form-encoded body."""

    def send(body):
        if request.param == "json":
            return auth.post(PATH, json=body)
        return auth.post(PATH, data=body)

    return send


def new_client(app, login="alice", password=PASSWORD, remember_me=False):
    """Another client, logged in."""
    other = AuthActions(app.test_client())
    assert other.login(login=login, password=password, remember_me=remember_me).status_code == 200
    return other


def is_logged_in(actions):
    return actions._client.get("/api/auth/verify_auth").status_code == 200


def can_log_in(app, password, login="alice"):
    return AuthActions(app.test_client()).login(login=login, password=password).status_code == 200


def failure_limit(app):
    return parse_many(app.config["LOGIN_FAILURE_LIMIT"])[0].amount


def alice_sessions(app):
    with app.app_context():
        return db.session.scalars(select(AuthSession).where(AuthSession.user_id == 1)).all()


def assert_throttled(response, message):
    assert_error(response, 429, message)
    assert int(response.headers["Retry-After"]) > 0


# Success


def test_change_password(send):
    response = send(fields())
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"success", "message", "csrf_token"}
    assert body["success"] is True
    assert body["message"] == messages.PASSWORD_CHANGED
    assert body["csrf_token"]


def test_next_post_takes_the_new_token(auth, logged_in_client):
    old_token = auth.token
    new_token = auth.post(PATH, data=fields()).get_json()["csrf_token"]
    assert new_token != old_token
    response = logged_in_client.post("/api/auth/logout", headers={"X-CSRFToken": old_token})
    assert_csrf_failure(response, CSRF_MISMATCH)
    response = logged_in_client.post("/api/auth/logout", headers={"X-CSRFToken": new_token})
    assert response.status_code == 200


def test_new_password_works_and_old_does_not(app, send):
    assert send(fields()).status_code == 200
    assert can_log_in(app, NEW_PASSWORD)
    assert not can_log_in(app, PASSWORD)


def test_current_session_continues_rotated(app, auth, logged_in_client):
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    old_cookie = logged_in_client.get_cookie(cookie_name).value
    assert auth.post(PATH, data=fields()).status_code == 200
    assert logged_in_client.get_cookie(cookie_name).value != old_cookie
    assert logged_in_client.get("/api/auth/verify_auth").get_json()["data"]["user_name"] == "alice"
    replay = app.test_client()
    replay.set_cookie(cookie_name, old_cookie)
    assert_error(replay.get("/api/auth/verify_auth"), 401, messages.NOT_LOGGED_IN)
    assert len(alice_sessions(app)) == 1


def test_every_other_session_ends(app, auth, logged_in_client):
    plain = new_client(app)
    remembered = new_client(app, login="alice@example.com", remember_me=True)
    assert len(alice_sessions(app)) == 3
    assert auth.post(PATH, data=fields()).status_code == 200
    for other in (plain, remembered):
        assert_error(other._client.get("/api/auth/verify_auth"), 401, messages.NOT_LOGGED_IN)
    assert is_logged_in(auth)
    assert len(alice_sessions(app)) == 1


def test_other_users_keep_their_sessions(app, auth, logged_in_client):
    bob = AuthActions(app.test_client())
    log_in(bob, add_user(app, "bobby", email="bob@example.com"))
    assert auth.post(PATH, data=fields()).status_code == 200
    assert is_logged_in(bob)
    assert count_rows(app, AuthSession) == 2


@pytest.mark.parametrize("remember_me", [True, False])
def test_rotated_session_keeps_remember_me_and_lifetime(app, auth, user, remember_me):
    auth.login(remember_me=remember_me)
    [before] = alice_sessions(app)
    assert auth.post(PATH, data=fields()).status_code == 200
    [after] = alice_sessions(app)
    assert after.public_id != before.public_id
    assert after.token_hash != before.token_hash
    assert after.remember is remember_me
    # Rotating must not stretch the absolute lifetime.
    assert after.created_at == before.created_at


# Failures that leave everything as it was


def test_change_password_when_logged_out(app, client):
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.post(PATH, data=fields(), headers={"X-CSRFToken": token})
    assert_error(response, 401, messages.NOT_LOGGED_IN)


def test_wrong_current_password(app, auth, logged_in_client, send):
    other = new_client(app)
    cookie = logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    token = auth.token
    response = send(fields(current_password="wrong password"))
    assert_error(response, 403, messages.WRONG_CURRENT_PASSWORD)
    assert logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value == cookie
    assert auth.token == token
    assert is_logged_in(auth)
    assert is_logged_in(other)
    assert can_log_in(app, PASSWORD)
    assert not can_log_in(app, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            fields(password="Password1234567"),
            {
                "password": [
                    f"{messages.PASSWORD_WEAK} This is similar to a commonly used password."
                ]
            },
        ),
        (fields(password="Zq8#vT2!x-Alice"), {"password": [messages.PASSWORD_PERSONAL]}),
        (fields(password="LIDDELL#Zq8vT2!x"), {"password": [messages.PASSWORD_PERSONAL]}),
        (fields(password="short"), {"password": [PASSWORD_LENGTH]}),
        # Strong, but one short of the minimum of 15.
        (fields(password="Zq8#vT2!x-ab3#"), {"password": [PASSWORD_LENGTH]}),
        (fields(password="x" * 129), {"password": [PASSWORD_LENGTH]}),
        (fields(confirm=NEW_PASSWORD + "!"), {"confirm": [messages.PASSWORDS_MUST_MATCH]}),
        (fields(confirm=""), {"confirm": [messages.FIELD_REQUIRED]}),
        (
            fields(password=""),
            {
                "password": [messages.FIELD_REQUIRED],
                "confirm": [messages.FIELD_REQUIRED],
            },
        ),
        (fields(current_password=""), {"current_password": [messages.FIELD_REQUIRED]}),
        (fields(current_password=MISSING), {"current_password": [messages.FIELD_REQUIRED]}),
        (fields(current_password="x" * 129), {"current_password": [PASSWORD_TOO_LONG]}),
        (
            {},
            {
                "current_password": [messages.FIELD_REQUIRED],
                "password": [messages.FIELD_REQUIRED],
                "confirm": [messages.FIELD_REQUIRED],
            },
        ),
    ],
)
def test_invalid_new_password(app, auth, logged_in_client, send, body, errors):
    other = new_client(app)
    response = send(body)
    assert_error(response, 422, messages.VALIDATION_FAILED, errors)
    assert is_logged_in(auth)
    assert is_logged_in(other)
    assert can_log_in(app, PASSWORD)


@pytest.mark.parametrize("password", ["Password1234567", NEW_PASSWORD])
def test_a_wrong_current_password_is_refused_before_scoring(app, send, no_scoring, password):
    """A 403 costs no scoring, however dear the new password would be to score."""
    response = send(fields(current_password="wrong", password=password))
    assert_error(response, 403, messages.WRONG_CURRENT_PASSWORD)
    assert can_log_in(app, PASSWORD)


@pytest.mark.parametrize("field", ["current_password", "password", "confirm"])
@pytest.mark.parametrize("value", [123, None, True, ["x"], {"x": "y"}])
def test_wrong_json_type(app, auth, logged_in_client, field, value):
    body = {**fields(), field: value}
    response = auth.post(PATH, json=body)
    assert_error(response, 422, messages.VALIDATION_FAILED, {field: [messages.FIELD_NOT_STRING]})
    assert can_log_in(app, PASSWORD)


# U+FF43 FULLWIDTH LATIN SMALL LETTER C: the same password after NFKC, as it is hashed.
FULLWIDTH_PASSWORD = "\uff43" + PASSWORD[1:]


@pytest.mark.parametrize("same", [PASSWORD, FULLWIDTH_PASSWORD])
def test_the_current_password_again_is_refused_and_changes_nothing(
    app, auth, logged_in_client, send, no_scoring, monkeypatch, same
):
    """Refused once the current password is checked, by comparing the two fields: no hash,
    no scoring, no rotation, no other session ended."""
    other = new_client(app)
    cookie = logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    token = auth.token
    hashed = []
    real_hash = Argon2Hasher.hash
    monkeypatch.setattr(
        Argon2Hasher,
        "hash",
        lambda self, *args, **kw: hashed.append(1) or real_hash(self, *args, **kw),
    )
    response = send(fields(password=same))
    assert_error(
        response, 422, messages.VALIDATION_FAILED, {"password": [messages.PASSWORD_UNCHANGED]}
    )
    assert hashed == []
    assert logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value == cookie
    assert auth.token == token
    assert is_logged_in(auth)
    assert is_logged_in(other)
    assert len(alice_sessions(app)) == 2
    assert stored_password_is(app, PASSWORD)


def test_the_current_password_again_after_a_wrong_one_is_the_403(app, send):
    """The current password is checked first: the 422 tells only whoever knows it."""
    guess = "not the password at all"
    response = send(fields(current_password=guess, password=guess))
    assert_error(response, 403, messages.WRONG_CURRENT_PASSWORD)


def test_a_password_shorter_than_the_minimum_works_until_it_is_changed(app):
    """Set when the minimum was lower: it still logs in, and its successor needs 15."""
    old = "Zq8#vT2!x"
    with app.app_context():
        signup.add_user({**SIGNUP_FIELDS, "password": old})
        db.session.commit()
    alice = AuthActions(app.test_client())
    assert alice.login(password=old).status_code == 200
    response = alice.post(PATH, json=fields(current_password=old, password="Zq8#vT2!y"))
    assert_error(response, 422, messages.VALIDATION_FAILED, {"password": [PASSWORD_LENGTH]})
    assert alice.post(PATH, json=fields(current_password=old)).status_code == 200


def test_huge_new_password_is_refused_without_scoring(app, send, no_scoring):
    password = ("Zq8#vT2!x-" * 500)[:5_000]
    response = send(fields(password=password))
    assert_error(response, 422, messages.VALIDATION_FAILED, {"password": [PASSWORD_LENGTH]})
    assert can_log_in(app, PASSWORD)


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, CSRF_MISSING), ({"X-CSRFToken": "forged"}, CSRF_INVALID)],
)
def test_csrf_token_is_required(app, auth, logged_in_client, headers, message):
    response = logged_in_client.post(PATH, json=fields(), headers=headers)
    assert_csrf_failure(response, message)
    assert is_logged_in(auth)
    assert can_log_in(app, PASSWORD)


# Throttling


def test_wrong_current_passwords_count_as_failed_logins(app, auth, logged_in_client):
    for _ in range(failure_limit(app)):
        response = auth.post(PATH, data=fields(current_password="wrong password"))
        assert response.status_code == 403
    response = AuthActions(app.test_client()).login(password=PASSWORD)
    assert_throttled(response, messages.TOO_MANY_ATTEMPTS)


@pytest.mark.parametrize("login", ["alice", "ALICE@example.com"])
def test_failed_logins_on_either_name_throttle_change_password(app, auth, logged_in_client, login):
    attacker = AuthActions(app.test_client())
    for _ in range(failure_limit(app)):
        assert attacker.login(login=login, password="wrong password").status_code == 401
    response = auth.post(PATH, data=fields())
    assert_throttled(response, messages.TOO_MANY_ATTEMPTS)
    assert stored_password_is(app, PASSWORD)


@pytest.mark.parametrize("login", ["Alice", "alice@example.com"])
def test_wrong_current_passwords_throttle_logins_by_either_name(app, auth, logged_in_client, login):
    for _ in range(failure_limit(app)):
        assert auth.post(PATH, data=fields(current_password="wrong")).status_code == 403
    response = AuthActions(app.test_client()).login(login=login)
    assert_throttled(response, messages.TOO_MANY_ATTEMPTS)


def test_success_clears_the_failure_count(app, auth, logged_in_client):
    for _ in range(failure_limit(app) - 1):
        assert auth.post(PATH, data=fields(current_password="wrong")).status_code == 403
    assert auth.post(PATH, data=fields()).status_code == 200
    attacker = AuthActions(app.test_client())
    for _ in range(failure_limit(app) - 1):
        assert attacker.login(password="wrong password").status_code == 401
    assert can_log_in(app, NEW_PASSWORD)


def change_password_limit(app):
    return parse(app.config["CHANGE_PASSWORD_RATE_LIMIT"]).amount


def test_rate_limit_per_user(app, auth, logged_in_client):
    other_session = new_client(app)
    mismatched = fields(confirm="something else")
    for _ in range(change_password_limit(app) - 1):
        assert auth.post(PATH, data=mismatched).status_code == 422
    assert other_session.post(PATH, data=mismatched).status_code == 422
    for actions in (auth, other_session):
        assert_throttled(actions.post(PATH, data=fields()), messages.TOO_MANY_REQUESTS)
    assert can_log_in(app, PASSWORD)
    # Another user behind the same address has a count of their own.
    bob = AuthActions(app.test_client())
    log_in(bob, add_user(app, "bobby", email="bob@example.com"))
    assert bob.post(PATH, data=fields()).status_code == 200


# The security log


def security_lines(caplog):
    return [
        json.loads(record.getMessage())
        for record in caplog.records
        if record.name == "app.security"
    ]


def test_password_change_is_logged_without_secrets(auth, logged_in_client, caplog):
    caplog.set_level(logging.INFO, logger="app.security")
    caplog.clear()
    response = auth.post(PATH, data=fields())
    [line] = [line for line in security_lines(caplog) if line["event"] == "password_changed"]
    assert line["user_name"] == "alice"
    assert line["user_id"] == 1
    assert line["ip"] == "127.0.0.1"
    assert line["request_id"] == response.headers["X-Request-ID"]
    text = caplog.text
    for secret in (PASSWORD, NEW_PASSWORD, response.get_json()["csrf_token"], "$argon2"):
        assert secret not in text


def test_wrong_current_password_is_logged_without_it(auth, logged_in_client, caplog):
    caplog.set_level(logging.INFO, logger="app.security")
    caplog.clear()
    auth.post(PATH, data=fields(current_password="guessed password"))
    events = [line["event"] for line in security_lines(caplog)]
    assert "password_change_failed" in events
    assert "password_changed" not in events
    assert "guessed password" not in caplog.text
    assert NEW_PASSWORD not in caplog.text


def test_a_change_sends_a_notice_to_the_account_s_address(mail_app, mailbox):
    alice = AuthActions(mail_app.test_client())
    log_in(alice, add_user(mail_app, email="Alice@example.com", confirmed=True))
    assert alice.post(PATH, json=fields()).status_code == 200
    notice = mailbox.last()
    assert notice["To"] == "Alice@example.com"
    assert notice["Subject"] == "Your password was changed"
    text = notice.get_body(("plain",)).get_content()
    assert "Every other session of the account was logged out." in text
    assert NEW_PASSWORD not in notice.as_string()


def test_a_refused_change_sends_nothing(mail_app, mailbox):
    """The address is confirmed: a change would be told to it (notices go only to a
    confirmed address), a refusal is not."""
    alice = AuthActions(mail_app.test_client())
    log_in(alice, add_user(mail_app, confirmed=True))
    sent = len(mailbox.deliver())
    assert alice.post(PATH, json=fields(current_password="wrong")).status_code == 403
    assert alice.post(PATH, json=fields(password="password1")).status_code == 422
    assert alice.post(PATH, json=fields(password=PASSWORD)).status_code == 422
    assert len(mailbox.deliver()) == sent
