"""The second factor's keys, derived from ``MFA_KEY`` (or ``SECRET_KEY``): one seals TOTP
secrets (Fernet: AES-128-CBC with HMAC-SHA256), one keys the recovery codes' hashes.

``MFA_KEY`` may list several keys, newest first: secrets sealed under any of them open, new
ones are sealed under the first, and ``manage.py rotate-mfa-key`` reseals the old ones.

cryptography is imported by the functions that use it: its bindings cost a worker
megabytes that a worker serving no second factor never needs.
"""

import base64
import hashlib
import hmac

from flask import current_app

from app.secret_key import mfa_keys

SEAL = b"flask-auth totp secret"
CODE_HASH = b"flask-auth recovery code"


class InvalidToken(Exception):
    """No configured key opens the sealed secret."""


def _derive(key: str, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        key.encode("utf-8")
    )


def _keys(purpose: bytes) -> list[bytes]:
    """The derived keys of ``purpose``, newest first; built once per app and configuration."""
    config = current_app.config
    sources = mfa_keys(config["MFA_KEY"]) or [config["SECRET_KEY"]]
    cache = current_app.extensions.setdefault("mfa_keys", {})
    cache_key = (purpose, tuple(sources))
    if cache_key not in cache:
        cache[cache_key] = [_derive(source, purpose) for source in sources]
    return cache[cache_key]


def _fernet():
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in _keys(SEAL)])


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def unseal(sealed: str) -> str:
    """The secret of ``sealed``; ``InvalidToken`` when no configured key opens it."""
    from cryptography.fernet import InvalidToken as Unopened

    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode("ascii")
    except Unopened as exc:
        raise InvalidToken from exc


def reseal(sealed: str) -> str:
    """``sealed`` sealed again under the newest key."""
    return _fernet().rotate(sealed.encode("ascii")).decode("ascii")


def code_hashes(code: str) -> list[str]:
    """The keyed hashes of a recovery code, one per key, the newest (the stored form) first.

    A code has about 50 bits: with a plain hash, a copy of the database could be searched
    through offline. Keyed, the database alone is not enough.
    """
    data = code.encode("ascii")
    return [hmac.new(key, data, hashlib.sha256).hexdigest() for key in _keys(CODE_HASH)]
