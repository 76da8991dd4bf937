"""Recovery codes: 10 per user, about 50 bits each, single-use, stored as keyed hashes.

A code has about 50 bits: with a plain hash, a copy of the database could be searched through
offline. Keyed (HMAC-SHA256), the database alone is not enough. The keys are the app's own,
kept sealed in the database (``app.mfa.sealed_keys``), not derived from ``MFA_KEY`` at each
use: a rotation of ``MFA_KEY`` then leaves every code working.
"""

import hashlib
import hmac
import logging
import secrets

from sqlalchemy import delete, func, select, update

from app.common.time import utcnow
from app.extensions import db
from app.mfa import encryption, sealed_keys
from app.mfa.models import RecoveryCode

logger = logging.getLogger(__name__)

COUNT = 10
# Crockford's base32: no I, L, O or U to misread. 10 characters carry 50 bits.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
LENGTH = 10
# What people type for the letters that are left out.
READ_AS = str.maketrans({"i": "1", "l": "1", "o": "0"})
MAX_INPUT_LEN = 64


# The row of the codes' keys in ``sealed_key``.
KEY_PURPOSE = "recovery_codes"


def keys() -> list[bytes]:
    """The codes' HMAC keys, newest first, in the caller's transaction. Made on first need
    from the keys that codes were hashed under before the keys were kept (derived from
    ``MFA_KEY``, or ``SECRET_KEY`` and its fallbacks), so that every such code still works."""
    return sealed_keys.keys(KEY_PURPOSE, lambda: encryption.derived_keys(encryption.CODE_HASH))


def _hash(key: bytes, code: str) -> str:
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()


def code_hashes(code: str) -> list[str]:
    """The keyed hashes of a code as stored, one per key, the newest (the stored form) first."""
    return [_hash(key, code) for key in keys()]


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """A code as the user sees it: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def normalise(value: str) -> str | None:
    """A code as typed (any case, with dashes or spaces), as stored; None if it cannot be one."""
    code = "".join(value.lower().split()).replace("-", "").translate(READ_AS)
    if len(code) != LENGTH or any(character not in ALPHABET for character in code):
        return None
    return code


def replace_all(user_id) -> list[str]:
    """New codes for the user, in the caller's transaction; every old one stops working."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_code() for _ in range(COUNT)]
    newest = keys()[0]
    db.session.add_all(
        RecoveryCode(user_id=user_id, code_hash=_hash(newest, code)) for code in codes
    )
    return [shown(code) for code in codes]


def use(user_id, value: str) -> bool:
    """Use up the user's code ``value``, in the caller's transaction: one conditional
    ``UPDATE``, so a code is good once even for two requests at the same moment."""
    code = normalise(value[:MAX_INPUT_LEN])
    if code is None:
        return False
    try:
        hashes = code_hashes(code)
    except encryption.InvalidToken:
        # The keys were sealed under a key no longer in MFA_KEY: no code can match until the
        # old key is listed again (behind the new one) and ``manage.py rotate-mfa-key`` runs.
        logger.error("The recovery codes' keys open under no key of MFA_KEY")
        return False
    statement = (
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash.in_(hashes),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount == 1


def left(user_id) -> int:
    """How many of the user's codes are unused."""
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )


def remove_all(user_id):
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
