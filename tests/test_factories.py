"""The accounts of tests/plugins/accounts.py behave as accounts made through the API do."""

import pytest

from app.common import messages
from tests.helpers import totp_code

VERIFY = "/api/auth/mfa/verify"
PASSKEY_LOGIN_BEGIN = "/api/auth/passkeys/login/begin"
PASSKEY_LOGIN_FINISH = "/api/auth/passkeys/login/finish"


def whoami(client):
    response = client.get("/api/auth/verify_auth")
    return response.get_json()["data"] if response.status_code == 200 else None


def test_a_user_logs_in_with_the_password_and_is_not_confirmed_yet(user, auth, client):
    assert whoami(client) is None
    assert auth.login(user.user_name, user.password).status_code == 200
    data = whoami(client)
    assert (data["id"], data["user_name"], data["email"]) == (user.id, "alice", user.email)
    assert (data["role"], data["email_confirmed"]) == ("user", False)


@pytest.mark.parametrize("login", ["alice", "ALICE", "alice@example.com"])
def test_a_user_logs_in_by_either_name(user, auth, login):
    assert auth.login(login).status_code == 200


def test_a_logged_in_client_is_logged_in_and_its_token_posts(logged_in_client, auth):
    assert whoami(logged_in_client)["user_name"] == "alice"
    assert auth.logout().status_code == 200
    assert whoami(logged_in_client) is None


def test_a_user_with_totp_waits_for_a_code_and_a_recovery_code_works(user_with_totp, auth):
    response = auth.login()
    assert response.status_code == 202
    assert response.get_json()["message"] == messages.MFA_REQUIRED
    answer = auth.post(VERIFY, data={"recovery_code": user_with_totp.recovery_codes[0]})
    assert answer.status_code == 200, answer.get_json()


def test_a_user_with_totp_logs_in_with_a_code(user_with_totp, auth):
    assert auth.login().status_code == 202
    code = totp_code(user_with_totp.secret, -1)
    assert auth.post(VERIFY, data={"code": code}).status_code == 200


def test_a_user_with_a_passkey_signs_in_with_it(user_with_passkey, authenticator, auth, client):
    options = auth.post(PASSKEY_LOGIN_BEGIN).get_json()["data"]
    answer = auth.post(PASSKEY_LOGIN_FINISH, json={"credential": authenticator.get(options)})
    assert answer.status_code == 200, answer.get_json()
    assert whoami(client)["user_name"] == user_with_passkey.user_name
