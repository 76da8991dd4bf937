"""The ``User`` model: the tutorial's columns, case-insensitive unique keys and argon2id hashes."""

from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, Integer, SmallInteger, String, select, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.common.time import isoformat, utcnow
from app.extensions import db
from app.users import constants
from app.users.credentials import Credentials
from app.users.keys import email_key, user_name_key
from app.users.passwords import passwords


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
            "email_confirmed": self.email_confirmed_at is not None,
        }


class User(db.Model, PublicUser, Credentials, UserMixin):
    __tablename__ = "user"
    # SQLite gives a deleted row's id to the next insert without AUTOINCREMENT; an account's
    # id is in the API and the logs, so it must never name two people.
    __table_args__ = ({"sqlite_autoincrement": True},)

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
    # When a link sent to the current address was used; None: not confirmed (yet).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The WebAuthn user handle (base64url of 32 random bytes), made with the first passkey.
    passkey_handle: Mapped[str | None] = mapped_column(String(64), unique=True)
    # False: disabled by an operator. No login, and no session, is honoured (Flask-Login's
    # ``is_active``, stored).
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())

    def __init__(self, **fields):
        # Column defaults apply only at flush; the role and version are needed before that.
        fields.setdefault("role_code", constants.USER)
        fields.setdefault("credential_version", 0)
        fields.setdefault("is_active", True)
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

    @classmethod
    def find_by_login(cls, login: str):
        """The user whose user name or email is ``login``, ignoring case; or None."""
        if "@" in login:
            return cls.find_by_email(login)
        return db.session.scalar(select(cls).where(cls.user_name_key == user_name_key(login)))

    @classmethod
    def find_by_email(cls, email: str):
        """The user whose email is ``email``, ignoring letter case; or None."""
        return db.session.scalar(select(cls).where(cls.email_key == email_key(email)))

    @classmethod
    def authenticate(cls, login: str, password: str):
        """Return ``(user, ok)``; unknown logins cost one dummy verification, like a real one.

        The tutorial's one call for a shell, so it is a flow of its own: it ends its read
        before the check, since no hash runs inside a transaction."""
        user = cls.find_by_login(login)
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
    email_confirmed_at: datetime | None

    def __repr__(self):
        return f"<ActiveUser {self.user_name!r}>"

    def load(self) -> User | None:
        """The ORM ``User`` behind this snapshot, for a view that changes it or logs it in."""
        return db.session.get(User, self.id)
