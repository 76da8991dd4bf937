"""Deleting an account: the user and every row that names them, in one transaction, with a
goodbye notice queued in it.

What goes: the user, their sessions and pending logins, the tokens of their links, their
outbox messages (sent or not), their TOTP secret, recovery codes and passkeys, and the
passkey challenges of their sessions and pending logins. The goodbye (to a confirmed address
only, like every notice: ``app.accounts.mailings``) is queued for no account, so that the
outbox forgets the address once it is sent (``app.mail.outbox``). An owner's
own deletion (``delete_own``) needs their password too, and ends their cookie.
"""

from sqlalchemy import delete, select

from app.accounts import mailings
from app.accounts.reauthentication import identity_proved
from app.accounts.tokens import AccountToken
from app.admin import guard
from app.common import messages
from app.common.refusals import FieldErrors, Refusal, conflict
from app.extensions import db
from app.mail.outbox import OutboxMessage
from app.mfa.models import PendingLogin, RecoveryCode, TotpCredential
from app.passkeys import challenges
from app.passkeys.models import Passkey, PasskeyChallenge
from app.personal_tokens.models import PersonalToken
from app.security.events import ACCOUNT_DELETED, REAUTHENTICATION_FAILED, security_event
from app.sessions import cookie
from app.sessions.models import AuthSession
from app.users.models import User

# The rows of a user, by their ``user_id``, deleted before the user's own row.
OWNED = (
    AuthSession,
    PendingLogin,
    AccountToken,
    OutboxMessage,
    TotpCredential,
    RecoveryCode,
    Passkey,
    PersonalToken,
)


def _challenge_owners(user_id) -> list[str]:
    """The owners of the passkey challenges that the user's sessions and waits may hold."""
    sessions = db.session.scalars(
        select(AuthSession.public_id).where(AuthSession.user_id == user_id)
    )
    waits = db.session.scalars(
        select(PendingLogin.token_hash).where(PendingLogin.user_id == user_id)
    )
    return [challenges.session_owner(public_id) for public_id in sessions] + [
        challenges.pending_owner(token_hash) for token_hash in waits
    ]


def delete_account(user) -> bool:
    """Delete ``user`` (an ORM ``User``) and everything that names them, and queue the goodbye,
    in one committed transaction; False, with nothing changed, for the last active admin."""
    user_id = user.id
    guard.lock_admins()
    owners = _challenge_owners(user_id)
    if owners:
        db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.owner.in_(owners)))
    for model in OWNED:
        db.session.execute(delete(model).where(model.user_id == user_id))
    deleted = db.session.execute(
        delete(User)
        .where(User.id == user_id, guard.keeps_an_admin(user_id))
        .execution_options(synchronize_session=False)
    )
    if deleted.rowcount != 1:
        db.session.rollback()
        return False
    db.session.expunge(user)
    mailings.send_goodbye(user)
    db.session.commit()
    return True


def delete_own(user, password=None) -> str:
    """Delete the session's own ``user`` once ``password`` proves it is them (an account with
    no password, passkeys only, needs none), and end the cookie: the new CSRF token."""
    if user._password:
        if not password:
            raise FieldErrors({"password": [messages.FIELD_REQUIRED]})
        # End the reads: the password is checked next.
        db.session.commit()
        # Counted like a login, for both names: a stolen cookie cannot guess its way through.
        if not identity_proved(user, password):
            security_event(REAUTHENTICATION_FAILED, user=user)
            raise Refusal(403, messages.WRONG_CURRENT_PASSWORD)
    user_id = user.id
    if not delete_account(user):
        raise conflict(messages.LAST_ADMIN)
    change = cookie.end()
    db.session.commit()
    token = change.hand_over()
    # Nothing personal outlives the account, not even in the log: the id alone.
    security_event(ACCOUNT_DELETED, user_id=user_id)
    return token
