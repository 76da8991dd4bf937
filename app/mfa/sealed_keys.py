"""Keys the app keeps itself (model ``SealedKey``): one row per purpose, a JSON list of keys,
newest first, sealed under ``MFA_KEY`` like a TOTP secret (``app.mfa.encryption``).

A rotation of ``MFA_KEY`` reseals the row and leaves the keys inside as they are: what they
key (the recovery codes' hashes) keeps working once the old ``MFA_KEY`` is dropped. A row is
made on first need, in the caller's transaction; its keys come from ``initial``, which must
give the same keys in every process, so that a row rolled back and made again, or made by two
workers at once, holds what it would have held.
"""

import base64
import json

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.mfa import encryption
from app.mfa.models import SealedKey

# Per app: each purpose's sealed text and its keys, opened once.
EXTENSION = "sealed_keys"


def _sealed(purpose: str) -> str | None:
    return db.session.scalar(select(SealedKey.sealed).where(SealedKey.purpose == purpose))


def _seal(keys: list[bytes]) -> str:
    listed = [base64.urlsafe_b64encode(key).decode("ascii") for key in keys]
    return encryption.seal(json.dumps(listed))


def _create(purpose: str, keys: list[bytes]) -> None:
    """The row of ``purpose`` holding ``keys``, unless there is one: of two workers making it
    at once, one insert stands and the other does nothing (PostgreSQL waits for the first to
    commit, SQLite takes one writer at a time), and both then read the one that stands."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(SealedKey)
        .values(purpose=purpose, sealed=_seal(keys))
        .on_conflict_do_nothing(index_elements=[SealedKey.purpose])
    )
    db.session.execute(statement)


def _opened(purpose: str, sealed: str) -> list[bytes]:
    """The keys sealed in ``sealed``: unsealed once, then kept while the row holds that text,
    so that a use costs the one ``SELECT`` and no cryptography."""
    kept = current_app.extensions.setdefault(EXTENSION, {})
    if purpose not in kept or kept[purpose][0] != sealed:
        listed = json.loads(encryption.unseal(sealed))
        kept[purpose] = (sealed, [base64.urlsafe_b64decode(key) for key in listed])
    return kept[purpose][1]


def keys(purpose: str, initial) -> list[bytes]:
    """The keys of ``purpose``, newest first, in the caller's transaction; its row is made
    first, holding ``initial()``, if there is none. ``encryption.InvalidToken`` when no key of
    ``MFA_KEY`` opens the row."""
    sealed = _sealed(purpose)
    if sealed is None:
        _create(purpose, initial())
        sealed = _sealed(purpose)
    return _opened(purpose, sealed)


def reseal_all() -> int:
    """Seal every row again under the newest key, in the caller's transaction; how many."""
    rows = db.session.scalars(select(SealedKey)).all()
    for row in rows:
        row.sealed = encryption.reseal(row.sealed)
    return len(rows)
