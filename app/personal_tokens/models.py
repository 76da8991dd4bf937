"""The personal access token record: the token's SHA-256 hash, never the token."""

import re
import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.time import isoformat, utcnow
from app.extensions import db
from app.sessions.models import PUBLIC_ID_BYTES, hash_token
from app.users.constants import MAX_IP_LEN

# A recognisable prefix, so that secret scanners (GitHub's, gitleaks) can spot a leaked one:
# "fat_" and 32 random bytes in base64url, 43 characters.
PREFIX = "fat_"
SECRET_BYTES = 32
TOKEN_SHAPE = re.compile(r"fat_[A-Za-z0-9_-]{43}")
MAX_NAME_LEN = 64
MAX_SCOPES_LEN = 255


class PersonalToken(db.Model):
    __tablename__ = "personal_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the API shows and takes: unrelated to the token.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LEN))
    # Space-separated, as OAuth writes scopes.
    scopes: Mapped[str] = mapped_column(String(MAX_SCOPES_LEN))
    # The owner's credential version when it was made: a password change or reset ends it.
    credential_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # None: no expiry, only where the operator allows it (TOKEN_ALLOW_NO_EXPIRY).
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_ip: Mapped[str | None] = mapped_column(String(MAX_IP_LEN))

    def __repr__(self):
        return f"<PersonalToken {self.public_id} user={self.user_id}>"

    def to_json(self) -> dict:
        """The public view of a token: never the token or its hash."""
        return {
            "id": self.public_id,
            "name": self.name,
            "scopes": self.scopes.split(),
            "created_at": isoformat(self.created_at),
            "expires_at": isoformat(self.expires_at) if self.expires_at else None,
            "last_used_at": isoformat(self.last_used_at) if self.last_used_at else None,
            "last_used_ip": self.last_used_ip,
        }

    @classmethod
    def issue(cls, user, name, scopes, expires_at, credential_version):
        """A new record for ``user`` and the token to show once (never stored)."""
        token = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
        record = cls(
            public_id=secrets.token_urlsafe(PUBLIC_ID_BYTES),
            token_hash=hash_token(token),
            user_id=user.id,
            name=name,
            scopes=" ".join(scopes),
            credential_version=credential_version,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        return record, token
