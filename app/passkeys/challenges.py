"""Challenges: random, single-use, for one owner and purpose, for ``PASSKEY_CHALLENGE_LIFETIME``.

A challenge lives on the server beside what it belongs to (the session record, the pending
login, or the anonymous browser's cookie nonce), never in the cookie. Taking one deletes it in
the same statement that finds it. Both work in the caller's transaction: the flow that takes a
challenge commits before it checks the answer, so that an answer is checked against it once,
and whatever the verdict, nothing can bring it back.
"""

import secrets

from sqlalchemy import delete

from app.common.base64url import base64url_to_bytes, bytes_to_base64url
from app.common.time import as_utc, utcnow
from app.database import delete_in_batches
from app.extensions import db
from app.passkeys.models import PasskeyChallenge
from app.sessions.store import duration

REGISTER, AUTHENTICATE, SECOND_FACTOR, REAUTHENTICATE = "register", "login", "mfa", "reauth"
CHALLENGE_BYTES = 32


def session_owner(public_id) -> str:
    """The owner name of a session record's challenges."""
    return f"session:{public_id}"


def pending_owner(token_hash) -> str:
    """The owner name of a pending login's challenges."""
    return f"pending:{token_hash}"


def issue(owner, purpose) -> bytes:
    """A new challenge for ``owner`` and ``purpose``, replacing any earlier one."""
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    _discard(owner, purpose)
    db.session.add(
        PasskeyChallenge(owner=owner, purpose=purpose, challenge=bytes_to_base64url(challenge))
    )
    return challenge


def take(owner, purpose) -> bytes | None:
    """The live challenge of ``owner`` for ``purpose``, used up; None when there is none
    (never issued, answered already, or expired). The caller commits before it checks the
    answer."""
    rows = db.session.execute(
        delete(PasskeyChallenge)
        .where(PasskeyChallenge.owner == owner, PasskeyChallenge.purpose == purpose)
        .returning(PasskeyChallenge.challenge, PasskeyChallenge.created_at)
    ).all()
    now = utcnow()
    for challenge, created_at in rows:
        if now - as_utc(created_at) < duration("PASSKEY_CHALLENGE_LIFETIME"):
            return base64url_to_bytes(challenge)
    return None


def _discard(owner, purpose):
    db.session.execute(
        delete(PasskeyChallenge).where(
            PasskeyChallenge.owner == owner, PasskeyChallenge.purpose == purpose
        )
    )


def purge_expired() -> int:
    """Delete every challenge past its lifetime, in batches; how many went."""
    cutoff = utcnow() - duration("PASSKEY_CHALLENGE_LIFETIME")
    return delete_in_batches(PasskeyChallenge, PasskeyChallenge.created_at <= cutoff)
