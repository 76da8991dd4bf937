"""The ``User`` model: the tutorial's columns, case-insensitive unique keys and argon2id hashes."""

import contextlib
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask_login import UserMixin
from sqlalchemy import DateTime, Integer, SmallInteger, String, select, update
from sqlalchemy.orm import Mapped, mapped_column, validates
from sqlalchemy.orm.attributes import set_committed_value

from app.common.time import isoformat, utcnow
from app.extensions import db, passwords
from app.users import constants


def user_name_key(user_name: str) -> str:
    """The casefolded form that makes user names unique ignoring case."""
    return user_name.strip().casefold()


def email_key(email: str) -> str:
    """The lower-cased normalised form that makes emails unique ignoring letter case.

    Lower-cased, not case-folded: folding merges distinct mailboxes (``ß`` and ``ss``, ``ﬀ``
    and ``ff``). No character takes more code points lower-cased than it takes UTF-8 bytes,
    and NFC only composes, so the key of an address that email-validator accepts (at most 254
    bytes) fits its column. NFC again because lower-casing an upper-case letter with accents
    can leave them uncomposed.
    """
    email = email.strip()
    with contextlib.suppress(EmailNotValidError):
        email = validate_email(email, check_deliverability=False).normalized
    return unicodedata.normalize("NFC", email.lower())


class PublicUser:
    """What a user shows of itself: the role by name and the public JSON."""

    @property
    def role(self) -> str:
        return constants.USER_ROLE[self.role_code]

    def to_json(self) -> dict:
        """The public view of a user: never the hash, never a session secret."""
        return {
            "id": self.id,
            "user_name": self.user_name,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "role": self.role,
            "created_on": isoformat(self.created_on),
        }


class User(db.Model, PublicUser, UserMixin):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(constants.STRING_LEN))
    last_name: Mapped[str] = mapped_column(String(constants.STRING_LEN))
    user_name: Mapped[str] = mapped_column(String(constants.STRING_LEN))
    email: Mapped[str] = mapped_column(String(constants.MAX_EMAIL_LEN))
    # The database enforces uniqueness on these, whatever the engine's collation.
    user_name_key: Mapped[str] = mapped_column(String(constants.STRING_LEN), unique=True)
    email_key: Mapped[str] = mapped_column(String(constants.MAX_EMAIL_LEN), unique=True)
    created_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    role_code: Mapped[int] = mapped_column(SmallInteger, default=constants.USER)
    _password: Mapped[str] = mapped_column("password", String(constants.PW_STRING_LEN))
    # The account trail.
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_ip: Mapped[str | None] = mapped_column(String(constants.MAX_IP_LEN))
    login_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Goes up with every password change. Each session records the version it was made with,
    # and the lookup honours a session only while the two are equal.
    credential_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __init__(self, **fields):
        # Column defaults apply only at flush; the role and version are needed before that.
        fields.setdefault("role_code", constants.USER)
        fields.setdefault("credential_version", 0)
        super().__init__(**fields)

    def __repr__(self):
        return f"<User {self.user_name!r}>"

    @validates("user_name")
    def _set_user_name_key(self, _key, value):
        self.user_name_key = user_name_key(value)
        return value

    @validates("email")
    def _set_email_key(self, _key, value):
        self.email_key = email_key(value)
        return value

    @property
    def password(self) -> str:
        """The stored hash, never the password."""
        return self._password

    @password.setter
    def password(self, password: str) -> None:
        self._password = passwords.hash(password)

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return self.password_matches(self, password)

    @staticmethod
    def password_matches(user, password: str) -> bool:
        """Check ``password`` for ``user``, or spend the same time when there is no user."""
        if user is None or not user._password:
            return passwords.dummy_verify(password)
        return passwords.verify(user._password, password)

    def start_trail(self, ip) -> None:
        """The account trail of a new account, whose signup counts as its first login."""
        self.last_login_at = utcnow()
        self.last_login_ip = ip
        self.login_count = 1

    def record_login(self, ip, new_hash=None) -> bool:
        """Count a login in the trail, and store ``new_hash`` (a rehash) if given.

        One ``UPDATE`` in the caller's transaction, so parallel logins never lose a count. It
        applies only while the password this object was loaded with is still the stored one
        (the credential version); False when a password change came in between.
        """
        values = {
            User.last_login_at: utcnow(),
            User.last_login_ip: ip,
            User.login_count: User.login_count + 1,
        }
        if new_hash is not None:
            values[User._password] = new_hash
        if not self._update_if_current(values):
            return False
        if new_hash is not None:
            set_committed_value(self, "_password", new_hash)
        return True

    def replace_password(self, new_hash: str) -> bool:
        """Store ``new_hash`` and move to the next credential version, which ends every session
        made with the old password; False when the password changed since this object was
        loaded. In the caller's transaction."""
        values = {User._password: new_hash, User.credential_version: User.credential_version + 1}
        if not self._update_if_current(values):
            return False
        # What the row now holds, without marking the object dirty: a flush must not write it again.
        set_committed_value(self, "_password", new_hash)
        set_committed_value(self, "credential_version", self.credential_version + 1)
        return True

    def hold_if_current(self) -> bool:
        """Lock the user's row for the caller's transaction while the password this object was
        loaded with is still the stored one; False when a password change came in between.

        Whatever changes a user's sessions as a whole takes this row first, so two of them
        (a password change and a logout_all) queue on it instead of deadlocking on sessions.
        """
        return self._update_if_current({User.credential_version: User.credential_version})

    def _update_if_current(self, values) -> bool:
        statement = (
            update(User)
            .where(User.id == self.id, User.credential_version == self.credential_version)
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return db.session.execute(statement).rowcount == 1

    @classmethod
    def find_by_login(cls, login: str):
        """The user whose user name or email is ``login``, ignoring case; or None."""
        if "@" in login:
            condition = cls.email_key == email_key(login)
        else:
            condition = cls.user_name_key == user_name_key(login)
        return db.session.scalar(select(cls).where(condition))

    @classmethod
    def authenticate(cls, login: str, password: str):
        """Return ``(user, ok)``; unknown logins cost one dummy verification, like a real one."""
        user = cls.find_by_login(login)
        # End the read transaction: a hash must never be computed while one is open.
        db.session.commit()
        return user, cls.password_matches(user, password)

    @classmethod
    def is_user_name_taken(cls, user_name: str) -> bool:
        key = user_name_key(user_name)
        return db.session.scalar(select(db.exists().where(cls.user_name_key == key)))

    @classmethod
    def is_email_taken(cls, email: str) -> bool:
        key = email_key(email)
        return db.session.scalar(select(db.exists().where(cls.email_key == key)))


# eq=False: Flask-Login's UserMixin compares users by id.
@dataclass(frozen=True, slots=True, eq=False)
class ActiveUser(PublicUser, UserMixin):
    """The read-only user of a request's session, as ``current_user`` holds it."""

    id: int
    first_name: str
    last_name: str
    user_name: str
    email: str
    created_on: datetime
    role_code: int

    def __repr__(self):
        return f"<ActiveUser {self.user_name!r}>"

    def load(self) -> User | None:
        """The ORM ``User`` behind this snapshot, for a view that changes it or logs it in."""
        return db.session.get(User, self.id)
