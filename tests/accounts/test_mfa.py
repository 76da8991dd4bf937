"""Every change to the second factor logs its event and sends a notice to the account."""

import json
import logging

from app.accounts.mailings import MFA_CHANGES
from app.log import SECURITY_LOGGER
from app.mail.compose import SUBJECTS
from app.security import events
from tests.helpers import PASSWORD, AuthActions, steady_step, totp_code
from tests.plugins.mail import confirm_address, text_of


def test_each_change_logs_an_event_and_mails_a_notice(mail_app, mailbox, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY_LOGGER)
    alice = AuthActions(mail_app.test_client())
    assert alice.signup().status_code == 201
    confirm_address(mail_app)
    steady_step()
    secret = alice.post("/api/auth/mfa/totp/setup").get_json()["data"]["secret"]
    response = alice.post("/api/auth/mfa/totp/confirm", data={"code": totp_code(secret, -1)})
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
    assert "4 changes were made" in text
    told = [text.index(MFA_CHANGES[change]) for change in changes]
    assert told == sorted(told)
    assert f"{MFA_CHANGES[events.RECOVERY_CODE_USED]}.\nRecovery codes left: 9" in text
    logged = [json.loads(r.getMessage())["event"] for r in caplog.records]
    for event in [events.TOTP_SETUP_STARTED, events.MFA_REQUIRED, *changes]:
        assert logged.count(event) == 1, event
    assert not any(secret in r.getMessage() or codes[0] in r.getMessage() for r in caplog.records)
