"""Password hashing: argon2id over the NFKC form of the password."""

import unicodedata

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import hash_secret_raw
from flask import current_app
from werkzeug.security import check_password_hash

from app.extensions import db

# Hashes made by the tutorial (Werkzeug's generate_password_hash), e.g. pbkdf2:sha1:1000$salt$hex.
LEGACY_PREFIX = "pbkdf2:"
# A fixed input for the dummy hash: verifying against it costs the same as a real check.
_DUMMY_PASSWORD = "dummy password used for timing equalisation"
# The padding's output is thrown away: any fixed salt of argon2's usual 16 bytes will do.
_PADDING_SALT = b"padding run salt"


def normalize(password: str) -> str:
    """Return the form of ``password`` that is hashed and counted (NFKC)."""
    return unicodedata.normalize("NFKC", password)


class _AppHasher:
    """One app's argon2id hasher, a dummy hash made with the same parameters, and padding.

    A verification costs about memory x passes. A hash made before the parameters were raised
    costs less to check than the dummy hash of an unknown login, which would tell a dormant
    account from no account. So such a check is followed by a padding run of argon2 that costs
    the difference. The padding is computed, not verified against a stored dummy hash: running
    argon2 costs the same either way, and a computed run needs nothing built for each older
    parameter set, so the first login that meets one costs what every later one does. The
    dummy hash of unknown logins is made here, when the app starts.
    """

    def __init__(self, config):
        self.hasher = Argon2Hasher(
            time_cost=config["ARGON2_TIME_COST"],
            memory_cost=config["ARGON2_MEMORY_COST"],
            parallelism=config["ARGON2_PARALLELISM"],
            type=Type.ID,
        )
        self.dummy_hash = self.hasher.hash(_DUMMY_PASSWORD)

    def padding_for(self, stored_hash: str) -> tuple[int, int] | None:
        """The passes and memory of the argon2 run that tops a check of ``stored_hash`` up to
        the current cost, or None when it needs none."""
        try:
            stored = extract_parameters(stored_hash)
        except InvalidHashError:
            return None
        current = self.hasher
        missing = current.memory_cost * current.time_cost - stored.memory_cost * stored.time_cost
        memory_cost = missing // current.time_cost
        # Under a twentieth of the cost, the extra run would overshoot more than it makes up.
        if missing * 20 < current.memory_cost * current.time_cost or memory_cost < 8 * (
            current.parallelism
        ):
            return None
        return current.time_cost, memory_cost

    def pad(self, padding: tuple[int, int], password: str) -> None:
        """Spend what checking a hash made with ``padding``'s passes and memory would."""
        time_cost, memory_cost = padding
        hash_secret_raw(
            password.encode(),
            _PADDING_SALT,
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=self.hasher.parallelism,
            hash_len=self.hasher.hash_len,
            type=Type.ID,
        )


class HashInTransaction(RuntimeError):
    """A hash or check was asked for while the database session had a transaction open."""


class PasswordHasher:
    """The extension: hashes and checks with the current app's argon2id parameters.

    It touches no database. argon2 takes tens of milliseconds of CPU, and no lock or pooled
    connection may be held meanwhile (SQLite's writers would queue behind it), so every hash and
    check refuses to start inside an open transaction (``_hasher``, the only way to the hasher):
    the flow ends its transaction first, where a reader sees it.
    """

    def init_app(self, app):
        app.extensions["passwords"] = _AppHasher(app.config)

    @staticmethod
    def _hasher() -> _AppHasher:
        if db.session().in_transaction():
            raise HashInTransaction("end the transaction before hashing a password")
        return current_app.extensions["passwords"]

    def hash(self, password: str) -> str:
        """Hash a password with the configured argon2id parameters."""
        return self._hasher().hasher.hash(normalize(password))

    def verify(self, stored_hash: str, password: str) -> bool:
        """Check ``password`` against ``stored_hash``; a malformed hash is a mismatch."""
        state = self._hasher()
        if stored_hash.startswith(LEGACY_PREFIX):
            return self._verify_legacy(state, stored_hash, password)
        ok = self._check(state, stored_hash, password)
        padding = state.padding_for(stored_hash)
        if padding is not None:
            state.pad(padding, normalize(password))
        return ok

    def dummy_verify(self, password: str) -> bool:
        """Spend the time of one verification, for logins that match no account."""
        state = self._hasher()
        self._check(state, state.dummy_hash, password)
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when ``stored_hash`` was made with other parameters than the current ones."""
        try:
            return current_app.extensions["passwords"].hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    @staticmethod
    def _check(state, stored_hash: str, password: str) -> bool:
        try:
            return state.hasher.verify(stored_hash, normalize(password))
        except (VerificationError, InvalidHashError):
            return False

    def _verify_legacy(self, state, stored_hash: str, password: str) -> bool:
        # The tutorial hashed the password as typed: no NFKC here. The hash is fast, so an
        # argon2 verification runs beside it and a legacy account answers no faster than others.
        try:
            ok = check_password_hash(stored_hash, password)
        except ValueError:
            # An unknown digest or a bad iteration count: a malformed hash, so a mismatch.
            ok = False
        self._check(state, state.dummy_hash, password)
        return ok


passwords = PasswordHasher()
