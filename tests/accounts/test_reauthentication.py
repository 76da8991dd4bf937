"""Re-authentication: a sensitive action (changing the email) needs the login, or a password
check since, within REAUTHENTICATION_WINDOW; the time lives on the session record."""

from datetime import timedelta

from sqlalchemy import select

from app.common import messages
from app.extensions import db
from app.sessions.models import AuthSession
from tests.helpers import (
    PASSWORD,
    AuthActions,
    age,
    assert_error,
    assert_reauthentication_required,
    session_cookie,
)

REAUTHENTICATE = "/api/auth/reauthenticate"
CHANGE_EMAIL = "/api/auth/change_email"
LATER = timedelta(minutes=5, seconds=1)


def change_email(client):
    return client.post(CHANGE_EMAIL, json={"password": PASSWORD, "email": "new@example.com"})


def test_a_fresh_login_is_proof_enough(auth, logged_in_client):
    assert change_email(auth).status_code == 202


def test_past_the_window_the_action_asks_for_the_password_again(auth, logged_in_client, app):
    age(app, verified=LATER)
    assert_reauthentication_required(change_email(auth))


def test_just_inside_the_window_the_action_goes_through(auth, logged_in_client, app):
    age(app, verified=timedelta(minutes=4, seconds=50))
    assert change_email(auth).status_code == 202


def test_reauthenticating_opens_the_window_again(auth, logged_in_client, app):
    age(app, verified=LATER)
    response = auth.post(REAUTHENTICATE, json={"password": PASSWORD})
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": messages.REAUTHENTICATED}
    assert change_email(auth).status_code == 202


def test_a_wrong_password_is_refused_and_counts_as_a_failed_login(auth, logged_in_client, app):
    age(app, verified=LATER)
    for _ in range(5):
        response = auth.post(REAUTHENTICATE, json={"password": "wrong password"})
        assert_error(response, 403, messages.WRONG_CURRENT_PASSWORD)
    assert_reauthentication_required(change_email(auth))
    fresh = AuthActions(app.test_client())
    assert_error(fresh.login(), 429, messages.TOO_MANY_ATTEMPTS)


def test_the_window_is_the_session_s_own(auth, logged_in_client, app):
    other = AuthActions(app.test_client())
    assert other.login().status_code == 200
    with app.app_context():
        mine = db.session.scalars(select(AuthSession.public_id).order_by(AuthSession.id)).first()
    age(app, public_id=mine, verified=LATER)
    assert_reauthentication_required(change_email(auth))
    assert change_email(other).status_code == 202


def test_the_time_is_kept_on_the_server_never_in_the_cookie(logged_in_client, app):
    assert set(session_cookie(app, logged_in_client)) == {"sid", "csrf_token"}


def test_ending_the_other_sessions_keeps_the_old_proof(auth, logged_in_client, app):
    age(app, verified=LATER)
    assert auth.post("/api/auth/logout_all").status_code == 200
    assert_reauthentication_required(change_email(auth))


def test_changing_the_password_is_a_proof(auth, logged_in_client, app):
    age(app, verified=LATER)
    body = {
        "current_password": PASSWORD,
        "password": "Zq8#vT2!x-renewed",
        "confirm": "Zq8#vT2!x-renewed",
    }
    assert auth.post("/api/auth/change_password", json=body).status_code == 200
    response = auth.post(
        CHANGE_EMAIL, json={"password": "Zq8#vT2!x-renewed", "email": "new@example.com"}
    )
    assert response.status_code == 202


def test_reauthenticating_needs_a_login(auth):
    auth.fetch_token()
    assert_error(
        auth.post(REAUTHENTICATE, json={"password": PASSWORD}), 401, messages.NOT_LOGGED_IN
    )


def test_an_anonymous_sensitive_action_is_a_401_not_a_403(auth):
    auth.fetch_token()
    assert_error(change_email(auth), 401, messages.NOT_LOGGED_IN)


def test_the_password_is_required(auth, logged_in_client):
    assert_error(
        auth.post(REAUTHENTICATE, json={}),
        422,
        messages.VALIDATION_FAILED,
        fields={"password": [messages.FIELD_REQUIRED]},
    )
