"""The account's own data: the export of everything stored about it, and deleting it, which
leaves no row that names the user; and the attacks: a stolen cookie without the password, a
stale proof, another user's rows, the last admin."""

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import String, select, update

from app.accounts import mailings
from app.common import messages
from app.extensions import db
from app.mail.compose import SUBJECTS
from app.mail.outbox import SENT, OutboxMessage
from app.mfa.models import PendingLogin, RecoveryCode, TotpCredential
from app.passkeys.models import Passkey
from app.sessions.models import AuthSession
from app.users import constants
from app.users.models import User
from tests.api.test_mfa import turn_on
from tests.api.test_passkeys import register
from tests.helpers import (
    CSRF_MISSING,
    PASSWORD,
    AuthActions,
    age,
    assert_csrf_failure,
    assert_error,
    assert_reauthentication_required,
    confirm_email,
    count_rows,
    session_cookie,
    set_role,
)
from tests.plugins.accounts import add_user, log_in
from tests.plugins.authenticator import SoftAuthenticator
from tests.plugins.databases import make_app
from tests.plugins.mail import text_of, token_of
from tests.system.test_server import all_at_once, assert_clean_log, logged_in

DELETE = "/api/auth/delete_account"
EXPORT = "/api/auth/account/export"
VERIFY = "/api/auth/verify_auth"
LATER = timedelta(minutes=5, seconds=1)
PAIRS = 3
NEW_EMAIL = "alice.new@example.com"
TOO_LONG = messages.PASSWORD_TOO_LONG.format(max=constants.MAX_PASSWORD_LEN)
BOB = {
    "user_name": "bobby",
    "email": "bobby@example.com",
    "first_name": "Bob",
    "last_name": "Stone",
}


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def bob(app):
    """Bob, logged in on a client of his own. His first and last names are not Alice's (which
    ``add_user`` gives an account unless told otherwise), so that no row of his holds one of
    hers."""
    account = add_user(
        app,
        BOB["user_name"],
        email=BOB["email"],
        first_name=BOB["first_name"],
        last_name=BOB["last_name"],
    )
    bob = AuthActions(app.test_client())
    log_in(bob, account)
    return bob


@pytest.fixture
def events(caplog):
    """``events(name)``: the security events of that name logged so far, parsed."""
    caplog.set_level(logging.INFO, logger="app.security")

    def events(name):
        lines = [r.getMessage() for r in caplog.records if r.name == "app.security"]
        return [event for event in map(json.loads, lines) if event["event"] == name]

    return events


def delete(auth, **fields):
    return auth.post(DELETE, json=fields)


def user_id(app, user_name="alice"):
    with app.app_context():
        return User.find_by_login(user_name).id


def user_exists(app, user_name="alice"):
    with app.app_context():
        return User.find_by_login(user_name) is not None


def every_row(app):
    """``{table: sorted rows}`` of every table: what a refusal must leave as it was."""
    with app.app_context():
        return {
            table.name: sorted(map(repr, db.session.execute(select(table)).all()))
            for table in db.metadata.sorted_tables
        }


def mail_a_confirmation(app, user_name="alice"):
    """Queue a link that confirms the address of ``user_name``, and its mail, as a signup
    does: rows of the account."""
    with app.app_context():
        mailings.send_confirmation(User.find_by_login(user_name))
        db.session.commit()


def give_everything(app, auth, mailbox, key, user_name="alice"):
    """The account with all the app stores about anyone: a confirmation link and its mail (as
    a signup leaves them), a second session, a pending email change, a reset link, TOTP with
    recovery codes, a passkey, a login waiting for its second factor, and passkey challenges
    of a session and of that pending login.

    Answers ``(other session, names, TOTP secret, recovery codes)``: ``names`` are the
    account's own and those of its sessions and waits, which no row may hold once it is gone.
    """
    email, new_email = f"{user_name}@example.com", f"{user_name}.new@example.com"
    mail_a_confirmation(app, user_name)
    other = AuthActions(app.test_client())
    assert other.login(user_name).status_code == 200
    response = auth.post("/api/auth/change_email", json={"password": PASSWORD, "email": new_email})
    assert response.status_code == 202
    response = AuthActions(app.test_client()).post(
        "/api/auth/reset_password/request", json={"email": email}
    )
    assert response.status_code == 202
    mailbox.deliver()
    confirm_email(app, user_name)
    secret, codes = turn_on(auth)
    assert register(auth, key).status_code == 201
    assert auth.post("/api/auth/passkeys/register/begin").status_code == 200
    waiting = AuthActions(app.test_client())
    assert waiting.login(user_name).status_code == 202
    assert waiting.post("/api/auth/mfa/webauthn/begin").status_code == 200
    with app.app_context():
        user = User.find_by_login(user_name)
        sessions = db.session.scalars(
            select(AuthSession.public_id).where(AuthSession.user_id == user.id)
        ).all()
        waits = db.session.scalars(
            select(PendingLogin.token_hash).where(PendingLogin.user_id == user.id)
        ).all()
        names = [user_name, email, new_email, user.last_name, user.passkey_handle]
    assert len(sessions) == 2 and len(waits) == 1
    return other, [*names, *sessions, *waits], secret, codes


def rows_of(app, user_id):
    """``{table: rows}`` of every row that references the user ``user_id``."""
    rows = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if any(fk.column.table.name == "user" for fk in column.foreign_keys):
                    query = select(table).where(column == user_id)
                    rows[table.name] = sorted(map(repr, db.session.execute(query).all()))
        rows["user"] = repr(db.session.execute(select(User.__table__).filter_by(id=user_id)).all())
    return rows


def assert_nothing_names(app, user_id, names):
    """No column that references the user holds their id, and no text anywhere holds one of
    ``names``, in any table."""
    checked = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table)).mappings().all()
            for column in table.columns:
                refers = any(fk.column.table.name == "user" for fk in column.foreign_keys)
                if refers or (table.name == "user" and column.primary_key):
                    checked.add(table.name)
                    assert all(row[column.name] != user_id for row in rows), column
                if isinstance(column.type, String):
                    for row in rows:
                        text = (row[column.name] or "").lower()
                        assert not [n for n in names if n.lower() in text], (column, row)
    assert {"user", "auth_session", "account_token", "outbox", "passkey"} <= checked


# Deleting


def test_deleting_removes_every_row_that_names_the_user(app, auth, logged_in_client, bob, mailbox):
    confirm_email(app)
    alice_id = user_id(app)
    other, names, _secret, _codes = give_everything(app, auth, mailbox, SoftAuthenticator())
    response = delete(auth, password=PASSWORD)
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"success": True, "message": messages.ACCOUNT_DELETED, "csrf_token": auth.token}
    assert mailbox.last("alice@example.com")["Subject"] == SUBJECTS["goodbye"]
    assert_nothing_names(app, alice_id, names)
    assert_error(other._client.get(VERIFY), 401, messages.NOT_LOGGED_IN)


def test_another_user_s_rows_are_untouched(app, auth, logged_in_client, bob, mailbox):
    alice_id = user_id(app)
    give_everything(app, bob, mailbox, SoftAuthenticator(), "bobby")
    give_everything(app, auth, mailbox, SoftAuthenticator())
    before = rows_of(app, user_id(app, "bobby"))
    assert delete(auth, password=PASSWORD).status_code == 200
    assert rows_of(app, user_id(app, "bobby")) == before
    assert bob._client.get(VERIFY).status_code == 200
    mailbox.deliver()
    assert_nothing_names(app, alice_id, ["alice"])


def test_the_deleted_user_s_old_cookie_gets_401(app, auth, logged_in_client):
    cookie = logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert delete(auth, password=PASSWORD).status_code == 200
    assert session_cookie(app, logged_in_client).get("sid") is None
    stolen = app.test_client()
    stolen.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    assert_error(stolen.get(VERIFY), 401, messages.NOT_LOGGED_IN)
    assert_error(stolen.get(EXPORT), 401, messages.NOT_LOGGED_IN)
    assert_error(logged_in_client.get(VERIFY), 401, messages.NOT_LOGGED_IN)


def test_a_replay_with_the_old_cookie_deletes_nothing_more(app, auth, logged_in_client, bob):
    """The deletion's request sent again, cookie and token as they were, after it worked."""
    cookie = logged_in_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    token = auth.token
    assert delete(auth, password=PASSWORD).status_code == 200
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    response = replay.post(DELETE, json={"password": PASSWORD}, headers={"X-CSRFToken": token})
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    assert user_exists(app, "bobby")


def test_the_last_two_admins_deleting_themselves_at_once_leave_one(live_server, database_url):
    """The last-admin rule holds against a race: of two admins who each delete their own
    account at the same moment, exactly one goes."""
    app = make_app(database_url)
    for pair in range(PAIRS):
        names = [f"admin{pair}a", f"admin{pair}b"]
        for name in names:
            add_user(app, name, role="admin")
        owners = [logged_in(live_server, name) for name in names]
        calls = [
            lambda owner=owner: owner.call("POST", DELETE, {"password": PASSWORD})
            for owner in owners
        ]
        results = all_at_once(calls)
        assert sorted(status for status, _ in results) == [200, 409]
        refused = [name for name, (status, _) in zip(names, results, strict=True) if status == 409]
        with app.app_context():
            admins = db.session.scalars(select(User).where(User.role_code == constants.ADMIN))
            assert [admin.user_name for admin in admins] == refused
        # The next pair are the last two admins again.
        set_role(app, refused[0], "user")
    assert_clean_log(live_server)


def test_the_deleted_user_cannot_log_in_and_the_names_are_free(app, auth, logged_in_client):
    assert delete(auth, password=PASSWORD).status_code == 200
    assert_error(AuthActions(app.test_client()).login(), 401, messages.INVALID_CREDENTIALS)
    assert AuthActions(app.test_client()).signup().status_code == 201


def test_the_goodbye_arrives_and_then_the_outbox_forgets_the_address(app, auth, mailbox):
    """The account's own message (a confirmation, sent) goes with it: the goodbye, for no
    account, is the one row left."""
    log_in(auth, add_user(app, confirmed=True))
    mail_a_confirmation(app)
    mailbox.deliver()
    assert delete(auth, password=PASSWORD).status_code == 200
    goodbye = mailbox.last()
    assert goodbye["To"] == "alice@example.com"
    assert goodbye["Subject"] == SUBJECTS["goodbye"]
    assert "alice" in text_of(goodbye)
    with app.app_context():
        (row,) = db.session.scalars(select(OutboxMessage)).all()
    assert (row.kind, row.status, row.user_id, row.recipient, row.content) == (
        "goodbye",
        SENT,
        None,
        "",
        "",
    )


def test_a_sent_message_of_an_account_keeps_its_address(app, user, mailbox):
    """Only a message for no account forgets its address: an account's stays its record."""
    mail_a_confirmation(app)
    mailbox.deliver()
    with app.app_context():
        (row,) = db.session.scalars(select(OutboxMessage)).all()
    assert (row.status, row.recipient, row.content) == (SENT, "alice@example.com", "")


def test_the_event_names_only_the_user_id(app, auth, logged_in_client, events, caplog):
    alice_id = user_id(app)
    assert delete(auth, password=PASSWORD).status_code == 200
    (event,) = events("account_deleted")
    assert event["user_id"] == alice_id
    assert "user_name" not in event
    assert "alice" not in json.dumps(event).lower()


def test_an_account_without_a_password_needs_only_the_recent_proof(app, auth):
    log_in(auth, add_user(app, confirmed=True))
    assert register(auth, SoftAuthenticator()).status_code == 201
    with app.app_context():
        db.session.execute(update(User).values(_password=""))
        db.session.commit()
    age(app, verified=LATER)
    assert_reauthentication_required(delete(auth))
    age(app, verified=timedelta(0))
    response = delete(auth)
    assert response.status_code == 200
    assert not user_exists(app)
    assert count_rows(app, Passkey) == 0


def test_an_admin_may_delete_their_account_while_another_admin_remains(app, auth):
    log_in(auth, add_user(app, role="admin"))
    add_user(app, BOB["user_name"], email=BOB["email"], role="admin")
    assert delete(auth, password=PASSWORD).status_code == 200
    assert not user_exists(app)


# Refusals: each changes nothing

WRONG_PASSWORD = "not the password at all"


def make_proof_old(app):
    age(app, verified=LATER)


def make_admin(app):
    set_role(app, "alice", "admin")


# ``(set-up, who asks, fields, status, message)``: a stolen cookie without the password, one
# whose proof is stale, no cookie, the last admin, a body without the password.
REFUSALS = {
    "wrong password": (
        None,
        "alice",
        {"password": WRONG_PASSWORD},
        403,
        messages.WRONG_CURRENT_PASSWORD,
    ),
    "stale proof": (
        make_proof_old,
        "alice",
        {"password": PASSWORD},
        403,
        messages.REAUTHENTICATION_REQUIRED,
    ),
    "anonymous": (None, "anonymous", {"password": PASSWORD}, 401, messages.NOT_LOGGED_IN),
    "last admin": (make_admin, "alice", {"password": PASSWORD}, 409, messages.LAST_ADMIN),
    "no password": (None, "alice", {}, 422, messages.VALIDATION_FAILED),
}


@pytest.mark.parametrize(
    ("set_up", "who", "fields", "status", "message"), REFUSALS.values(), ids=REFUSALS
)
def test_a_refused_deletion_changes_nothing(
    app, auth, logged_in_client, set_up, who, fields, status, message
):
    if set_up is not None:
        set_up(app)
    assert logged_in_client.get(VERIFY).status_code == 200
    before = every_row(app)
    response = delete(auth if who == "alice" else AuthActions(app.test_client()), **fields)
    assert response.status_code == status
    assert response.get_json()["errors"]["message"] == message
    assert every_row(app) == before
    assert logged_in_client.get(VERIFY).status_code == 200


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"password": [messages.FIELD_REQUIRED]}),
        ({"password": ""}, {"password": [messages.FIELD_REQUIRED]}),
        ({"password": "x" * 129}, {"password": [TOO_LONG]}),
    ],
)
def test_the_password_field_is_checked(app, auth, logged_in_client, fields, errors):
    assert_error(delete(auth, **fields), 422, messages.VALIDATION_FAILED, errors)
    assert user_exists(app)


def test_the_last_admin_is_told_why(app, auth, client):
    log_in(auth, add_user(app, role="admin"))
    assert_error(delete(auth, password=PASSWORD), 409, messages.LAST_ADMIN)
    assert client.get(VERIFY).status_code == 200


def test_wrong_passwords_count_as_failed_logins(app, auth, logged_in_client):
    for _ in range(5):
        assert delete(auth, password=WRONG_PASSWORD).status_code == 403
    assert delete(auth, password=PASSWORD).status_code == 429
    assert_error(AuthActions(app.test_client()).login(), 429, messages.TOO_MANY_ATTEMPTS)
    assert user_exists(app)


def test_a_wrong_password_is_logged_as_a_failed_proof(app, auth, logged_in_client, events):
    assert delete(auth, password=WRONG_PASSWORD).status_code == 403
    (event,) = events("reauthentication_failed")
    assert event["user_name"] == "alice"
    assert events("account_deleted") == []


def test_the_csrf_token_is_needed(app, logged_in_client):
    response = logged_in_client.post(DELETE, json={"password": PASSWORD})
    assert_csrf_failure(response, CSRF_MISSING)
    assert user_exists(app)


# Export


def test_the_export_holds_everything_stored_about_the_user(app, auth, logged_in_client, mailbox):
    key = SoftAuthenticator()
    give_everything(app, auth, mailbox, key)
    response = logged_in_client.get(EXPORT)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == ('attachment; filename="account-export.json"')
    body = response.get_json()
    assert body["message"] == messages.ACCOUNT_EXPORTED
    data = body["data"]
    assert data["profile"] == logged_in_client.get(VERIFY).get_json()["data"]
    assert data["trail"]["login_count"] == 2
    assert data["trail"]["created_on"] == data["profile"]["created_on"]
    with app.app_context():
        sessions = set(db.session.scalars(select(AuthSession.public_id)))
    assert {session["id"] for session in data["sessions"]} == sessions
    assert data["mfa"] == {
        "totp": True,
        "webauthn": True,
        "recovery_codes_left": 10,
        "methods": ["totp", "webauthn", "recovery_code"],
    }
    assert [passkey["name"] for passkey in data["passkeys"]] == ["Laptop"]


@pytest.mark.parametrize("asked_from", ["first", "second"])
def test_the_export_marks_the_current_session_as_the_session_list_does(
    app, auth, logged_in_client, asked_from
):
    other = AuthActions(app.test_client())
    assert other.login().status_code == 200
    caller = {"first": auth, "second": other}[asked_from]
    exported = caller._client.get(EXPORT).get_json()["data"]["sessions"]
    listed = caller._client.get("/api/auth/sessions").get_json()["data"]
    # Both calls are one request apart, and neither writes the records: the same two views.
    assert exported == listed
    assert sorted(session["current"] for session in exported) == [False, True]


def test_the_export_holds_no_secret_hash_or_token(app, auth, logged_in_client, mailbox):
    key = SoftAuthenticator()
    _other, _names, secret, codes = give_everything(app, auth, mailbox, key)
    (reset,) = [m for m in mailbox.deliver() if m["Subject"] == SUBJECTS["reset_password"]]
    text = logged_in_client.get(EXPORT).get_data(as_text=True)
    with app.app_context():
        stored = [
            *db.session.scalars(select(AuthSession.token_hash)),
            *db.session.scalars(select(Passkey.credential_id)),
            *db.session.scalars(select(RecoveryCode.code_hash)),
            *db.session.scalars(select(TotpCredential.secret)),
        ]
    assert "$argon2" not in text
    for value in [
        secret,
        *codes,
        token_of(reset),
        session_cookie(app, logged_in_client)["sid"],
        *stored,
    ]:
        assert value not in text
    assert "password" not in text


def test_the_export_is_logged(app, logged_in_client, events):
    assert logged_in_client.get(EXPORT).status_code == 200
    (event,) = events("account_exported")
    assert event["user_name"] == "alice"


def test_the_export_needs_a_login(client):
    assert_error(client.get(EXPORT), 401, messages.NOT_LOGGED_IN)


def test_the_export_is_the_caller_s_own(app, user, bob):
    data = bob._client.get(EXPORT).get_json()["data"]
    assert data["profile"]["user_name"] == "bobby"
    assert "alice" not in json.dumps(data)
