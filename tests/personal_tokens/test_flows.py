"""Making, listing and revoking tokens over the API, each way a token ends, and where a token
never shows up again."""

import json
import logging
import re

import pytest
from sqlalchemy import select, update

from app.accounts import tokens as links
from app.common import messages
from app.common.time import utcnow
from app.extensions import db
from app.mail.outbox import OutboxMessage
from app.personal_tokens.models import PersonalToken
from app.users.models import User
from tests.helpers import (
    PASSWORD,
    STRONG_128,
    age,
    assert_error,
    assert_reauthentication_required,
)
from tests.plugins.accounts import add_token, add_user, bearer, log_in

TOKENS = "/api/auth/tokens"
VERIFY = "/api/auth/verify_auth"
TOKEN_SHAPE = re.compile(r"\Afat_[A-Za-z0-9_-]{43}\Z")
TOKEN_KEYS = {"id", "name", "scopes", "created_at", "expires_at", "last_used_at", "last_used_ip"}
GOOD = {"name": "Nightly backup", "scopes": ["account:read", "sessions:read"]}


@pytest.fixture
def confirmed(app):
    return add_user(app, confirmed=True)


@pytest.fixture
def session(auth, confirmed):
    log_in(auth, confirmed)
    return auth


def test_a_new_token_is_shown_once_and_works_at_once(app, session, confirmed):
    response = session.post(TOKENS, json={**GOOD, "expires_in_days": 7})
    assert response.status_code == 201
    body = response.get_json()
    assert body["message"] == messages.TOKEN_CREATED
    data = body["data"]
    token = data.pop("token")
    assert TOKEN_SHAPE.fullmatch(token)
    assert set(data) == TOKEN_KEYS
    assert data["scopes"] == ["account:read", "sessions:read"]
    assert data["last_used_at"] is None
    listed = session.get(TOKENS).get_json()["data"]
    assert listed == [data]
    assert token not in json.dumps(listed)
    verify = app.test_client().get(VERIFY, headers=bearer(token))
    assert verify.get_json()["data"]["id"] == confirmed.id


def test_a_new_token_queues_a_notice_to_the_owner(app, session):
    assert session.post(TOKENS, json=GOOD).status_code == 201
    with app.app_context():
        (notice,) = db.session.scalars(select(OutboxMessage)).all()
        assert notice.kind == "token_created"
        assert "Nightly backup" in notice.details


def test_making_a_token_needs_a_recent_proof_of_identity(app, session, confirmed):
    age(app, verified=app.config["REAUTHENTICATION_WINDOW"])
    assert_reauthentication_required(session.post(TOKENS, json=GOOD))
    with app.app_context():
        assert db.session.scalar(select(PersonalToken)) is None


def test_a_token_cannot_make_a_token(app, client, confirmed):
    token = add_token(app, confirmed, scopes=["account:read", "sessions:write"])
    response = client.post(TOKENS, json=GOOD, headers=bearer(token))
    assert_error(response, 403, messages.SESSION_ONLY, error_type=messages.INSUFFICIENT_SCOPE_TYPE)


FIELDS = {
    "no name": ({"scopes": ["account:read"]}, "name", messages.TOKEN_NAME_REQUIRED),
    "blank name": ({**GOOD, "name": "  "}, "name", messages.TOKEN_NAME_REQUIRED),
    "two lines": ({**GOOD, "name": "a\nb"}, "name", messages.PASSKEY_NAME_ONE_LINE),
    "no scopes": ({"name": "x"}, "scopes", messages.TOKEN_SCOPES_REQUIRED),
    "empty scopes": ({"name": "x", "scopes": []}, "scopes", messages.TOKEN_SCOPES_REQUIRED),
    "unknown scope": (
        {"name": "x", "scopes": ["account:write"]},
        "scopes",
        messages.TOKEN_SCOPE_UNKNOWN.format(
            scope="account:write",
            scopes="account:read, sessions:read, sessions:write, admin:read, admin:write",
        ),
    ),
    "not the role's": (
        {"name": "x", "scopes": ["admin:read"]},
        "scopes",
        messages.TOKEN_SCOPE_NOT_YOURS.format(scope="admin:read"),
    ),
    "scopes not strings": ({"name": "x", "scopes": [1]}, "scopes", messages.FIELD_NOT_STRING_LIST),
    "scopes an object": ({"name": "x", "scopes": {}}, "scopes", messages.FIELD_NOT_STRING_LIST),
    "zero days": ({**GOOD, "expires_in_days": 0}, "expires_in_days", "range"),
    "too many days": ({**GOOD, "expires_in_days": 366}, "expires_in_days", "range"),
    "no expiry refused": ({**GOOD, "expires_in_days": None}, "expires_in_days", "range"),
    "days as text": ({**GOOD, "expires_in_days": "7"}, "expires_in_days", "number"),
    "days a fraction": ({**GOOD, "expires_in_days": 1.5}, "expires_in_days", "number"),
    "days true": ({**GOOD, "expires_in_days": True}, "expires_in_days", "number"),
}


@pytest.mark.parametrize(("body", "field", "message"), FIELDS.values(), ids=FIELDS.keys())
def test_a_bad_field_is_a_422_and_makes_nothing(app, session, body, field, message):
    message = {
        "range": messages.TOKEN_DAYS_RANGE.format(most=365),
        "number": messages.FIELD_NOT_WHOLE_NUMBER,
    }.get(message, message)
    response = session.post(TOKENS, json=body)
    assert_error(response, 422, messages.VALIDATION_FAILED, fields={field: [message]})
    with app.app_context():
        assert db.session.scalar(select(PersonalToken)) is None


def test_a_form_body_takes_the_scopes_as_words(app, session):
    form = {"name": "ci", "scopes": "sessions:read account:read", "expires_in_days": "3"}
    response = session.post(TOKENS, data=form)
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["scopes"] == ["account:read", "sessions:read"]


def test_no_expiry_only_where_the_operator_allows_it(app, session):
    app.config["TOKEN_ALLOW_NO_EXPIRY"] = True
    response = session.post(TOKENS, json={**GOOD, "expires_in_days": None})
    assert response.status_code == 201
    assert response.get_json()["data"]["expires_at"] is None


def test_the_default_lifetime_is_thirty_days(app, session):
    data = session.post(TOKENS, json=GOOD).get_json()["data"]
    with app.app_context():
        record = db.session.scalar(select(PersonalToken))
        days = (record.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None)).days
    assert days == 29
    assert data["expires_at"] is not None


def test_an_account_holds_at_most_its_share_of_tokens(app, session):
    app.config["TOKEN_MAX_PER_ACCOUNT"] = 1
    assert session.post(TOKENS, json=GOOD).status_code == 201
    assert_error(session.post(TOKENS, json=GOOD), 409, messages.TOKEN_LIMIT_REACHED)


def test_another_users_token_is_not_found_and_goes_on(app, session):
    bob = add_user(app, "bob", confirmed=True)
    bobs = add_token(app, bob)
    with app.app_context():
        public_id = db.session.scalar(select(PersonalToken.public_id))
    assert_error(session.delete(f"{TOKENS}/{public_id}"), 404, messages.TOKEN_NOT_FOUND)
    assert app.test_client().get(VERIFY, headers=bearer(bobs)).status_code == 200


def test_a_token_revokes_itself(app, client, confirmed):
    token = add_token(app, confirmed, scopes=["account:read", "sessions:write"])
    (listed,) = client.get(TOKENS, headers=bearer(token)).get_json()["data"]
    response = client.delete(f"{TOKENS}/{listed['id']}", headers=bearer(token))
    assert response.get_json() == {"success": True, "message": messages.TOKEN_REVOKED}
    assert_error(client.get(VERIFY, headers=bearer(token)), 401, messages.TOKEN_INVALID)


def _change_password(app, auth, account):
    log_in(auth, account)
    body = {"current_password": PASSWORD, "password": STRONG_128, "confirm": STRONG_128}
    assert auth.post("/api/auth/change_password", json=body).status_code == 200


def _reset(app, auth, account):
    with app.test_request_context():
        user = db.session.get(User, account.id)
        link, _expires = links.issue(user, links.RESET_PASSWORD, user.email)
        db.session.commit()
    body = {"token": link, "password": STRONG_128, "confirm": STRONG_128}
    assert auth.post("/api/auth/reset_password", json=body).status_code == 200


def _cli(*words):
    def run(app, _auth, account):
        result = app.test_cli_runner().invoke(args=["users", *words, account.user_name])
        assert result.exit_code == 0, result.output

    return run


def _revoke(app, auth, account):
    log_in(auth, account)
    (listed,) = auth.get(TOKENS).get_json()["data"]
    assert auth.delete(f"{TOKENS}/{listed['id']}").status_code == 200


def _admin_logout(app, _auth, account):
    admin = add_user(app, "root", role="admin", confirmed=True)
    token = add_token(app, admin, scopes=["admin:write"])
    path = f"/api/admin/users/{account.id}/logout"
    assert app.test_client().post(path, headers=bearer(token)).status_code == 200


def _expire(app, _auth, _account):
    with app.app_context():
        db.session.execute(update(PersonalToken).values(expires_at=utcnow()))
        db.session.commit()


ENDINGS = {
    "password change": _change_password,
    "reset": _reset,
    "disable": _cli("disable"),
    "delete": _cli("delete", "--yes"),
    "users logout": _cli("logout"),
    "revoke-tokens": _cli("revoke-tokens"),
    "admin API logout": _admin_logout,
    "revoked": _revoke,
    "expiry": _expire,
}


@pytest.mark.parametrize("end", ENDINGS.values(), ids=ENDINGS.keys())
def test_each_way_a_token_ends_is_a_401_at_its_next_request(app, auth, confirmed, end):
    token = add_token(app, confirmed)
    probe = app.test_client()
    assert probe.get(VERIFY, headers=bearer(token)).status_code == 200
    end(app, auth, confirmed)
    assert_error(probe.get(VERIFY, headers=bearer(token)), 401, messages.TOKEN_INVALID)


def test_a_token_shows_up_in_no_log_event_export_or_error(app, session, client, caplog):
    caplog.set_level(logging.DEBUG)
    token = session.post(TOKENS, json=GOOD).get_json()["data"]["token"]
    probe = app.test_client()
    probe.get(VERIFY, headers=bearer(token))
    refused = probe.post("/api/auth/change_password", headers=bearer(token))
    wrong = probe.get(VERIFY, headers=bearer(token[:-2] + "xx"))
    export = session.get("/api/auth/account/export").get_data(as_text=True)
    secret = token.removeprefix("fat_")
    assert json.loads(export)["data"]["tokens"][0]["name"] == GOOD["name"]
    for text in (export, refused.get_data(as_text=True), wrong.get_data(as_text=True)):
        assert secret not in text and secret[:-2] not in text
    for record in caplog.records:
        assert secret not in record.getMessage() and secret[:-2] not in record.getMessage()
    with app.app_context():
        for message in db.session.scalars(select(OutboxMessage)):
            assert secret not in message.content and secret not in (message.details or "")
