"""What a user does with their tokens: make one, list them, revoke one; and what ends them
all (``end_all``, in the transaction of a password change, a reset, a disable, an
operator's logout)."""

from datetime import timedelta

from flask import current_app

from app.accounts import mailings
from app.common import messages
from app.common.refusals import Refusal, conflict
from app.common.time import utcnow
from app.extensions import db
from app.personal_tokens import store
from app.security.events import TOKEN_CREATED, TOKEN_REVOKED, TOKENS_ENDED, security_event


def create(user, credential_version, name, scopes, days) -> tuple[dict, str]:
    """Make a token for ``user`` (an ORM ``User``, whose session holds
    ``credential_version``) named ``name``, with ``scopes``, for ``days`` (None: no
    expiry); ``(its public view, the token)``, the token to show this once. A notice tells
    the owner."""
    if store.count_live(user.id, credential_version) >= int(
        current_app.config["TOKEN_MAX_PER_ACCOUNT"]
    ):
        raise conflict(messages.TOKEN_LIMIT_REACHED)
    expires_at = None if days is None else utcnow() + timedelta(days=days)
    record, token = store.add(user, name, scopes, expires_at, credential_version)
    mailings.send_token_notice(user, name, scopes)
    db.session.commit()
    security_event(TOKEN_CREATED, user=user, token=record.public_id, scopes=record.scopes)
    return record.to_json(), token


def listed(user, credential_version) -> list[dict]:
    """The user's live tokens, newest first."""
    return store.listed(user.id, credential_version)


def revoke(user, public_id) -> None:
    """Revoke the user's token ``public_id``; a 404 when they have no such token."""
    record = store.revoke(user.id, public_id)
    if record is None:
        raise Refusal(404, messages.TOKEN_NOT_FOUND)
    db.session.commit()
    security_event(TOKEN_REVOKED, user=user, token=record.public_id)


def end_all(user) -> int:
    """Delete every token of ``user``, in the caller's transaction; how many went."""
    return store.end_all(user.id)


def revoke_all(user, actor=None) -> int:
    """Revoke every token of ``user`` (the operator's command); how many went."""
    count = end_all(user)
    db.session.commit()
    security_event(TOKENS_ENDED, user=user, count=count, actor=actor or "cli")
    return count
