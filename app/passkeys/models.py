"""The passkey tables: the credentials, and the challenges waiting for an answer."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.time import isoformat, utcnow
from app.extensions import db

# A credential id: WebAuthn allows up to 1023 bytes, 1364 characters of base64url. Longer
# ones are refused before anything reads or writes the database with them.
MAX_CREDENTIAL_ID_BYTES = 1023
MAX_CREDENTIAL_ID_LEN = 1364
MAX_NAME_LEN = 64
DEFAULT_NAME = "Passkey"


class Passkey(db.Model):
    """A WebAuthn credential of a user: the public key and what is known of it."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the API shows and takes: unrelated to the credential id.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(MAX_CREDENTIAL_ID_LEN), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    # Space-separated, as the browser reported them (usb, nfc, ble, internal, hybrid, ...).
    transports: Mapped[str] = mapped_column(String(128), default="")
    backed_up: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(MAX_NAME_LEN))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def to_json(self) -> dict:
        """The public view of a passkey: never its public key or credential id."""
        return {
            "id": self.public_id,
            "name": self.name,
            "created_at": isoformat(self.created_at),
            "last_used_at": isoformat(self.last_used_at) if self.last_used_at else None,
            "transports": self.transports.split(),
            "backed_up": self.backed_up,
        }


class PasskeyChallenge(db.Model):
    """A challenge handed to a browser, kept for its one answer: whose it is (``owner``, a
    session record, a pending login, or an anonymous browser) and what it is for."""

    __tablename__ = "passkey_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(96), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    challenge: Mapped[str] = mapped_column(String(96))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
