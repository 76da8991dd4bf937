"""Finding a token and its owner by the token's hash: one prebuilt read
(``app.prepared_reads``), as the session lookup is, for every bearer request."""

from dataclasses import dataclass
from datetime import datetime

from app.personal_tokens.models import PersonalToken
from app.prepared_reads import CredentialRead
from app.users.models import ActiveUser


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


READ = CredentialRead(PersonalToken, TokenView)


def find_by_token_hash(token_hash: str) -> TokenView | None:
    """The token with this hash, with its owner; or None. Expiry is the caller's check."""
    return READ.find(token_hash)
