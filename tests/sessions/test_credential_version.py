"""Credential versions: after a password change commits, no session made with the old password,
and none descended from a session older than the change, is honoured.

Another server's work is played in the middle of a request, at the moment a race would put
it there: between the password check and the commit, or between the session lookup and the
rotation. Real races against gunicorn are in ``tests/test_server.py``.
"""

import pytest
from sqlalchemy import select, update

from app.common import messages
from app.extensions import db
from app.sessions import cookie
from app.sessions.models import AuthSession
from app.users.models import User
from app.users.passwords import passwords
from tests.helpers import (
    PASSWORD,
    AuthActions,
    assert_error,
    count_rows,
    purged,
    stored_password_is,
)
from tests.plugins.accounts import add_user, log_in
from tests.plugins.databases import make_app

VERIFY = "/api/auth/verify_auth"
NEW_PASSWORD = "Zq8#vT2!x-changed"
OTHER_PASSWORD = "Zq8#vT2!x-meanwhile"


def change_password_elsewhere(app, password=OTHER_PASSWORD):
    """What a password change on another server commits: a new hash, the next version."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(
            update(User).values(
                {
                    User._password: passwords.hash(password),
                    User.credential_version: User.credential_version + 1,
                }
            )
        )


def change_password(auth):
    return auth.post(
        "/api/auth/change_password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )


def stored_user(app):
    with app.app_context():
        return db.session.scalar(select(User))


def while_checking(monkeypatch, action):
    """Run ``action`` once, right after the next password check of the request."""
    verify = passwords.verify
    pending = [action]

    def verify_then_act(stored_hash, password):
        ok = verify(stored_hash, password)
        while pending:
            pending.pop()()
        return ok

    monkeypatch.setattr(passwords, "verify", verify_then_act)


def right_after_lookup(monkeypatch, action):
    """Run ``action`` once, right after the request's session was looked up."""
    find = cookie.find_by_token_hash
    pending = [action]

    def find_then_act(token_hash):
        record = find(token_hash)
        while pending:
            pending.pop()()
        return record

    monkeypatch.setattr(cookie, "find_by_token_hash", find_then_act)


# The lookup honours a session only at its user's credential version


def test_a_session_of_an_older_version_is_not_honoured(app, logged_in_client):
    change_password_elsewhere(app)
    assert_error(logged_in_client.get(VERIFY), 401, messages.NOT_LOGGED_IN)


def test_sessions_start_at_their_users_version(app, logged_in_client):
    change_password_elsewhere(app)
    fresh = AuthActions(app.test_client())
    assert fresh.login(password=OTHER_PASSWORD).status_code == 200
    with app.app_context():
        versions = db.session.scalars(select(AuthSession.credential_version)).all()
    assert sorted(versions) == [0, 1]
    assert fresh._client.get(VERIFY).status_code == 200


def test_a_password_change_moves_to_the_next_version(app, auth, logged_in_client):
    response = change_password(auth)
    assert response.status_code == 200
    assert stored_user(app).credential_version == 1
    assert logged_in_client.get(VERIFY).status_code == 200


def test_a_login_rehash_keeps_the_version(database_url):
    app = make_app(database_url)
    add_user(app)
    raised = make_app(database_url, ARGON2_TIME_COST=2)
    assert AuthActions(raised.test_client()).login().status_code == 200
    user = stored_user(raised)
    assert "t=2" in user.password
    assert user.credential_version == 0


# A login commits only while the password it checked is the stored one


@pytest.mark.parametrize("rehash", [False, True], ids=["same-parameters", "rehash"])
def test_a_login_that_checked_the_old_password_loses_to_a_change(database_url, monkeypatch, rehash):
    app = make_app(database_url)
    log_in(AuthActions(app.test_client()), add_user(app))
    if rehash:
        app = make_app(database_url, ARGON2_TIME_COST=2)
    before = stored_user(app)
    client = app.test_client()
    while_checking(monkeypatch, lambda: change_password_elsewhere(app))
    response = AuthActions(client).login()
    assert_error(response, 401, messages.INVALID_CREDENTIALS)
    assert client.get(VERIFY).status_code == 401
    after = stored_user(app)
    # The change stands (a rehash must not write the old password back) and no trail moved.
    assert stored_password_is(app, OTHER_PASSWORD)
    assert after.login_count == before.login_count
    assert count_rows(app, AuthSession) == 1  # the first login's, at the old version


def test_a_login_after_the_change_with_the_new_password_works(app, user):
    change_password_elsewhere(app)
    assert AuthActions(app.test_client()).login(password=OTHER_PASSWORD).status_code == 200


# A session starts from an existing one only by deleting it in the same transaction


def test_logout_all_from_a_session_ended_meanwhile_is_401(app, auth, logged_in_client, monkeypatch):
    cookie_before = logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    right_after_lookup(monkeypatch, lambda: end_every_session(app))
    response = auth.post("/api/auth/logout_all")
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    assert count_rows(app, AuthSession) == 0
    assert logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value == cookie_before


def replace_with_a_stranger_at_the_same_id(app):
    """Another request ends the session and starts one that SQLite gives the freed id."""
    with app.app_context(), db.engine.begin() as connection:
        (row,) = connection.execute(select(AuthSession.__table__)).mappings().all()
        connection.execute(AuthSession.__table__.delete())
        connection.execute(
            AuthSession.__table__.insert(),
            {**row, "public_id": "stranger", "token_hash": "0" * 64},
        )


def test_logout_all_never_ends_a_new_session_that_took_the_current_ones_id(
    app, auth, logged_in_client, monkeypatch
):
    right_after_lookup(monkeypatch, lambda: replace_with_a_stranger_at_the_same_id(app))
    response = auth.post("/api/auth/logout_all")
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    with app.app_context():
        assert db.session.scalars(select(AuthSession.public_id)).all() == ["stranger"]


def test_logout_all_racing_a_password_change_leaves_no_live_session(
    app, auth, logged_in_client, monkeypatch
):
    """The change bumps the version after the lookup: the rotated session is of the old one."""
    right_after_lookup(monkeypatch, lambda: change_password_elsewhere(app))
    response = auth.post("/api/auth/logout_all")
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    assert logged_in_client.get(VERIFY).status_code == 401


def test_change_password_from_a_session_ended_meanwhile_is_401(
    app, auth, logged_in_client, monkeypatch
):
    while_checking(monkeypatch, lambda: end_every_session(app))
    response = change_password(auth)
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    assert stored_password_is(app, PASSWORD)
    assert stored_user(app).credential_version == 0


def test_of_two_racing_password_changes_the_later_one_loses(
    app, auth, logged_in_client, monkeypatch
):
    while_checking(monkeypatch, lambda: change_password_elsewhere(app))
    response = change_password(auth)
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    assert stored_password_is(app, OTHER_PASSWORD)
    assert stored_user(app).credential_version == 1
    assert logged_in_client.get(VERIFY).status_code == 401


def end_every_session(app):
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(AuthSession.__table__.delete())


# Records of an older version are no sessions anywhere


def older_session(app, client):
    """A second session of alice's, then a password change elsewhere: its public id."""
    other = AuthActions(client)
    assert other.login().status_code == 200
    public_id = client.get("/api/auth/sessions").get_json()["data"][0]["id"]
    change_password_elsewhere(app)
    return public_id


def test_listing_leaves_out_sessions_of_an_older_version(app, logged_in_client):
    older = older_session(app, app.test_client())
    fresh = AuthActions(app.test_client())
    assert fresh.login(password=OTHER_PASSWORD).status_code == 200
    listed = [entry["id"] for entry in fresh._client.get("/api/auth/sessions").get_json()["data"]]
    assert older not in listed
    assert len(listed) == 1


def test_deleting_a_session_of_an_older_version_is_404_and_it_goes(app, logged_in_client):
    older = older_session(app, app.test_client())
    fresh = AuthActions(app.test_client())
    assert fresh.login(password=OTHER_PASSWORD).status_code == 200
    response = fresh._client.delete(
        f"/api/auth/sessions/{older}", headers={"X-CSRFToken": fresh.token}
    )
    assert_error(response, 404, messages.SESSION_NOT_FOUND)
    with app.app_context():
        assert db.session.scalar(select(AuthSession).filter_by(public_id=older)) is None


def test_purge_deletes_sessions_of_an_older_version(app, logged_in_client, runner):
    change_password_elsewhere(app)
    fresh = AuthActions(app.test_client())
    assert fresh.login(password=OTHER_PASSWORD).status_code == 200
    result = runner.invoke(args=["purge-sessions"])
    assert purged(result.output) == (1, 0)
    assert fresh._client.get(VERIFY).status_code == 200
