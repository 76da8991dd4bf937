"""Passkeys over the API, played by a software authenticator: adding, naming and removing
them, signing in with one alone, as a second factor and to re-authenticate, and the attacks:
a replayed or another session's challenge, another origin or RP ID, a counter going back."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from webauthn.helpers.structs import AuthenticatorTransport

from app.common import messages
from app.extensions import db
from app.passkeys.models import Passkey
from app.passkeys.relying_party import KNOWN_TRANSPORTS
from app.users.models import User
from tests.helpers import (
    PASSWORD,
    AuthActions,
    age,
    assert_confirm_email_first,
    assert_error,
    assert_reauthentication_required,
    confirm_email,
    count_rows,
)
from tests.plugins.accounts import add_passkey, add_user, log_in
from tests.plugins.authenticator import SoftAuthenticator

BEGIN = "/api/auth/passkeys/register/begin"
FINISH = "/api/auth/passkeys/register/finish"
LOGIN_BEGIN = "/api/auth/passkeys/login/begin"
LOGIN_FINISH = "/api/auth/passkeys/login/finish"
MFA_BEGIN = "/api/auth/mfa/webauthn/begin"
MFA_FINISH = "/api/auth/mfa/webauthn/finish"
REAUTH_BEGIN = "/api/auth/reauthenticate/webauthn/begin"
REAUTH_FINISH = "/api/auth/reauthenticate/webauthn/finish"
LATER = timedelta(minutes=5, seconds=1)


def register(auth, authenticator, name="Laptop", **overrides):
    """Add a passkey through the API: the finish answer."""
    options = auth.post(BEGIN).get_json()["data"]
    answer = authenticator.create(options, **overrides)
    return auth.post(FINISH, json={"credential": answer, "name": name})


def sign_in(auth, authenticator, **overrides):
    """Sign in with a passkey alone: the finish answer."""
    options = auth.post(LOGIN_BEGIN).get_json()["data"]
    return auth.post(LOGIN_FINISH, json={"credential": authenticator.get(options, **overrides)})


def assert_refused(response):
    assert_error(response, 401, messages.PASSKEY_REFUSED, error_type=messages.PASSKEY_REFUSED_TYPE)


@pytest.fixture
def user(app):
    """Alice, her address confirmed: a passkey is only added to a confirmed address
    (``logged_in_client`` logs her in; the tests of signing in start from
    ``user_with_passkey``)."""
    return add_user(app, confirmed=True)


def sign_counts(app):
    with app.app_context():
        return db.session.scalars(select(Passkey.sign_count)).all()


# Registration


def test_the_creation_options_ask_for_a_discoverable_verified_credential(
    app, auth, logged_in_client
):
    response = auth.post(BEGIN)
    assert response.status_code == 200
    options = response.get_json()["data"]
    assert options["rp"] == {"id": "localhost", "name": "Flask auth"}
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    with app.app_context():
        user = db.session.scalar(select(User))
        assert options["user"]["id"] == user.passkey_handle
    assert options["user"]["id"] not in ("1", "MQ", "alice@example.com")
    assert len(options["user"]["id"]) == 43


def test_the_rp_id_and_origin_come_from_public_url_never_from_host(
    app, auth, logged_in_client, authenticator
):
    app.config["PUBLIC_URL"] = "https://auth.example.com"
    options = auth.post(BEGIN).get_json()["data"]
    assert options["rp"]["id"] == "auth.example.com"
    # An answer made for the Host the request named (localhost) is refused.
    assert_refused(
        auth.post(FINISH, json={"credential": authenticator.create(options, rp_id="localhost")})
    )
    options = auth.post(BEGIN).get_json()["data"]
    answer = authenticator.create(
        options, origin="https://auth.example.com", rp_id="auth.example.com"
    )
    assert auth.post(FINISH, json={"credential": answer}).status_code == 201


def test_registering_stores_the_passkey_and_answers_the_first_recovery_codes(
    app, auth, logged_in_client, authenticator
):
    response = register(auth, authenticator)
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["passkey"]["name"] == "Laptop"
    assert data["passkey"]["last_used_at"] is None
    assert data["passkey"]["transports"] == ["internal"]
    assert len(data["recovery_codes"]) == 10
    listed = logged_in_client.get("/api/auth/passkeys").get_json()["data"]
    assert listed == [data["passkey"]]
    assert "public_key" not in json.dumps(listed)
    second = register(auth, SoftAuthenticator(), name="")
    assert "recovery_codes" not in second.get_json()["data"]
    assert second.get_json()["data"]["passkey"]["name"] == "Passkey"


def test_the_same_authenticator_is_not_registered_twice(auth, logged_in_client, authenticator):
    assert register(auth, authenticator).status_code == 201
    options = auth.post(BEGIN).get_json()["data"]
    assert [c["id"] for c in options["excludeCredentials"]] == authenticator.credential_ids()


@pytest.mark.parametrize(
    "overrides",
    [{"origin": "http://evil.example"}, {"rp_id": "evil.example"}, {"challenge": b"x" * 32}],
    ids=["origin", "rp id", "challenge"],
)
def test_a_bad_registration_is_refused_and_stores_nothing(
    app, auth, logged_in_client, authenticator, overrides
):
    assert_refused(register(auth, authenticator, **overrides))
    assert count_rows(app, Passkey) == 0


def test_a_registration_answer_works_once(app, auth, logged_in_client, authenticator):
    options = auth.post(BEGIN).get_json()["data"]
    answer = authenticator.create(options)
    assert auth.post(FINISH, json={"credential": answer}).status_code == 201
    assert_refused(auth.post(FINISH, json={"credential": answer}))
    assert count_rows(app, Passkey) == 1


def test_registering_needs_a_recent_proof_of_identity(app, auth, logged_in_client, authenticator):
    age(app, verified=LATER)
    response = auth.post(BEGIN)
    assert_reauthentication_required(response)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"credential": [messages.FIELD_REQUIRED]}),
        ({"credential": "{}"}, {"credential": [messages.FIELD_NOT_OBJECT]}),
        ({"credential": [1]}, {"credential": [messages.FIELD_NOT_OBJECT]}),
        (
            {"credential": {"id": 1}, "name": "x" * 65},
            {"name": ["Must be at most 64 characters long."]},
        ),
    ],
)
def test_a_malformed_registration_is_a_field_error(auth, logged_in_client, body, errors):
    auth.post(BEGIN)
    assert_error(auth.post(FINISH, json=body), 422, messages.VALIDATION_FAILED, errors)


@pytest.mark.parametrize("credential", [{"id": 1}, {"rawId": "AA", "response": "x"}, {"type": 5}])
def test_a_nonsense_answer_is_refused(auth, logged_in_client, credential):
    auth.post(BEGIN)
    assert_refused(auth.post(FINISH, json={"credential": credential}))


def test_a_form_body_carries_the_answer_as_json_text(auth, logged_in_client, authenticator):
    options = auth.post(BEGIN).get_json()["data"]
    answer = json.dumps(authenticator.create(options))
    assert auth.post(FINISH, data={"credential": answer, "name": "Phone"}).status_code == 201


def test_a_credential_id_of_1023_bytes_is_stored_and_signs_in(
    app, auth, logged_in_client, authenticator
):
    assert register(auth, authenticator, credential_id_length=1023).status_code == 201
    auth.logout()
    assert sign_in(auth, authenticator).status_code == 200


@pytest.mark.parametrize("length", [1024, 1100, 12_000])
def test_a_credential_id_over_1023_bytes_is_refused_and_stores_nothing(
    app, auth, logged_in_client, authenticator, length
):
    """py_webauthn takes any length: 1,100 bytes was a 500 on PostgreSQL (too long for the
    column), and on SQLite a row was stored that could never sign in."""
    assert_refused(register(auth, authenticator, credential_id_length=length))
    assert count_rows(app, Passkey) == 0


def add_passkeys(app, count, user_name="alice"):
    """``count`` passkeys for the account, straight in the database (none can sign in)."""
    with app.app_context():
        user = User.find_by_login(user_name)
        for number in range(count):
            db.session.add(
                Passkey(
                    public_id=f"stored{number:010d}",
                    user_id=user.id,
                    credential_id=f"stored-{user_name}-{number}",
                    public_key=b"",
                    name=f"Old {number}",
                )
            )
        db.session.commit()


def test_an_account_holds_at_most_20_passkeys(app, auth, logged_in_client, authenticator):
    assert app.config["PASSKEY_MAX_PER_ACCOUNT"] == 20
    add_passkeys(app, 19)
    assert register(auth, authenticator).status_code == 201
    assert_error(auth.post(BEGIN), 409, messages.PASSKEY_LIMIT_REACHED)
    assert count_rows(app, Passkey) == 20


def test_the_cap_is_checked_again_when_the_registration_finishes(app, auth, logged_in_client):
    """Two registrations begun below the cap (two sessions of one account): the second to
    finish finds the cap reached."""
    other = AuthActions(app.test_client())
    assert other.login().status_code == 200
    add_passkeys(app, 19)
    answers = [
        SoftAuthenticator().create(actions.post(BEGIN).get_json()["data"])
        for actions in (auth, other)
    ]
    assert auth.post(FINISH, json={"credential": answers[0]}).status_code == 201
    response = other.post(FINISH, json={"credential": answers[1]})
    assert_error(response, 409, messages.PASSKEY_LIMIT_REACHED)
    assert count_rows(app, Passkey) == 20


def test_registrations_are_rate_limited_per_user(app, auth, logged_in_client):
    app.config["PASSKEY_REGISTER_RATE_LIMIT"] = "2 per hour"
    for _ in range(2):
        assert auth.post(BEGIN).status_code == 200
    response = auth.post(BEGIN)
    assert_error(response, 429, messages.TOO_MANY_REQUESTS)
    assert int(response.headers["Retry-After"]) <= 3600
    bob = AuthActions(app.test_client())
    log_in(bob, add_user(app, "bobby", confirmed=True))
    assert bob.post(BEGIN).status_code == 200


def test_no_passkey_is_added_before_the_address_is_confirmed(app, auth, authenticator):
    log_in(auth, add_user(app))
    assert_confirm_email_first(auth.post(BEGIN))
    assert_confirm_email_first(auth.post(FINISH, json={"credential": {"id": "AA"}}))
    with app.app_context():
        assert db.session.scalar(select(User.passkey_handle)) is None
    confirm_email(app)
    assert register(auth, authenticator).status_code == 201


# Signing in without a password


def test_a_passkey_alone_logs_in(app, user_with_passkey, authenticator, auth, client):
    before = auth.token
    response = sign_in(auth, authenticator)
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == messages.LOGGED_IN
    assert body["data"]["user_name"] == "alice"
    assert body["csrf_token"] != before
    assert client.get("/api/auth/verify_auth").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.login_count == 2
    assert sign_counts(app) == [1]


def test_the_sign_in_options_name_no_user_and_want_verification(auth, logged_in_client):
    options = auth.post(LOGIN_BEGIN).get_json()["data"]
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert options["rpId"] == "localhost"


@pytest.mark.parametrize(
    "overrides",
    [
        {"origin": "http://evil.example"},
        {"rp_id": "evil.example"},
        {"challenge": b"y" * 32},
        {"user_verified": False},
        {"user_handle": "bm90LWFsaWNl"},
        {"user_handle": None},
    ],
    ids=["origin", "rp id", "challenge", "no verification", "other handle", "no handle"],
)
def test_a_bad_sign_in_is_refused_and_changes_nothing(
    app, user_with_passkey, authenticator, auth, client, overrides
):
    assert_refused(sign_in(auth, authenticator, **overrides))
    assert client.get("/api/auth/verify_auth").status_code == 401
    assert sign_counts(app) == [0]


def test_a_replayed_sign_in_is_refused(app, user_with_passkey, authenticator, auth):
    options = auth.post(LOGIN_BEGIN).get_json()["data"]
    answer = authenticator.get(options)
    assert auth.post(LOGIN_FINISH, json={"credential": answer}).status_code == 200
    auth.logout()
    assert_refused(auth.post(LOGIN_FINISH, json={"credential": answer}))
    auth.post(LOGIN_BEGIN)
    assert_refused(auth.post(LOGIN_FINISH, json={"credential": answer}))


def test_a_challenge_of_another_browser_is_refused(app, user_with_passkey, authenticator, auth):
    options = auth.post(LOGIN_BEGIN).get_json()["data"]
    answer = authenticator.get(options)
    thief = AuthActions(app.test_client())
    thief.post(LOGIN_BEGIN)
    assert_refused(thief.post(LOGIN_FINISH, json={"credential": answer}))
    assert auth.post(LOGIN_FINISH, json={"credential": answer}).status_code == 200


def test_a_cloned_authenticator_is_caught_by_its_counter(
    app, user_with_passkey, authenticator, auth
):
    clone = authenticator.clone()
    assert sign_in(auth, clone).status_code == 200
    auth.logout()
    # The original's counter is behind the clone's now: it cannot be the same device.
    assert_refused(sign_in(auth, authenticator))
    assert_refused(sign_in(auth, authenticator, sign_count=1))
    assert sign_counts(app) == [1]


def test_an_unknown_passkey_is_refused(auth, logged_in_client, authenticator):
    authenticator.create(auth.post(BEGIN).get_json()["data"])  # made, but never sent to the server
    auth.logout()
    assert_refused(sign_in(auth, authenticator))


def test_sign_ins_have_a_rate_limit_of_their_own(app, user_with_passkey, authenticator, auth):
    """Per client, apart from the password logins': neither uses up the other."""
    app.config.update(LOGIN_RATE_LIMIT="1 per minute", PASSKEY_LOGIN_RATE_LIMIT="2 per minute")
    assert auth.login().status_code == 202
    assert_error(auth.login(), 429, messages.TOO_MANY_REQUESTS)
    assert sign_in(auth, authenticator).status_code == 200
    assert sign_in(auth, authenticator).status_code == 200
    assert_error(auth.post(LOGIN_BEGIN), 429, messages.TOO_MANY_REQUESTS)


def test_an_unconfirmed_address_is_refused_after_the_passkey_where_required(
    app, user_with_passkey, authenticator, auth
):
    # An account that got its passkey before one needed a confirmed address.
    with app.app_context():
        db.session.execute(update(User).values(email_confirmed_at=None))
        db.session.commit()
    app.config["REQUIRE_CONFIRMED_EMAIL"] = True
    response = sign_in(auth, authenticator)
    assert response.status_code == 403
    assert response.get_json()["errors"]["type"] == messages.EMAIL_NOT_CONFIRMED_TYPE


# As a second factor


def test_a_passkey_is_a_second_factor_after_the_password(
    app, user_with_passkey, authenticator, auth, client
):
    response = auth.login()
    assert response.status_code == 202
    assert response.get_json()["data"]["methods"] == ["webauthn", "recovery_code"]
    options = auth.post(MFA_BEGIN).get_json()["data"]
    assert [c["id"] for c in options["allowCredentials"]] == authenticator.credential_ids()
    response = auth.post(MFA_FINISH, json={"credential": authenticator.get(options)})
    assert response.status_code == 200
    assert client.get("/api/auth/verify_auth").status_code == 200


def test_another_users_passkey_does_not_finish_the_login(
    app, user_with_passkey, authenticator, auth
):
    bob = AuthActions(app.test_client())
    log_in(bob, add_user(app, "bobby", confirmed=True))
    bob_key = SoftAuthenticator()
    add_passkey(bob, bob_key)
    assert auth.login().status_code == 202
    options = auth.post(MFA_BEGIN).get_json()["data"]
    answer = bob_key.get(options, credential_id=bob_key.credential_ids()[0])
    assert_refused(auth.post(MFA_FINISH, json={"credential": answer}))


def test_a_second_factor_without_a_waiting_login_ends(user_with_passkey, authenticator, auth):
    response = auth.post(MFA_BEGIN)
    assert_error(response, 401, messages.MFA_NOT_PENDING, error_type=messages.LOGIN_ENDED_TYPE)


# Re-authentication


def test_reauthenticate_with_ones_own_passkey(app, user_with_passkey, authenticator, auth):
    assert sign_in(auth, authenticator).status_code == 200
    age(app, verified=LATER)
    options = auth.post(REAUTH_BEGIN).get_json()["data"]
    response = auth.post(REAUTH_FINISH, json={"credential": authenticator.get(options)})
    assert response.status_code == 200
    assert response.get_json()["message"] == messages.REAUTHENTICATED
    assert auth.post(BEGIN).status_code == 200


def test_another_users_passkey_is_no_proof(app, user_with_passkey, authenticator, auth):
    """Flask-Security-Too's advisory: the passkey must be the session user's own."""
    bob = AuthActions(app.test_client())
    log_in(bob, add_user(app, "bobby", confirmed=True))
    bob_key = SoftAuthenticator()
    add_passkey(bob, bob_key)
    age(app, verified=LATER)
    options = bob.post(REAUTH_BEGIN).get_json()["data"]
    answer = authenticator.get(options, credential_id=authenticator.credential_ids()[0])
    assert_refused(bob.post(REAUTH_FINISH, json={"credential": answer}))
    assert bob.post(BEGIN).status_code == 403


# Managing


def test_rename_a_passkey(auth, logged_in_client, authenticator):
    passkey = register(auth, authenticator).get_json()["data"]["passkey"]
    path = f"/api/auth/passkeys/{passkey['id']}"
    response = logged_in_client.patch(
        path, json={"name": " Work laptop "}, headers={"X-CSRFToken": auth.token}
    )
    assert response.status_code == 200
    assert response.get_json()["data"]["name"] == "Work laptop"


NAME_REFUSALS = [
    ("Lap\ntop", messages.PASSKEY_NAME_ONE_LINE),
    ("Lap\rtop", messages.PASSKEY_NAME_ONE_LINE),
    ("Lap\u2028top", messages.PASSKEY_NAME_ONE_LINE),
    ("Lap\u2029top", messages.PASSKEY_NAME_ONE_LINE),
    ("Lap\ttop", messages.PASSKEY_NAME_ONE_LINE),
    ("Lap\x1btop", messages.PASSKEY_NAME_ONE_LINE),
    ("Laptop \u202egnp.exe", messages.PASSKEY_NAME_ONE_LINE),
    ("Lap\u200btop", messages.PASSKEY_NAME_ONE_LINE),
    ("Lap\x00top", messages.FIELD_BAD_CHARACTERS),
    ("x" * 65, messages.NAME_TOO_LONG.format(max=64)),
]
NAME_IDS = ["LF", "CR", "LS", "PS", "tab", "ESC", "RLO", "ZWSP", "NUL", "65 characters"]


@pytest.mark.parametrize(("name", "problem"), NAME_REFUSALS, ids=NAME_IDS)
def test_a_passkey_name_is_one_line_of_plain_text_when_added(
    app, auth, logged_in_client, authenticator, name, problem
):
    options = auth.post(BEGIN).get_json()["data"]
    response = auth.post(FINISH, json={"credential": authenticator.create(options), "name": name})
    assert_error(response, 422, messages.VALIDATION_FAILED, {"name": [problem]})
    assert count_rows(app, Passkey) == 0


@pytest.mark.parametrize(("name", "problem"), NAME_REFUSALS, ids=NAME_IDS)
def test_a_passkey_name_is_one_line_of_plain_text_when_renamed(
    auth, logged_in_client, authenticator, name, problem
):
    passkey = register(auth, authenticator).get_json()["data"]["passkey"]
    path = f"/api/auth/passkeys/{passkey['id']}"
    headers = {"X-CSRFToken": auth.token}
    response = logged_in_client.patch(path, json={"name": name}, headers=headers)
    assert_error(response, 422, messages.VALIDATION_FAILED, {"name": [problem]})
    assert logged_in_client.get("/api/auth/passkeys").get_json()["data"][0]["name"] == "Laptop"


@pytest.mark.parametrize(
    "name", ["x" * 64, "Téléphone de Zoë", "Laptop \U0001f469\u200d\U0001f4bb", "YubiKey 5 NFC"]
)
def test_a_name_of_one_line_takes_any_letters_and_emoji(
    auth, logged_in_client, authenticator, name
):
    assert (
        register(auth, authenticator, name=f" {name} ").get_json()["data"]["passkey"]["name"]
        == name
    )


def test_another_users_passkey_is_not_found(app, auth, logged_in_client, authenticator):
    passkey = register(auth, authenticator).get_json()["data"]["passkey"]
    bob = AuthActions(app.test_client())
    log_in(bob, add_user(app, "bobby"))
    path = f"/api/auth/passkeys/{passkey['id']}"
    response = bob._client.patch(path, json={"name": "mine"}, headers={"X-CSRFToken": bob.token})
    assert_error(response, 404, messages.PASSKEY_NOT_FOUND)
    response = bob._client.delete(path, headers={"X-CSRFToken": bob.token})
    assert_error(response, 404, messages.PASSKEY_NOT_FOUND)
    assert count_rows(app, Passkey) == 1


def test_removing_needs_a_recent_proof_and_takes_the_recovery_codes_with_the_last(
    app, auth, logged_in_client, authenticator
):
    passkey = register(auth, authenticator).get_json()["data"]["passkey"]
    path = f"/api/auth/passkeys/{passkey['id']}"
    age(app, verified=LATER)
    response = logged_in_client.delete(path, headers={"X-CSRFToken": auth.token})
    assert response.status_code == 403
    assert auth.post("/api/auth/reauthenticate", json={"password": PASSWORD}).status_code == 200
    response = logged_in_client.delete(path, headers={"X-CSRFToken": auth.token})
    assert response.status_code == 200
    state = logged_in_client.get("/api/auth/mfa").get_json()["data"]
    assert state == {"totp": False, "webauthn": False, "recovery_codes_left": 0, "methods": []}
    assert auth.login().status_code == 200


def test_the_last_passkey_of_an_account_without_a_password_stays(
    app, auth, logged_in_client, authenticator
):
    passkey = register(auth, authenticator).get_json()["data"]["passkey"]
    with app.app_context():
        db.session.execute(update(User).values(_password=""))
        db.session.commit()
    path = f"/api/auth/passkeys/{passkey['id']}"
    response = logged_in_client.delete(path, headers={"X-CSRFToken": auth.token})
    assert_error(response, 409, messages.PASSKEY_LAST_FACTOR)
    assert count_rows(app, Passkey) == 1


def test_passkey_rp_id_may_name_a_parent_domain(app, auth, logged_in_client):
    app.config.update(PUBLIC_URL="https://auth.example.com", PASSKEY_RP_ID="example.com")
    assert auth.post(BEGIN).get_json()["data"]["rp"]["id"] == "example.com"


def test_a_passkey_alone_is_enough_for_new_recovery_codes(auth, logged_in_client, authenticator):
    old = register(auth, authenticator).get_json()["data"]["recovery_codes"]
    response = auth.post("/api/auth/mfa/recovery_codes")
    assert response.status_code == 200
    assert not set(response.get_json()["data"]["recovery_codes"]) & set(old)


def test_the_known_transports_are_py_webauthns():
    assert {transport.value for transport in AuthenticatorTransport} == KNOWN_TRANSPORTS
