"""Every change to the second factor logs its event and sends a notice to the account; none
is made before the account's address is confirmed."""

import json
import logging

from app.accounts.mailings import MFA_CHANGES
from app.log import SECURITY_LOGGER
from app.mail.compose import SUBJECTS
from app.mfa.models import RecoveryCode, TotpCredential
from app.passkeys.models import Passkey
from app.security import events
from tests.api.test_passkeys import BEGIN, FINISH, assert_refused, sign_in
from tests.helpers import (
    PASSWORD,
    AuthActions,
    assert_confirm_email_first,
    count_rows,
    totp_code,
)
from tests.plugins.accounts import add_user, log_in
from tests.plugins.authenticator import SoftAuthenticator
from tests.plugins.mail import text_of, token_of


def test_each_change_logs_an_event_and_mails_a_notice(mail_app, mailbox, caplog):
    """TOTP is set up through the API: its event and its notice are among those tested."""
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    alice = AuthActions(mail_app.test_client())
    log_in(alice, add_user(mail_app, confirmed=True))
    secret = alice.post("/api/auth/mfa/totp/setup").get_json()["data"]["secret"]
    response = alice.post("/api/auth/mfa/totp/confirm", data={"code": totp_code(secret)})
    codes = response.get_json()["data"]["recovery_codes"]
    alice.logout()
    assert alice.login().status_code == 202
    assert alice.post("/api/auth/mfa/verify", data={"recovery_code": codes[0]}).status_code == 200
    assert alice.post("/api/auth/mfa/recovery_codes").status_code == 200
    assert alice.post("/api/auth/mfa/totp/disable", data={"password": PASSWORD}).status_code == 200

    # Nothing was sent in between: the first notice took in the three changes after it.
    (notice,) = [m for m in mailbox.deliver() if m["Subject"] == SUBJECTS["mfa_changed"]]
    changes = [
        events.TOTP_ENABLED,
        events.RECOVERY_CODE_USED,
        events.RECOVERY_CODES_RENEWED,
        events.TOTP_DISABLED,
    ]
    assert notice["To"] == "alice@example.com"
    text = text_of(notice).replace("\r\n", "\n")
    assert "These 4 things happened" in text
    told = [text.index(MFA_CHANGES[change]) for change in changes]
    assert told == sorted(told)
    assert f"{MFA_CHANGES[events.RECOVERY_CODE_USED]}.\nRecovery codes left: 9" in text
    logged = [json.loads(r.getMessage())["event"] for r in caplog.records]
    for event in [events.TOTP_SETUP_STARTED, events.MFA_REQUIRED, *changes]:
        assert logged.count(event) == 1, event
    assert not any(secret in r.getMessage() or codes[0] in r.getMessage() for r in caplog.records)


def test_an_account_signed_up_with_anothers_address_gets_no_factor_to_leave_behind(
    mail_app, mailbox
):
    """Account pre-hijacking: an attacker signs up with the victim's address, which stays
    unconfirmed, and tries to add TOTP and a passkey for later. Both are refused, so the
    victim's reset (which confirms the address) takes over an account with no factor of theirs."""
    attacker = AuthActions(mail_app.test_client())
    assert attacker.signup(email="victim@example.com").status_code == 201
    assert_confirm_email_first(attacker.post("/api/auth/mfa/totp/setup"))
    key = SoftAuthenticator()
    assert_confirm_email_first(attacker.post(BEGIN))
    # An answer made for options the attacker could not get: refused the same way.
    options = {"rp": {"id": "localhost"}, "user": {"id": "aGFuZGxl"}, "challenge": "Y2hhbGxlbmdl"}
    assert_confirm_email_first(attacker.post(FINISH, json={"credential": key.create(options)}))

    victim = AuthActions(mail_app.test_client())
    mailbox.deliver()
    ask = victim.post("/api/auth/reset_password/request", json={"email": "victim@example.com"})
    assert ask.status_code == 202
    (message,) = [m for m in mailbox.deliver() if m["Subject"] == SUBJECTS["reset_password"]]
    new_password = "Tulip-Orbit-Canyon-71"
    body = {"token": token_of(message), "password": new_password, "confirm": new_password}
    assert victim.post("/api/auth/reset_password", json=body).status_code == 200

    assert victim.login(password=new_password).status_code == 200
    assert victim._client.get("/api/auth/mfa").get_json()["data"]["methods"] == []
    for model in (TotpCredential, RecoveryCode, Passkey):
        assert count_rows(mail_app, model) == 0
    assert attacker._client.get("/api/auth/verify_auth").status_code == 401
    assert_refused(sign_in(AuthActions(mail_app.test_client()), key))
