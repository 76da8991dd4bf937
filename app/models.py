"""Every model, in one namespace for ``manage.py shell`` (``models.User``) and migrations."""

from app.accounts.tokens import AccountToken
from app.mail.outbox import OutboxMessage
from app.mfa.models import PendingLogin, RecoveryCode, SealedKey, TotpCredential
from app.passkeys.models import Passkey, PasskeyChallenge
from app.personal_tokens.models import PersonalToken
from app.sessions.models import AuthSession
from app.users.models import User

__all__ = [
    "AccountToken",
    "AuthSession",
    "OutboxMessage",
    "Passkey",
    "PasskeyChallenge",
    "PendingLogin",
    "PersonalToken",
    "RecoveryCode",
    "SealedKey",
    "TotpCredential",
    "User",
]
