"""Server-side session records: the cookie holds a token, the database decides."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.time import isoformat, utcnow
from app.extensions import db
from app.users.constants import MAX_IP_LEN
from app.users.models import User

TOKEN_BYTES = 32
PUBLIC_ID_BYTES = 16
MAX_USER_AGENT_LEN = 512


def hash_token(token: str) -> str:
    """The stored form of a session token. The token has full entropy, so SHA-256 suffices."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AuthSession(db.Model):
    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the API shows: unrelated to the token, so listing sessions leaks no secret.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    remember: Mapped[bool] = mapped_column(default=False)
    ip: Mapped[str | None] = mapped_column(String(MAX_IP_LEN))
    # The user's credential version when the session began (see ``User.credential_version``).
    credential_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    user_agent: Mapped[str | None] = mapped_column(String(MAX_USER_AGENT_LEN))
    # When the user last proved who they are in this session: the login, or a later password
    # check (app.accounts.reauthentication).
    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self):
        return f"<AuthSession {self.public_id} user={self.user_id}>"

    def to_json(self, current=False) -> dict:
        """The public view of a session: its public id, never the token or its hash."""
        return {
            "id": self.public_id,
            "created_at": isoformat(self.created_at),
            "last_seen_at": isoformat(self.last_seen_at),
            "ip": self.ip,
            "user_agent": self.user_agent,
            "remember": self.remember,
            "current": current,
        }

    @classmethod
    def issue(
        cls, user, remember, ip, user_agent, credential_version, created_at=None, verified_at=None
    ):
        """A new record for ``user`` and the token to hand to the client (never stored).

        ``ip`` is a parsed address (``app.security.client``) or None. ``credential_version`` is
        the version of the credential that was checked, or of the session that is rotated;
        ``created_at`` and ``verified_at`` carry the absolute lifetime and the last proof of
        identity over when a session is only rotated (both are now for a new one).
        """
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = utcnow()
        record = cls(
            public_id=secrets.token_urlsafe(PUBLIC_ID_BYTES),
            token_hash=hash_token(token),
            user=user,
            created_at=created_at or now,
            last_seen_at=now,
            remember=bool(remember),
            ip=ip,
            credential_version=credential_version,
            verified_at=verified_at or now,
            user_agent=(user_agent or "")[:MAX_USER_AGENT_LEN] or None,
        )
        return record, token
