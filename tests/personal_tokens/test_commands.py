"""``manage.py users tokens USER`` and ``manage.py users revoke-tokens USER``."""

import json

from sqlalchemy import select, update

from app.common import messages
from app.extensions import db
from app.personal_tokens.models import PersonalToken
from tests.plugins.accounts import add_token, add_user, bearer

VERIFY = "/api/auth/verify_auth"


def test_tokens_lists_them_without_the_tokens(app, runner, user):
    token = add_token(app, user, scopes=["account:read", "sessions:read"], name="backup")
    result = runner.invoke(args=["users", "tokens", "ALICE"])
    assert result.exit_code == 0, result.output
    assert "'backup'  account:read sessions:read  created " in result.output
    assert "last used never" in result.output
    assert token not in result.output and token[4:] not in result.output
    listed = json.loads(runner.invoke(args=["users", "tokens", "alice", "--json"]).output)
    assert [entry["name"] for entry in listed] == ["backup"]
    assert token not in json.dumps(listed)


def test_tokens_says_when_there_are_none(app, runner, user):
    result = runner.invoke(args=["users", "tokens", "alice"])
    assert result.exit_code == 0
    assert result.output.strip() == messages.CLI_NO_TOKENS.format(user_name="alice")


def test_revoke_tokens_ends_every_token_of_that_account_only(app, runner, client, user):
    mine = [add_token(app, user), add_token(app, user)]
    bobs = add_token(app, add_user(app, "bob"))
    result = runner.invoke(args=["users", "revoke-tokens", "alice@example.com"])
    assert result.exit_code == 0
    assert result.output.strip() == messages.CLI_TOKENS_REVOKED.format(count=2, user_name="alice")
    for token in mine:
        assert client.get(VERIFY, headers=bearer(token)).status_code == 401
    assert client.get(VERIFY, headers=bearer(bobs)).status_code == 200


def test_an_unknown_user_is_an_error(app, runner):
    for command in ("tokens", "revoke-tokens"):
        result = runner.invoke(args=["users", command, "nobody"])
        assert result.exit_code == 1
        assert messages.CLI_USER_UNKNOWN.format(login="nobody") in result.output


def test_purge_sessions_deletes_dead_tokens_and_keeps_live_ones(app, runner, client, user):
    live = add_token(app, user)
    add_token(app, user, days=-1)
    add_token(app, user, name="before the password change")
    with app.app_context():
        stale = update(PersonalToken).where(PersonalToken.name != "script")
        db.session.execute(stale.values(credential_version=-1))
        db.session.commit()
    assert runner.invoke(args=["purge-sessions"]).exit_code == 0
    with app.app_context():
        assert db.session.scalars(select(PersonalToken.name)).all() == ["script"]
    assert client.get(VERIFY, headers=bearer(live)).status_code == 200
