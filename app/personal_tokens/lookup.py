"""Finding a token and its owner by the token's hash: one prebuilt read
(``app.prepared_reads``), as the session lookup is, for every bearer request."""

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import and_, bindparam, select

from app.personal_tokens.models import PersonalToken
from app.prepared_reads import PreparedRead
from app.users.models import ActiveUser, User


@dataclass(frozen=True, slots=True)
class TokenView:
    """A read-only snapshot of a live ``PersonalToken`` row and its owner."""

    id: int
    public_id: str
    user_id: int
    scopes: str
    credential_version: int
    expires_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None
    user: ActiveUser

    @property
    def scope_set(self) -> frozenset:
        return frozenset(self.scopes.split())


_TOKEN_COLUMNS = [getattr(PersonalToken, f.name) for f in fields(TokenView) if f.name != "user"]
_USER_COLUMNS = [getattr(User, f.name) for f in fields(ActiveUser)]
# As for sessions: a token made before the owner's last password change, or one of a
# disabled account, is no token, whatever a racing request wrote.
_STATEMENT = (
    select(*_TOKEN_COLUMNS, *_USER_COLUMNS)
    .join_from(
        PersonalToken,
        User,
        and_(
            PersonalToken.user_id == User.id,
            PersonalToken.credential_version == User.credential_version,
            User.is_active,
        ),
    )
    .where(PersonalToken.token_hash == bindparam("token_hash"))
)
_SPLIT = len(_TOKEN_COLUMNS)
READ = PreparedRead(_STATEMENT, [*_TOKEN_COLUMNS, *_USER_COLUMNS], "token_hash")


def find_by_token_hash(token_hash: str) -> TokenView | None:
    """The token with this hash, with its owner; or None. Expiry is the caller's check."""
    row = READ.row(token_hash)
    if row is None:
        return None
    return TokenView(*row[:_SPLIT], user=ActiveUser(*row[_SPLIT:]))
