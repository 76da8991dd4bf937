"""The second factor's keys, derived from ``MFA_KEY`` (or, without it, from ``SECRET_KEY`` and
``SECRET_KEY_FALLBACKS``): they seal TOTP secrets and the app's own keys (Fernet: AES-128-CBC
with HMAC-SHA256), and gave the recovery codes' first keys (``app.mfa.sealed_keys``).

Each setting may list several keys, newest first: what is sealed under any of them opens, new
secrets are sealed under the first, and ``manage.py rotate-mfa-key`` reseals the old ones.

cryptography is imported by the functions that use it: its bindings cost a worker
megabytes that a worker serving no second factor never needs.
"""

import base64

from flask import current_app

from app.secret_key import key_list

SEAL = b"flask-auth totp secret"
CODE_HASH = b"flask-auth recovery code"


class InvalidToken(Exception):
    """No configured key opens the sealed secret."""


def sources() -> list[str]:
    """The keys everything here is derived from, newest first: ``MFA_KEY``'s, or else
    ``SECRET_KEY`` then its fallbacks, so that a new ``SECRET_KEY`` with the old one among
    the fallbacks still opens every secret sealed before."""
    config = current_app.config
    return key_list(config["MFA_KEY"]) or [
        config["SECRET_KEY"],
        *key_list(config.get("SECRET_KEY_FALLBACKS")),
    ]


def _derive(key: str, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        key.encode("utf-8")
    )


def derived_keys(purpose: bytes) -> list[bytes]:
    """The derived keys of ``purpose``, one per source, newest first; built once per app and
    configuration."""
    keys = sources()
    cache = current_app.extensions.setdefault("mfa_keys", {})
    cache_key = (purpose, tuple(keys))
    if cache_key not in cache:
        cache[cache_key] = [_derive(source, purpose) for source in keys]
    return cache[cache_key]


def _fernet():
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in derived_keys(SEAL)])


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
    """``sealed`` sealed again under the newest key; ``InvalidToken`` when no configured key
    opens it."""
    from cryptography.fernet import InvalidToken as Unopened

    try:
        return _fernet().rotate(sealed.encode("ascii")).decode("ascii")
    except Unopened as exc:
        raise InvalidToken from exc
