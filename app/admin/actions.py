"""What an operator does to an account, from the CLI or the admin API: disable, enable, set
the role, end every session, clear the failed-login count, turn the second factor off, delete.

Each takes the target (an ORM ``User``) and the ``actor``: the admin's user, or None for the
CLI. Each is a flow: it commits once, logs one security event naming both, and raises a
``Refusal`` (409), with nothing committed, where it would leave no active admin.
"""

from sqlalchemy import update

from app.accounts.deletion import delete_account
from app.admin import guard
from app.common import messages
from app.common.refusals import conflict
from app.extensions import db
from app.mfa import flows as mfa
from app.mfa import pending
from app.personal_tokens import flows as personal_tokens
from app.security import throttle
from app.security.events import (
    ACCOUNT_DELETED,
    ACCOUNT_DISABLED,
    ACCOUNT_ENABLED,
    ACCOUNT_UNLOCKED,
    MFA_RESET,
    ROLE_CHANGED,
    SESSIONS_ENDED,
    security_event,
)
from app.sessions import store
from app.users import constants
from app.users.models import User

CLI = "cli"


def actor_of(actor) -> dict:
    """How an event names who acted: the admin's id and user name, or the CLI."""
    if actor is None:
        return {"actor": CLI}
    return {"actor": actor.user_name, "actor_id": actor.id}


def _guarded_update(target, values) -> None:
    """Write ``values`` to ``target``'s row while an active admin remains; a 409 if not."""
    guard.lock_admins()
    statement = (
        update(User)
        .where(User.id == target.id, guard.keeps_an_admin(target.id))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(statement).rowcount != 1:
        raise conflict(messages.LAST_ADMIN)


def _end_every_way_in(target):
    """End every session, pending login and personal access token of ``target``."""
    store.end_all(target)
    pending.end_all(target.id)
    personal_tokens.end_all(target)


def disable(target, actor=None) -> None:
    """Disable ``target``: no login from now on, and every session, pending login and token
    ends.

    The credential version moves on too, so that a login that checked the password before the
    disable cannot start a session after it.
    """
    _guarded_update(
        target, {User.is_active: False, User.credential_version: User.credential_version + 1}
    )
    _end_every_way_in(target)
    db.session.commit()
    db.session.refresh(target)
    security_event(ACCOUNT_DISABLED, user=target, **actor_of(actor))


def enable(target, actor=None) -> None:
    """Let ``target`` log in again."""
    target.is_active = True
    db.session.commit()
    security_event(ACCOUNT_ENABLED, user=target, **actor_of(actor))


def set_role(target, role_code, actor=None) -> None:
    """Give ``target`` the role ``role_code``; its sessions read it on their next request."""
    old = target.role
    if role_code == constants.ADMIN:
        target.role_code = role_code
    else:
        _guarded_update(target, {User.role_code: role_code})
    db.session.commit()
    db.session.refresh(target)
    security_event(ROLE_CHANGED, user=target, old_role=old, role=target.role, **actor_of(actor))


def log_out(target, actor=None) -> None:
    """End every session, pending login and personal access token of ``target``."""
    _end_every_way_in(target)
    db.session.commit()
    security_event(SESSIONS_ENDED, user=target, **actor_of(actor))


def unlock(target, actor=None) -> None:
    """Forget the failed logins counted against both names of ``target``, and its codes."""
    throttle.unlock_account(target)
    security_event(ACCOUNT_UNLOCKED, user=target, **actor_of(actor))


def reset_mfa(target, actor=None) -> bool:
    """Turn off every second factor of ``target``, who lost the device; False when there was
    none (and nothing changed)."""
    was_on = mfa.reset(target)
    security_event(MFA_RESET, user=target, was_on=was_on, **actor_of(actor))
    return was_on


def delete(target, actor=None) -> None:
    """Delete ``target`` and everything that names it; the event keeps only its id."""
    user_id = target.id
    if not delete_account(target):
        raise conflict(messages.LAST_ADMIN)
    security_event(ACCOUNT_DELETED, target_id=user_id, **actor_of(actor))
