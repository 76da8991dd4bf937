"""Password hashing: argon2id over the NFKC form of the password."""

import unicodedata

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

# A fixed input for the dummy hash: verifying against it costs the same as a real check.
_DUMMY_PASSWORD = "dummy password used for timing equalisation"


def normalize(password: str) -> str:
    """Return the form of ``password`` that is hashed and counted (NFKC)."""
    return unicodedata.normalize("NFKC", password)


class PasswordHasher:
    """An extension holding one argon2id hasher built from the app's config."""

    def __init__(self, app=None):
        self._hasher = None
        self._dummy_hash = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app):
        self._hasher = Argon2Hasher(
            time_cost=app.config["ARGON2_TIME_COST"],
            memory_cost=app.config["ARGON2_MEMORY_COST"],
            parallelism=app.config["ARGON2_PARALLELISM"],
            type=Type.ID,
        )
        self._dummy_hash = self._hasher.hash(_DUMMY_PASSWORD)
        app.extensions["passwords"] = self

    def hash(self, password: str) -> str:
        """Hash a password with the configured argon2id parameters."""
        return self._hasher.hash(normalize(password))

    def verify(self, stored_hash: str, password: str) -> bool:
        """Check ``password`` against ``stored_hash``; any malformed hash is a mismatch."""
        try:
            return self._hasher.verify(stored_hash, normalize(password))
        except (VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, password: str) -> bool:
        """Spend the time of one verification, for logins that match no account."""
        self.verify(self._dummy_hash, password)
        return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when ``stored_hash`` was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True
