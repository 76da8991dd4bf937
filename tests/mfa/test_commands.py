"""The operator's second-factor commands: mfa-reset and rotate-mfa-key."""

import json
import logging
import secrets

from sqlalchemy import select

from app.extensions import db
from app.log import SECURITY_LOGGER
from app.mfa.models import TotpCredential
from tests.helpers import PASSWORD, AuthActions, confirm_email, count_rows, steady_step, totp_code
from tests.plugins.databases import make_app


def alice_with_totp(app):
    alice = AuthActions(app.test_client())
    assert alice.signup().status_code == 201
    confirm_email(app)
    steady_step()
    secret = alice.post("/api/auth/mfa/totp/setup").get_json()["data"]["secret"]
    assert (
        alice.post("/api/auth/mfa/totp/confirm", data={"code": totp_code(secret)}).status_code
        == 200
    )
    alice.logout()
    return alice, secret


def security_events(caplog):
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == SECURITY_LOGGER]


def test_mfa_reset_turns_the_second_factor_off(app, runner, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    alice, _secret = alice_with_totp(app)
    assert alice.login().status_code == 202
    result = runner.invoke(args=["mfa-reset", "ALICE@example.com"])
    assert result.exit_code == 0
    assert result.output == "Turned off two-factor authentication for alice.\n"
    assert count_rows(app, TotpCredential) == 0
    events = [event for event in security_events(caplog) if event["event"] == "mfa_reset"]
    assert events == [
        {
            "actor": "operator",
            "event": "mfa_reset",
            "time": events[0]["time"],
            "user_id": 1,
            "user_name": "alice",
            "was_on": True,
        }
    ]
    # The waiting login ended with it; a new login needs only the password.
    assert alice.post("/api/auth/mfa/verify", data={"code": "123456"}).status_code == 401
    assert alice.login().status_code == 200


def test_mfa_reset_of_a_user_without_one_changes_nothing(app, runner, auth):
    assert auth.signup().status_code == 201
    result = runner.invoke(args=["mfa-reset", "alice"])
    assert result.exit_code == 0
    assert result.output == "alice had no second factor: nothing changed.\n"


def test_mfa_reset_of_an_unknown_user_fails(runner):
    result = runner.invoke(args=["mfa-reset", "nobody"])
    assert result.exit_code == 1
    assert "No user 'nobody'." in result.output


def test_rotate_mfa_key_reseals_under_the_newest_key(database_url):
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    app = make_app(database_url, MFA_KEY=old)
    _alice, secret = alice_with_totp(app)
    rotating = make_app(database_url, MFA_KEY=f"{new},{old}")
    result = rotating.test_cli_runner().invoke(args=["rotate-mfa-key"])
    assert result.exit_code == 0
    assert result.output == "Resealed 1 TOTP secret(s) under the newest key.\n"
    rotated = make_app(database_url, MFA_KEY=new)
    with rotated.app_context():
        from app.mfa import encryption

        assert encryption.unseal(db.session.scalar(select(TotpCredential.secret))) == secret
    alice = AuthActions(rotated.test_client())
    assert alice.login(password=PASSWORD).status_code == 202
    steady_step()
    response = alice.post("/api/auth/mfa/verify", data={"code": totp_code(secret, 1)})
    assert response.status_code == 200


def test_a_secret_under_a_key_no_longer_listed_refuses_codes_not_500(database_url, caplog):
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    _alice, secret = alice_with_totp(make_app(database_url, MFA_KEY=old))
    alice = AuthActions(make_app(database_url, MFA_KEY=new).test_client())
    assert alice.login().status_code == 202
    response = alice.post("/api/auth/mfa/verify", data={"code": totp_code(secret, 1)})
    assert response.status_code == 401
    assert "opens under no key of MFA_KEY" in caplog.text
