"""The passkey flows under attack: a refused answer uses up its challenge, password guesses
never refuse a passkey, an id over WebAuthn's size never reaches the database, and two
registrations at once cannot pass the cap."""

import re
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, update

from app.common import messages
from app.extensions import db
from app.passkeys.models import Passkey
from app.users.models import User
from tests.api.test_mfa import lock_both_names
from tests.api.test_passkeys import (
    BEGIN,
    FINISH,
    LOGIN_BEGIN,
    LOGIN_FINISH,
    MFA_BEGIN,
    MFA_FINISH,
    REAUTH_BEGIN,
    REAUTH_FINISH,
    add_passkeys,
    assert_refused,
    sign_in,
)
from tests.helpers import AuthActions, assert_error, confirm_email, count_rows
from tests.plugins.accounts import add_passkey, add_user, log_in
from tests.plugins.authenticator import SoftAuthenticator

# A statement that reads or writes the passkey table itself (not its challenges').
PASSKEY_TABLE = re.compile(r"\bpasskey\b")


@pytest.fixture
def key(app, auth, authenticator):
    """The authenticator of Alice (``auth``, her address confirmed), holding her one passkey;
    she is still logged in, as ``user_with_passkey`` is not (her password alone no longer
    logs her in)."""
    log_in(auth, add_user(app, confirmed=True))
    add_passkey(auth, authenticator)
    return authenticator


def set_user(app, **values):
    with app.app_context():
        db.session.execute(update(User).values(**values))
        db.session.commit()


# A challenge is used up by any answer (issue 23, item 13)


def begun_sign_in(auth):
    """Alice logged out, her browser holding a sign-in challenge: its options."""
    auth.logout()
    return auth.post(LOGIN_BEGIN).get_json()["data"]


def finish_sign_in(auth, credential):
    return auth.post(LOGIN_FINISH, json={"credential": credential})


def test_an_answer_naming_another_account_uses_up_its_challenge(auth, key):
    """The refusal rolled back the challenge's deletion: a good answer to the same challenge
    then logged in."""
    options = begun_sign_in(auth)
    assert_refused(finish_sign_in(auth, key.get(options, user_handle="bm90LWFsaWNl")))
    assert_refused(finish_sign_in(auth, key.get(options)))
    assert sign_in(auth, key).status_code == 200


def test_an_answer_of_a_disabled_account_uses_up_its_challenge(app, auth, key):
    options = begun_sign_in(auth)
    set_user(app, is_active=False)
    response = finish_sign_in(auth, key.get(options))
    assert_error(
        response, 403, messages.ACCOUNT_DISABLED, error_type=messages.ACCOUNT_DISABLED_TYPE
    )
    set_user(app, is_active=True)
    assert_refused(finish_sign_in(auth, key.get(options)))


def test_an_answer_refused_for_an_unconfirmed_address_uses_up_its_challenge(app, auth, key):
    options = begun_sign_in(auth)
    app.config["REQUIRE_CONFIRMED_EMAIL"] = True
    set_user(app, email_confirmed_at=None)
    response = finish_sign_in(auth, key.get(options))
    assert response.get_json()["errors"]["type"] == messages.EMAIL_NOT_CONFIRMED_TYPE
    confirm_email(app)
    assert_refused(finish_sign_in(auth, key.get(options)))


def passkey_use(app):
    with app.app_context():
        passkey = db.session.scalar(select(Passkey))
        return passkey.sign_count, passkey.last_used_at


@pytest.mark.parametrize("refusal", ["disabled", "unconfirmed"])
def test_a_sign_in_refused_after_the_answer_records_no_use_of_the_passkey(app, auth, key, refusal):
    """The link sent with a refused unconfirmed login once committed the answer's counter
    and time along with it: the refused sign-in counted as a use."""
    options = begun_sign_in(auth)
    before = passkey_use(app)
    if refusal == "disabled":
        set_user(app, is_active=False)
    else:
        app.config["REQUIRE_CONFIRMED_EMAIL"] = True
        set_user(app, email_confirmed_at=None)
    assert finish_sign_in(auth, key.get(options)).status_code == 403
    assert passkey_use(app) == before


# Password guesses never refuse a passkey (item 1)


def test_password_guesses_never_refuse_a_passkey_sign_in(app, auth, key):
    auth.logout()
    lock_both_names(app)
    assert sign_in(auth, key).status_code == 200


@pytest.mark.parametrize("login", ["alice", "alice@example.com"])
def test_password_guesses_never_refuse_a_passkey_second_factor(app, auth, key, login):
    """The owner's login, begun before the attack through either name, still finishes."""
    auth.logout()
    assert auth.login(login).status_code == 202
    lock_both_names(app)
    options = auth.post(MFA_BEGIN).get_json()["data"]
    assert auth.post(MFA_FINISH, json={"credential": key.get(options)}).status_code == 200


# A credential id over 1,023 bytes never reaches the database (item 8)


@contextmanager
def statements(app):
    """The SQL statements the app runs meanwhile (the session lookup's aside)."""
    seen = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def long_key(auth):
    """An authenticator holding a credential with a 1,024-byte id for Alice: made, and
    refused by the server at registration."""
    long = SoftAuthenticator()
    answer = long.create(auth.post(BEGIN).get_json()["data"], credential_id_length=1024)
    with statements(auth._client.application) as seen:
        assert_refused(auth.post(FINISH, json={"credential": answer}))
    assert not [statement for statement in seen if PASSKEY_TABLE.search(statement)]
    return long


def answer_signed_sign_in(auth, long):
    return LOGIN_FINISH, long.get(begun_sign_in(auth))


def answer_second_factor(auth, long):
    auth.logout()
    assert auth.login().status_code == 202
    options = auth.post(MFA_BEGIN).get_json()["data"]
    return MFA_FINISH, long.get(options, credential_id=long.credential_ids()[0])


def answer_reauthentication(auth, long):
    options = auth.post(REAUTH_BEGIN).get_json()["data"]
    return REAUTH_FINISH, long.get(options, credential_id=long.credential_ids()[0])


@pytest.mark.parametrize(
    "answer",
    [answer_signed_sign_in, answer_second_factor, answer_reauthentication],
    ids=["sign in", "second factor", "reauthenticate"],
)
def test_an_id_over_1023_bytes_is_refused_at_every_use_before_any_read(app, auth, key, answer):
    long = long_key(auth)
    path, credential = answer(auth, long)
    with statements(app) as seen:
        assert_refused(auth.post(path, json={"credential": credential}))
    assert not [statement for statement in seen if PASSKEY_TABLE.search(statement)]


# The cap holds against registrations at once (item 8)


def test_two_registrations_at_once_cannot_pass_the_cap(app, auth, key):
    """Each counts with the user's row held: of two that find 19 passkeys, one is refused."""
    others = [AuthActions(app.test_client()) for _ in range(2)]
    for other in others:
        assert other.login().status_code == 202
        options = other.post(MFA_BEGIN).get_json()["data"]
        assert other.post(MFA_FINISH, json={"credential": key.get(options)}).status_code == 200
    add_passkeys(app, 18)
    answers = [SoftAuthenticator().create(o.post(BEGIN).get_json()["data"]) for o in others]
    barrier = threading.Barrier(len(others))
    statuses = []

    def finish(other, answer):
        barrier.wait()
        statuses.append(other.post(FINISH, json={"credential": answer}).status_code)

    threads = [
        threading.Thread(target=finish, args=pair) for pair in zip(others, answers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert count_rows(app, Passkey) == 20
    assert_error(auth.post(BEGIN), 409, messages.PASSKEY_LIMIT_REACHED)
