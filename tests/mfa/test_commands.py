"""The operator's second-factor commands: mfa-reset and rotate-mfa-key."""

import json
import logging
import secrets

from sqlalchemy import select

from app.common import messages
from app.extensions import db
from app.log import SECURITY_LOGGER
from app.mfa.models import TotpCredential
from tests.helpers import PASSWORD, AuthActions, count_rows, totp_code
from tests.plugins.accounts import add_user, turn_on_totp
from tests.plugins.databases import make_app

VERIFY = "/api/auth/mfa/verify"


def security_events(caplog):
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == SECURITY_LOGGER]


def test_mfa_reset_turns_the_second_factor_off(app, runner, user_with_totp, auth, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    assert auth.login().status_code == 202
    result = runner.invoke(args=["mfa-reset", "ALICE@example.com"])
    assert result.exit_code == 0
    assert result.output == "Turned off two-factor authentication for alice.\n"
    assert count_rows(app, TotpCredential) == 0
    events = [event for event in security_events(caplog) if event["event"] == "mfa_reset"]
    assert events == [
        {
            "actor": "cli",
            "event": "mfa_reset",
            "time": events[0]["time"],
            "user_id": 1,
            "user_name": "alice",
            "was_on": True,
        }
    ]
    # The pending login ended with it; a new login needs only the password.
    assert auth.post("/api/auth/mfa/verify", data={"code": "123456"}).status_code == 401
    assert auth.login().status_code == 200


def test_mfa_reset_of_a_user_without_one_changes_nothing(app, runner, user):
    result = runner.invoke(args=["mfa-reset", "alice"])
    assert result.exit_code == 0
    assert result.output == "alice had no second factor: nothing changed.\n"


def test_mfa_reset_of_an_unknown_user_fails_as_the_users_commands_do(runner):
    result = runner.invoke(args=["mfa-reset", "nobody"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {messages.CLI_USER_UNKNOWN.format(login='nobody')}\n"
    assert result.stdout == ""


def test_rotate_mfa_key_reseals_under_the_newest_key(database_url):
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    app = make_app(database_url, MFA_KEY=old)
    secret = turn_on_totp(app, add_user(app, confirmed=True)).secret
    rotating = make_app(database_url, MFA_KEY=f"{new},{old}")
    result = rotating.test_cli_runner().invoke(args=["rotate-mfa-key"])
    assert result.exit_code == 0
    assert result.output == "Resealed 1 TOTP secret(s) and 1 key(s) under the newest key.\n"
    rotated = make_app(database_url, MFA_KEY=new)
    with rotated.app_context():
        from app.mfa import encryption

        assert encryption.unseal(db.session.scalar(select(TotpCredential.secret))) == secret
    alice = AuthActions(rotated.test_client())
    assert alice.login(password=PASSWORD).status_code == 202
    response = alice.post("/api/auth/mfa/verify", data={"code": totp_code(secret, 1)})
    assert response.status_code == 200


def test_rotating_without_the_old_key_listed_says_so_and_changes_nothing(database_url):
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    app = make_app(database_url, MFA_KEY=old)
    turn_on_totp(app, add_user(app, confirmed=True))
    with app.app_context():
        before = db.session.scalar(select(TotpCredential.secret))
    result = make_app(database_url, MFA_KEY=new).test_cli_runner().invoke(args=["rotate-mfa-key"])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {messages.CLI_SEALED_UNDER_NO_KEY}\n"
    with app.app_context():
        assert db.session.scalar(select(TotpCredential.secret)) == before


def test_a_secret_under_a_key_no_longer_listed_refuses_codes_not_500(database_url, caplog):
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    first = make_app(database_url, MFA_KEY=old)
    secret = turn_on_totp(first, add_user(first, confirmed=True)).secret
    alice = AuthActions(make_app(database_url, MFA_KEY=new).test_client())
    assert alice.login().status_code == 202
    response = alice.post("/api/auth/mfa/verify", data={"code": totp_code(secret, 1)})
    assert response.status_code == 401
    assert "opens under no key of MFA_KEY" in caplog.text


def rotate(database_url, mfa_key, **config):
    """``manage.py rotate-mfa-key`` on an app with ``MFA_KEY`` set so; its output."""
    app = make_app(database_url, MFA_KEY=mfa_key, **config)
    result = app.test_cli_runner().invoke(args=["rotate-mfa-key"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_documented_rotation_keeps_totp_and_every_recovery_code(database_url):
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    app = make_app(database_url, MFA_KEY=old)
    on = turn_on_totp(app, add_user(app, confirmed=True))
    secret, codes = on.secret, on.recovery_codes
    rotate(database_url, f"{new},{old}")
    alice = AuthActions(make_app(database_url, MFA_KEY=new).test_client())
    assert alice.login().status_code == 202
    assert alice.post(VERIFY, data={"recovery_code": codes[0]}).status_code == 200
    alice.logout()
    assert alice.login().status_code == 202
    assert alice.post(VERIFY, data={"code": totp_code(secret, 1)}).status_code == 200


def second_step(app, user_name, **proof):
    """Log ``user_name`` in on ``app`` with the password, then ``proof``; the last status."""
    auth = AuthActions(app.test_client())
    assert auth.login(user_name).status_code == 202
    return auth.post(VERIFY, data=proof).status_code


def test_a_new_secret_key_with_the_old_one_as_fallback_keeps_every_totp_user_in(database_url):
    """Without MFA_KEY: a new SECRET_KEY, the old one in SECRET_KEY_FALLBACKS, rotate, and
    then the old key may go. Each user proves once with TOTP and once with a recovery code,
    since a TOTP code is good once per step."""
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    first = make_app(database_url, SECRET_KEY=old)
    alice, bobby = (
        turn_on_totp(first, add_user(first, name, confirmed=True)) for name in ("alice", "bobby")
    )
    both = {"SECRET_KEY": new, "SECRET_KEY_FALLBACKS": [old]}
    falling_back = make_app(database_url, **both)
    assert second_step(falling_back, "alice", code=totp_code(alice.secret, 1)) == 200
    assert second_step(falling_back, "bobby", recovery_code=bobby.recovery_codes[0]) == 200
    rotate(database_url, None, **both)
    rotated = make_app(database_url, SECRET_KEY=new)
    assert second_step(rotated, "bobby", code=totp_code(bobby.secret, 1)) == 200
    assert second_step(rotated, "alice", recovery_code=alice.recovery_codes[0]) == 200
