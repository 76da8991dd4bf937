"""Disabled accounts: no login by any means, told only to whoever proved the password, and
no session of theirs honoured from the moment of the disable, even one written after it."""

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app.admin import actions
from app.common import messages
from app.extensions import db
from app.mfa.models import PendingLogin
from app.sessions.models import AuthSession
from app.users.models import User
from tests.api.test_passkeys import sign_in
from tests.helpers import AuthActions, assert_error, count_rows, totp_code


def disable(app, user_name="alice"):
    with app.app_context():
        actions.disable(User.find_by_login(user_name))


def assert_disabled(response):
    assert_error(
        response, 403, messages.ACCOUNT_DISABLED, error_type=messages.ACCOUNT_DISABLED_TYPE
    )


def test_the_right_password_is_told_the_account_is_disabled(app, user, client):
    disable(app)
    assert_disabled(AuthActions(client).login())
    assert_disabled(AuthActions(client).login("ALICE@example.com"))


def test_a_wrong_password_hears_only_what_any_wrong_password_hears(app, user, client):
    disable(app)
    response = AuthActions(client).login(password="not the password at all")
    assert_error(response, 401, messages.INVALID_CREDENTIALS)


def test_every_session_ends_at_once(app, logged_in_client):
    other = app.test_client()
    assert AuthActions(other).login().status_code == 200
    disable(app)
    for client in (logged_in_client, other):
        assert_error(client.get("/api/auth/verify_auth"), 401, messages.NOT_LOGGED_IN)
    assert count_rows(app, AuthSession) == 0


def test_a_session_written_after_the_disable_is_not_honoured(app, logged_in_client):
    """A login that checked the password just before the disable may still write its session
    after it: the lookup refuses it."""
    with app.app_context():
        user = User.find_by_login("alice")
        user.is_active = False
        db.session.commit()
    assert_error(logged_in_client.get("/api/auth/verify_auth"), 401, messages.NOT_LOGGED_IN)


def test_a_login_racing_the_disable_cannot_record_itself(app, user):
    """The disable moves the credential version: a login holding the old one loses."""
    with app.app_context():
        user = User.find_by_login("alice")
        version = user.credential_version
        actions.disable(user)
        # As loaded before the disable: the version that the password was checked against.
        set_committed_value(user, "credential_version", version)
        assert not user.record_login("192.0.2.1")
        db.session.rollback()


def test_the_second_factor_step_is_told_too(app, user_with_totp, client):
    disable(app)
    assert_disabled(AuthActions(client).login())
    assert count_rows(app, PendingLogin) == 0


def test_a_login_waiting_for_its_code_ends_with_the_disable(app, user_with_totp, auth):
    assert auth.login().status_code == 202
    disable(app)
    response = auth.post("/api/auth/mfa/verify", data={"code": totp_code(user_with_totp.secret)})
    assert_error(response, 401, messages.MFA_NOT_PENDING, error_type=messages.LOGIN_ENDED_TYPE)


def test_a_passkey_alone_is_told_too(app, user_with_passkey, authenticator, auth):
    disable(app)
    assert_disabled(sign_in(auth, authenticator))


def test_enabling_lets_the_password_in_again(app, user, client):
    disable(app)
    with app.app_context():
        actions.enable(User.find_by_login("alice"))
    response = AuthActions(client).login()
    assert response.status_code == 200
    assert response.get_json()["data"]["user_name"] == "alice"


def test_disabling_and_enabling_are_security_events(app, user, caplog):
    caplog.set_level("INFO", logger="app.security")
    disable(app)
    with app.app_context():
        actions.enable(User.find_by_login("alice"))
    events = [line for line in caplog.messages if '"account_' in line]
    assert [
        '"event": "account_disabled"' in events[0],
        '"event": "account_enabled"' in events[1],
    ] == [True, True]
    assert all('"actor": "cli"' in line and '"user_name": "alice"' in line for line in events)


def test_new_accounts_are_active(app, auth):
    """Signed up through the API: the account signup makes is what is tested (``add_user``
    sets the flag itself)."""
    assert auth.signup().status_code == 201
    with app.app_context():
        assert db.session.scalar(select(User.is_active)) is True
