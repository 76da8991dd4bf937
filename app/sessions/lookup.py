"""Finding a session and its user by token hash: one prebuilt read (``app.prepared_reads``).

The row becomes two read-only snapshots; flows that change the user or start a session load
the ORM objects by id.
"""

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import and_, bindparam, select

from app.prepared_reads import PreparedRead
from app.sessions.models import AuthSession
from app.users.models import ActiveUser, User


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


# The columns come from the snapshots' own fields, so that the two cannot drift apart. Never
# the password hash: the hot path has no use for it.
_SESSION_COLUMNS = [getattr(AuthSession, f.name) for f in fields(SessionView) if f.name != "user"]
_USER_COLUMNS = [getattr(User, f.name) for f in fields(ActiveUser)]
_STATEMENT = (
    select(*_SESSION_COLUMNS, *_USER_COLUMNS)
    # A session made before the user's last password change names an older credential
    # version: it is no session any more, whenever it was made. Nor is one of a disabled
    # account, even one that a login racing the disable wrote after it.
    .join_from(
        AuthSession,
        User,
        and_(
            AuthSession.user_id == User.id,
            AuthSession.credential_version == User.credential_version,
            User.is_active,
        ),
    )
    .where(AuthSession.token_hash == bindparam("token_hash"))
)
_SPLIT = len(_SESSION_COLUMNS)
READ = PreparedRead(_STATEMENT, [*_SESSION_COLUMNS, *_USER_COLUMNS], "token_hash")


def find_by_token_hash(token_hash: str) -> SessionView | None:
    """The session with this token hash, with its user; or None."""
    row = READ.row(token_hash)
    if row is None:
        return None
    return SessionView(*row[:_SPLIT], user=ActiveUser(*row[_SPLIT:]))
