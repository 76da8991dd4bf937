"""Finding a session and its user by token hash: one prebuilt read (``app.prepared_reads``).

The row becomes two read-only snapshots; flows that change the user or start a session load
the ORM objects by id.
"""

from dataclasses import dataclass
from datetime import datetime

from app.prepared_reads import CredentialRead
from app.sessions.models import AuthSession
from app.users.models import ActiveUser


@dataclass(frozen=True, slots=True)
class SessionView:
    """A read-only snapshot of a live ``AuthSession`` row and its user."""

    id: int
    public_id: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    remember: bool
    credential_version: int
    verified_at: datetime
    user: ActiveUser


READ = CredentialRead(AuthSession, SessionView)


def find_by_token_hash(token_hash: str) -> SessionView | None:
    """The session with this token hash, with its user; or None."""
    return READ.find(token_hash)
