"""The second factor over the API: TOTP set-up and removal, recovery codes, the second step
of a login, re-authentication with a code, and the attacks on each."""

import json
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from app.common import messages
from app.common.time import utcnow
from app.extensions import db
from app.mail.outbox import OutboxMessage
from app.mfa.models import PendingLogin, TotpCredential
from tests.helpers import (
    PASSWORD,
    AuthActions,
    age,
    assert_confirm_email_first,
    assert_error,
    assert_reauthentication_required,
    confirm_email,
    count_rows,
    steady_step,
    totp_code,
)
from tests.plugins.accounts import add_user, log_in, turn_on_totp

MFA = "/api/auth/mfa"
SETUP = "/api/auth/mfa/totp/setup"
CONFIRM = "/api/auth/mfa/totp/confirm"
DISABLE = "/api/auth/mfa/totp/disable"
NEW_CODES = "/api/auth/mfa/recovery_codes"
VERIFY = "/api/auth/mfa/verify"
REAUTHENTICATE = "/api/auth/reauthenticate"
RECOVERY_CODE = re.compile(r"^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$")
LATER = timedelta(minutes=5, seconds=1)


def set_up(auth):
    response = auth.post(SETUP)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]["secret"]


def turn_on(auth):
    """TOTP on for the logged-in user through the API, confirmed with this step's code:
    ``(secret, codes)``. Its code is spent, so a later proof takes the next step's
    (``totp_code(secret, 1)``), which the server accepts whether or not a step has ended in
    between: no wait for a steady step."""
    secret = set_up(auth)
    response = auth.post(CONFIRM, data={"code": totp_code(secret)})
    assert response.status_code == 200, response.get_json()
    return secret, response.get_json()["data"]["recovery_codes"]


@pytest.fixture
def user(app):
    """Alice, her address confirmed: a second factor is only added to a confirmed address
    (``logged_in_client`` logs her in; the tests of logging in start from ``user_with_totp``)."""
    return add_user(app, confirmed=True)


def waiting(auth, password=PASSWORD):
    """Log in with the password; assert that the login now waits for a second factor."""
    response = auth.login(password=password)
    assert response.status_code == 202, response.get_json()
    return response


def assert_login_ended(response, message):
    assert_error(response, 401, message, error_type=messages.LOGIN_ENDED_TYPE)


def expire_waiting(app):
    """Move every pending login past its 5 minutes."""
    with app.app_context():
        db.session.execute(update(PendingLogin).values(created_at=utcnow() - LATER))
        db.session.commit()


def state(auth):
    return auth._client.get(MFA).get_json()["data"]


def notices(app):
    """The changes to the second factor told so far (waiting: merged into one notice while it
    waits, and nothing here sends mail)."""
    with app.app_context():
        waiting = db.session.scalars(
            select(OutboxMessage.details).where(OutboxMessage.details.is_not(None))
        ).all()
    changes = [change for details in waiting for change in json.loads(details)["changes"]]
    return sum(change["kind"] == "mfa_changed" for change in changes)


# Setting TOTP up


def test_setup_answers_a_secret_its_uri_and_a_qr_code(auth, logged_in_client):
    response = auth.post(SETUP)
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == messages.TOTP_SETUP_STARTED
    data = body["data"]
    assert re.fullmatch(r"[A-Z2-7]{32}", data["secret"])
    assert data["otpauth_uri"].startswith("otpauth://totp/Flask%20auth:alice?")
    assert f"secret={data['secret']}" in data["otpauth_uri"]
    assert data["qr_code"].startswith("data:image/svg+xml")
    assert state(auth) == {
        "totp": False,
        "webauthn": False,
        "recovery_codes_left": 0,
        "methods": [],
    }


def test_the_secret_is_stored_sealed_never_in_plain_text(app, auth, logged_in_client):
    secret = set_up(auth)
    with app.app_context():
        stored = db.session.execute(text("SELECT * FROM totp_credential")).all()
    assert secret not in repr(stored)
    assert secret.lower() not in repr(stored).lower()


def test_confirm_with_the_right_code_turns_it_on_and_answers_ten_codes(app, auth, logged_in_client):
    secret = set_up(auth)
    response = auth.post(CONFIRM, data={"code": totp_code(secret)})
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == messages.TOTP_ENABLED
    codes = body["data"]["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(code) for code in codes)
    assert state(auth) == {
        "totp": True,
        "webauthn": False,
        "recovery_codes_left": 10,
        "methods": ["totp", "recovery_code"],
    }
    assert notices(app) == 1


def test_recovery_codes_are_stored_only_as_keyed_hashes(app, auth, logged_in_client):
    _secret, codes = turn_on(auth)
    with app.app_context():
        stored = repr(db.session.execute(text("SELECT * FROM recovery_code")).all())
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)


def test_confirm_with_a_wrong_code_leaves_it_off(auth, logged_in_client):
    secret = set_up(auth)
    wrong = f"{(int(totp_code(secret)) + 1) % 1_000_000:06d}"
    response = auth.post(CONFIRM, data={"code": wrong})
    assert_error(response, 422, messages.VALIDATION_FAILED, {"code": [messages.MFA_CODE_WRONG]})
    assert state(auth)["totp"] is False


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (1, True), (2, False)])
def test_a_code_one_step_off_is_accepted_two_steps_off_refused(
    auth, logged_in_client, steps, accepted
):
    steady_step()
    secret = set_up(auth)
    response = auth.post(CONFIRM, data={"code": totp_code(secret, steps)})
    assert response.status_code == (200 if accepted else 422)


@pytest.mark.parametrize(
    "code", ["", "12345", "1234567", "abcdef", "12 34 5", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_a_code_not_of_six_digits_is_a_field_error(auth, logged_in_client, code):
    set_up(auth)
    message = messages.FIELD_REQUIRED if not code else messages.MFA_CODE_FORMAT
    response = auth.post(CONFIRM, data={"code": code})
    assert_error(response, 422, messages.VALIDATION_FAILED, {"code": [message]})


def test_a_code_may_hold_spaces(auth, logged_in_client):
    secret = set_up(auth)
    code = totp_code(secret)
    assert auth.post(CONFIRM, data={"code": f" {code[:3]} {code[3:]} "}).status_code == 200


def test_confirm_without_a_setup_is_a_conflict(auth, logged_in_client):
    response = auth.post(CONFIRM, data={"code": "123456"})
    assert_error(response, 409, messages.TOTP_NOT_SET_UP)


def test_setup_while_on_is_a_conflict_and_changes_nothing(app, auth, logged_in_client):
    secret, _codes = turn_on(auth)
    assert_error(auth.post(SETUP), 409, messages.TOTP_ALREADY_ON)
    assert auth.post(REAUTHENTICATE, json={"code": totp_code(secret, 1)}).status_code == 200


def test_no_second_factor_before_the_address_is_confirmed(app, auth):
    log_in(auth, add_user(app))
    assert_confirm_email_first(auth.post(SETUP))
    assert_confirm_email_first(auth.post(CONFIRM, data={"code": "123456"}))
    assert count_rows(app, TotpCredential) == 0
    confirm_email(app)
    turn_on(auth)


def test_a_new_setup_replaces_the_one_waiting(auth, logged_in_client):
    first = set_up(auth)
    second = set_up(auth)
    assert first != second
    response = auth.post(CONFIRM, data={"code": totp_code(first)})
    assert response.status_code == 422
    assert auth.post(CONFIRM, data={"code": totp_code(second)}).status_code == 200


@pytest.mark.parametrize("path", [SETUP, CONFIRM, DISABLE, NEW_CODES])
def test_changes_need_a_recent_proof_of_identity(app, auth, logged_in_client, path):
    age(app, verified=LATER)
    response = auth.post(path, data={"code": "123456"})
    assert_reauthentication_required(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", MFA), ("post", SETUP), ("post", CONFIRM), ("post", DISABLE), ("post", NEW_CODES)],
)
def test_every_mfa_route_needs_a_login(client, method, path):
    auth = AuthActions(client)
    response = auth.post(path) if method == "post" else client.get(path)
    assert_error(response, 401, messages.NOT_LOGGED_IN)


# Logging in with a second factor


def test_the_right_password_waits_for_the_second_factor(user_with_totp, auth, client):
    before = auth.fetch_token()
    response = waiting(auth)
    body = response.get_json()
    assert body["message"] == messages.MFA_REQUIRED
    assert body["data"] == {"mfa_required": True, "methods": ["totp", "recovery_code"]}
    assert body["csrf_token"] != before
    for path in ("/api/auth/verify_auth", "/api/auth/sessions", MFA):
        assert_error(client.get(path), 401, messages.NOT_LOGGED_IN)
    response = auth.post(
        "/api/auth/change_password",
        data={"current_password": PASSWORD, "password": "x" * 20, "confirm": "x" * 20},
    )
    assert_error(response, 401, messages.NOT_LOGGED_IN)


def test_a_wrong_password_answers_as_it_always_did(user_with_totp, auth):
    response = auth.login(password="not the password")
    assert_error(response, 401, messages.INVALID_CREDENTIALS)
    assert_login_ended(auth.post(VERIFY, data={"code": "123456"}), messages.MFA_NOT_PENDING)


def test_the_code_finishes_the_login_with_a_new_session_and_token(
    app, user_with_totp, auth, client
):
    secret = user_with_totp.secret
    pending_token = waiting(auth).get_json()["csrf_token"]
    response = auth.post(VERIFY, data={"code": totp_code(secret)})
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == messages.LOGGED_IN
    assert body["data"]["user_name"] == "alice"
    assert body["csrf_token"] != pending_token
    assert client.get("/api/auth/verify_auth").status_code == 200
    assert count_rows(app, PendingLogin) == 0


def test_an_accepted_code_is_never_accepted_again(user_with_totp, auth):
    secret = user_with_totp.secret
    steady_step()
    code = totp_code(secret)
    waiting(auth)
    assert auth.post(VERIFY, data={"code": code}).status_code == 200
    assert auth.logout().status_code == 200
    waiting(auth)
    assert_error(auth.post(VERIFY, data={"code": code}), 401, messages.MFA_CODE_WRONG)
    # Nor the code of an earlier step, once a later one was accepted.
    assert_error(
        auth.post(VERIFY, data={"code": totp_code(secret, -1)}), 401, messages.MFA_CODE_WRONG
    )
    assert auth.post(VERIFY, data={"code": totp_code(secret, 1)}).status_code == 200


def test_a_recovery_code_works_once(user_with_totp, auth):
    codes = user_with_totp.recovery_codes
    waiting(auth)
    assert auth.post(VERIFY, data={"recovery_code": codes[0]}).status_code == 200
    assert state(auth)["recovery_codes_left"] == 9
    auth.logout()
    waiting(auth)
    response = auth.post(VERIFY, data={"recovery_code": codes[0]})
    assert_error(response, 401, messages.MFA_CODE_WRONG)


@pytest.mark.parametrize("typed", [str.upper, lambda c: c.replace("-", ""), lambda c: f" {c} "])
def test_a_recovery_code_may_be_typed_loosely(user_with_totp, auth, typed):
    codes = user_with_totp.recovery_codes
    waiting(auth)
    assert auth.post(VERIFY, data={"recovery_code": typed(codes[3])}).status_code == 200


def test_using_a_recovery_code_sends_a_notice(app, user_with_totp, auth):
    codes = user_with_totp.recovery_codes
    before = notices(app)
    waiting(auth)
    auth.post(VERIFY, data={"recovery_code": codes[1]})
    assert notices(app) == before + 1


def test_new_recovery_codes_replace_every_old_one(user_with_totp, auth):
    secret, old = user_with_totp.secret, user_with_totp.recovery_codes
    waiting(auth)
    auth.post(VERIFY, data={"code": totp_code(secret)})
    response = auth.post(NEW_CODES)
    assert response.status_code == 200
    assert response.get_json()["message"] == messages.RECOVERY_CODES_RENEWED
    new = response.get_json()["data"]["recovery_codes"]
    assert not set(new) & set(old)
    auth.logout()
    waiting(auth)
    assert_error(auth.post(VERIFY, data={"recovery_code": old[0]}), 401, messages.MFA_CODE_WRONG)
    assert auth.post(VERIFY, data={"recovery_code": new[0]}).status_code == 200


def test_another_users_code_does_not_finish_the_login(app, user_with_totp, auth):
    bob = turn_on_totp(app, add_user(app, "bobby", confirmed=True))
    waiting(auth)
    response = auth.post(VERIFY, data={"code": totp_code(bob.secret)})
    assert_error(response, 401, messages.MFA_CODE_WRONG)
    response = auth.post(VERIFY, data={"recovery_code": bob.recovery_codes[0]})
    assert_error(response, 401, messages.MFA_CODE_WRONG)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"code": [messages.FIELD_REQUIRED]}),
        (
            {"code": "123456", "recovery_code": "abcde-fghjk"},
            {"code": [messages.MFA_CODE_OR_RECOVERY]},
        ),
        ({"code": "12345"}, {"code": [messages.MFA_CODE_FORMAT]}),
        ({"recovery_code": "x" * 65}, {"recovery_code": [messages.MFA_CODE_WRONG]}),
    ],
)
def test_a_malformed_second_step_is_a_field_error_and_counts_nothing(
    app, user_with_totp, auth, fields, errors
):
    waiting(auth)
    assert_error(auth.post(VERIFY, data=fields), 422, messages.VALIDATION_FAILED, errors)
    with app.app_context():
        assert db.session.scalar(select(PendingLogin.failures)) == 0


def test_the_waiting_login_expires(app, user_with_totp, auth):
    secret = user_with_totp.secret
    waiting(auth)
    expire_waiting(app)
    response = auth.post(VERIFY, data={"code": totp_code(secret)})
    assert_login_ended(response, messages.MFA_NOT_PENDING)


def test_a_stolen_waiting_cookie_is_useless_once_the_wait_expired(
    app, user_with_totp, auth, client
):
    secret = user_with_totp.secret
    waiting(auth)
    thief = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    thief.set_cookie(name, client.get_cookie(name).value)
    expire_waiting(app)
    response = thief.post(
        VERIFY, data={"code": totp_code(secret)}, headers={"X-CSRFToken": auth.token}
    )
    assert_login_ended(response, messages.MFA_NOT_PENDING)
    assert_error(thief.get("/api/auth/verify_auth"), 401, messages.NOT_LOGGED_IN)


def test_a_password_change_ends_the_wait(app, user_with_totp, auth):
    secret = user_with_totp.secret
    waiting(auth)
    with app.app_context():
        db.session.execute(text('UPDATE "user" SET credential_version = credential_version + 1'))
        db.session.commit()
    response = auth.post(VERIFY, data={"code": totp_code(secret)})
    assert_login_ended(response, messages.MFA_NOT_PENDING)


def test_five_wrong_codes_end_the_waiting_login(app, user_with_totp, auth):
    app.config["MFA_FAILURE_LIMIT"] = "20 per 5 minutes"
    secret = user_with_totp.secret
    waiting(auth)
    wrong = f"{(int(totp_code(secret)) + 500_000) % 1_000_000:06d}"
    for _ in range(4):
        assert_error(auth.post(VERIFY, data={"code": wrong}), 401, messages.MFA_CODE_WRONG)
    assert_login_ended(auth.post(VERIFY, data={"code": wrong}), messages.MFA_LOGIN_ENDED)
    response = auth.post(VERIFY, data={"code": totp_code(secret)})
    assert_login_ended(response, messages.MFA_NOT_PENDING)
    assert count_rows(app, PendingLogin) == 0


def wrong_code(secret):
    """Six digits that no step the server would take gives."""
    return f"{(int(totp_code(secret)) + 500_000) % 1_000_000:06d}"


def test_codes_past_their_limit_are_429_even_the_right_one(user_with_totp, auth):
    """5 codes in 5 minutes per account, apart from the password's counts: the fifth wrong
    code ends the wait, the right password begins another, and the right code is refused."""
    secret = user_with_totp.secret
    waiting(auth)
    for _ in range(4):
        assert_error(
            auth.post(VERIFY, data={"code": wrong_code(secret)}), 401, messages.MFA_CODE_WRONG
        )
    assert_login_ended(
        auth.post(VERIFY, data={"recovery_code": "00000-00000"}), messages.MFA_LOGIN_ENDED
    )
    waiting(auth)
    response = auth.post(VERIFY, data={"code": totp_code(secret)})
    assert_error(response, 429, messages.TOO_MANY_ATTEMPTS)
    assert int(response.headers["Retry-After"]) <= 5 * 60
    # The codes spent none of the password's 5 attempts: four wrong ones and the right one pass.
    for _ in range(4):
        assert_error(auth.login(password="wrong"), 401, messages.INVALID_CREDENTIALS)
    waiting(auth)


@pytest.mark.parametrize("proof", ["code", "password"])
def test_codes_past_their_limit_are_429_wherever_they_are_given(app, user_with_totp, auth, proof):
    """Re-authenticating and turning TOTP off count on the same limit; the password does not."""
    secret = user_with_totp.secret
    waiting(auth)
    assert auth.post(VERIFY, data={"code": totp_code(secret)}).status_code == 200
    for path in [REAUTHENTICATE, DISABLE, REAUTHENTICATE, DISABLE, REAUTHENTICATE]:
        assert auth.post(path, data={"code": wrong_code(secret)}).status_code == 403
    if proof == "code":
        response = auth.post(REAUTHENTICATE, data={"code": totp_code(secret, 1)})
        assert_error(response, 429, messages.TOO_MANY_ATTEMPTS)
        assert_error(
            auth.post(DISABLE, data={"code": totp_code(secret, 1)}),
            429,
            messages.TOO_MANY_ATTEMPTS,
        )
    else:
        assert auth.post(REAUTHENTICATE, data={"password": PASSWORD}).status_code == 200
        assert auth.post(DISABLE, data={"password": PASSWORD}).status_code == 200


def test_the_right_code_forgets_the_wrong_ones(user_with_totp, auth):
    secret = user_with_totp.secret
    waiting(auth)
    for _ in range(4):
        assert auth.post(VERIFY, data={"code": wrong_code(secret)}).status_code == 401
    assert auth.post(VERIFY, data={"code": totp_code(secret)}).status_code == 200
    auth.logout()
    waiting(auth)
    for _ in range(4):
        assert auth.post(VERIFY, data={"code": wrong_code(secret)}).status_code == 401
    assert auth.post(VERIFY, data={"code": totp_code(secret, 1)}).status_code == 200


def test_the_right_password_forgets_the_wrong_ones_before_any_code(user_with_totp, auth):
    for _ in range(4):
        assert auth.login(password="wrong").status_code == 401
    waiting(auth)
    for _ in range(4):
        assert auth.login(password="wrong").status_code == 401
    waiting(auth)


def lock_both_names(app):
    """What anyone who knows the user name and the address can do: spend both their failures,
    until even the right password is a 429."""
    attacker = AuthActions(app.test_client())
    for login in ("alice", "alice@example.com"):
        for _ in range(5):
            assert_error(attacker.login(login, "wrong"), 401, messages.INVALID_CREDENTIALS)
        assert_error(attacker.login(login, PASSWORD), 429, messages.TOO_MANY_ATTEMPTS)


@pytest.mark.parametrize("login", ["alice", "alice@example.com"])
def test_password_guesses_never_refuse_the_owners_codes(app, user_with_totp, auth, login):
    """A login already waiting finishes with a code, and the owner re-authenticates with one."""
    secret = user_with_totp.secret
    assert auth.login(login).status_code == 202
    lock_both_names(app)
    assert auth.post(VERIFY, data={"code": totp_code(secret)}).status_code == 200
    age(app, verified=LATER)
    assert auth.post(REAUTHENTICATE, data={"code": totp_code(secret, 1)}).status_code == 200


def test_two_verifications_at_once_finish_one_login(app, user_with_totp, auth, client):
    secret = user_with_totp.secret
    waiting(auth)
    name = app.config["SESSION_COOKIE_NAME"]
    clients = [app.test_client() for _ in range(2)]
    for other in clients:
        other.set_cookie(name, client.get_cookie(name).value)
    code = totp_code(secret)
    barrier = threading.Barrier(len(clients))
    statuses = []

    def attempt(other):
        barrier.wait()
        response = other.post(VERIFY, data={"code": code}, headers={"X-CSRFToken": auth.token})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt, args=(other,)) for other in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401]


def test_remember_me_carries_over_to_the_session(app, user_with_totp, auth, client):
    secret = user_with_totp.secret
    response = auth.login(remember_me=True)
    assert response.status_code == 202
    auth.post(VERIFY, data={"code": totp_code(secret)})
    sessions = client.get("/api/auth/sessions").get_json()["data"]
    assert [session["remember"] for session in sessions] == [True]


# Turning it off


def test_disable_with_the_password(app, user_with_totp, auth):
    secret = user_with_totp.secret
    waiting(auth)
    auth.post(VERIFY, data={"code": totp_code(secret)})
    before = notices(app)
    response = auth.post(DISABLE, data={"password": PASSWORD})
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": messages.TOTP_DISABLED}
    assert state(auth) == {
        "totp": False,
        "webauthn": False,
        "recovery_codes_left": 0,
        "methods": [],
    }
    assert notices(app) == before + 1
    auth.logout()
    assert auth.login().status_code == 200


def test_disable_with_a_code(user_with_totp, auth):
    secret = user_with_totp.secret
    waiting(auth)
    auth.post(VERIFY, data={"code": totp_code(secret)})
    assert auth.post(DISABLE, data={"code": totp_code(secret, 1)}).status_code == 200


@pytest.mark.parametrize("fields", [{"password": "wrong"}, {"code": "000000"}])
def test_disable_with_a_wrong_proof_is_refused_and_changes_nothing(user_with_totp, auth, fields):
    secret = user_with_totp.secret
    waiting(auth)
    auth.post(VERIFY, data={"code": totp_code(secret)})
    assert_error(auth.post(DISABLE, data=fields), 403, messages.WRONG_CODE_OR_PASSWORD)
    assert state(auth)["totp"] is True


def test_disable_while_off_is_a_conflict(auth, logged_in_client):
    assert_error(auth.post(DISABLE, data={"password": PASSWORD}), 409, messages.TOTP_NOT_ON)


def test_new_codes_while_off_is_a_conflict(auth, logged_in_client):
    assert_error(auth.post(NEW_CODES), 409, messages.TOTP_NOT_ON)


# Re-authentication with a code


def test_reauthenticate_with_a_code_once(app, user_with_totp, auth):
    secret = user_with_totp.secret
    waiting(auth)
    auth.post(VERIFY, data={"code": totp_code(secret)})
    age(app, verified=LATER)
    code = totp_code(secret, 1)
    assert auth.post(REAUTHENTICATE, json={"code": code}).status_code == 200
    assert_error(auth.post(REAUTHENTICATE, json={"code": code}), 403, messages.MFA_CODE_WRONG)


def test_a_code_is_no_proof_for_a_user_without_totp(auth, logged_in_client):
    assert_error(auth.post(REAUTHENTICATE, json={"code": "123456"}), 403, messages.MFA_CODE_WRONG)


def test_reauthenticate_takes_a_password_or_a_code_not_both(auth, logged_in_client):
    response = auth.post(REAUTHENTICATE, json={"code": "123456", "password": PASSWORD})
    assert_error(
        response, 422, messages.VALIDATION_FAILED, {"password": [messages.MFA_CODE_OR_PASSWORD]}
    )


def test_the_secret_of_a_user_is_unreadable_under_another_key(app, auth, logged_in_client):
    set_up(auth)
    app.config["MFA_KEY"] = "a-brand-new-key-" + "z" * 32
    with app.app_context():
        stored = db.session.scalar(select(TotpCredential.secret))
    from app.mfa import encryption

    with app.test_request_context(), pytest.raises(encryption.InvalidToken):
        encryption.unseal(stored)
