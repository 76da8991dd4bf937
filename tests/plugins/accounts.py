"""Accounts made straight in the database: the ``add_user`` factory and the fixtures on it.

A test of what an account does, rather than of how one is made, starts from these instead of
a signup over HTTP, which costs a page, a strength check and a mail (tests of signup still
sign up). As django-allauth's ``user_factory`` and flaskr's ``data.sql``: one row, its hash
made once per run for each password and set of argon2id parameters.

- ``user``: alice, her address not confirmed yet (as signup leaves it), logged out;
- ``logged_in_client``: the test's ``client`` logged in as ``user`` through the API (``auth``
  holds the CSRF token for it);
- ``user_with_totp``: alice, confirmed, with TOTP on and ten recovery codes, logged out;
- ``user_with_passkey``: alice, confirmed, with a passkey on ``authenticator`` (added through
  the API, as a browser would), logged out;
- ``add_token``: a personal access token for an account, straight in the database.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pyotp
import pytest

from app.common.time import utcnow
from app.extensions import db
from app.mfa import encryption, recovery_codes
from app.mfa.models import TotpCredential
from app.personal_tokens import store as token_store
from app.users import constants
from app.users.models import User
from app.users.passwords import passwords
from tests.helpers import PASSWORD, SIGNUP_FIELDS
from tests.plugins.authenticator import SoftAuthenticator

ARGON2_KEYS = ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM")
PASSKEY_BEGIN = "/api/auth/passkeys/register/begin"
PASSKEY_FINISH = "/api/auth/passkeys/register/finish"


@dataclass(frozen=True)
class Account:
    """What a test needs to know of an account it made."""

    id: int
    user_name: str
    email: str
    password: str = PASSWORD


@dataclass(frozen=True)
class TotpAccount(Account):
    secret: str = ""
    recovery_codes: list = field(default_factory=list)


# Hashes made so far: {(password, argon2id parameters): hash}.
_hashes = {}


def _hash(app, password):
    key = (password, tuple(app.config[name] for name in ARGON2_KEYS))
    if key not in _hashes:
        _hashes[key] = passwords.hash(password)
    return _hashes[key]


def add_user(
    app,
    user_name="alice",
    *,
    email=None,
    password=PASSWORD,
    confirmed=False,
    role="user",
    active=True,
    first_name=SIGNUP_FIELDS["first_name"],
    last_name=SIGNUP_FIELDS["last_name"],
):
    """Write the account ``user_name`` (``<user_name>@example.com`` unless ``email`` is
    given; Alice Liddell unless named otherwise) straight into the app's database; its
    ``Account``."""
    with app.app_context():
        user = User(
            user_name=user_name,
            email=email or f"{user_name.lower()}@example.com",
            first_name=first_name,
            last_name=last_name,
            role_code=constants.ROLE_BY_NAME[role],
            email_confirmed_at=utcnow() if confirmed else None,
            is_active=active,
        )
        user._password = _hash(app, password)
        db.session.add(user)
        db.session.commit()
        return Account(user.id, user.user_name, user.email, password)


def turn_on_totp(app, account):
    """TOTP on for ``account``, as its first code would confirm it, with ten recovery codes;
    a ``TotpAccount``."""
    secret = pyotp.random_base32()
    with app.app_context():
        db.session.add(
            TotpCredential(
                user_id=account.id, secret=encryption.seal(secret), confirmed_at=utcnow()
            )
        )
        codes = recovery_codes.replace_all(account.id)
        db.session.commit()
    return TotpAccount(**vars(account), secret=secret, recovery_codes=codes)


def add_token(app, account, scopes=("account:read",), days=30, name="script"):
    """A personal access token of ``account`` with ``scopes``, for ``days`` (None: no
    expiry), written straight into the database as ``POST /api/auth/tokens`` would; the
    token."""
    with app.app_context():
        user = db.session.get(User, account.id)
        expires_at = None if days is None else utcnow() + timedelta(days=days)
        _record, token = token_store.add(
            user, name, list(scopes), expires_at, user.credential_version
        )
        db.session.commit()
        return token


def bearer(token) -> dict:
    """The headers of a request made with ``token``."""
    return {"Authorization": f"Bearer {token}"}


def log_in(auth, account):
    """Log ``auth``'s client in as ``account`` through the API."""
    response = auth.login(account.user_name, account.password)
    assert response.status_code == 200, response.get_json()
    return response


def add_passkey(auth, authenticator, name="Laptop"):
    """Add a passkey on ``authenticator`` to the logged-in account, through the API."""
    options = auth.post(PASSKEY_BEGIN).get_json()["data"]
    response = auth.post(
        PASSKEY_FINISH, json={"credential": authenticator.create(options), "name": name}
    )
    assert response.status_code == 201, response.get_json()
    return response


@pytest.fixture
def user(app):
    return add_user(app)


@pytest.fixture
def logged_in_client(client, auth, user):
    log_in(auth, user)
    return client


@pytest.fixture
def user_with_totp(app):
    return turn_on_totp(app, add_user(app, confirmed=True))


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


@pytest.fixture
def user_with_passkey(app, auth, authenticator):
    account = add_user(app, confirmed=True)
    log_in(auth, account)
    add_passkey(auth, authenticator)
    assert auth.logout().status_code == 200
    return account
