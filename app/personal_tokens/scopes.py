"""The scopes of personal access tokens, what each role may grant, and which views accept a
bearer token at all.

A view that a token may call says so with ``@bearer(scope)``; every other view is for a
session only, and a bearer request to it is refused before it runs (``app.personal_tokens.
guard``). The sensitive actions (the password, the address, second factors, making tokens,
deleting the account, an admin's role changes and deletions) carry no scope, so no token can
reach them. ``tests/personal_tokens/test_scopes.py`` holds this table to ``openapi.yaml``.
"""

from app.users.constants import ADMIN, STAFF

ACCOUNT_READ = "account:read"
SESSIONS_READ = "sessions:read"
SESSIONS_WRITE = "sessions:write"
ADMIN_READ = "admin:read"
ADMIN_WRITE = "admin:write"
# In the order the page and the API list them.
SCOPES = (ACCOUNT_READ, SESSIONS_READ, SESSIONS_WRITE, ADMIN_READ, ADMIN_WRITE)
_OWN = frozenset({ACCOUNT_READ, SESSIONS_READ, SESSIONS_WRITE})
# What a token of each role may carry and use. A staff member's never includes admin:write.
_BY_ROLE = {ADMIN: frozenset(SCOPES), STAFF: _OWN | {ADMIN_READ}}

ATTRIBUTE = "bearer_scope"


def grantable(role_code) -> frozenset:
    """The scopes that a user of ``role_code`` may give a token, and use with one."""
    return _BY_ROLE.get(role_code, _OWN)


def bearer(scope):
    """Decorate a view (as the outermost decorator under the route): a bearer token with
    ``scope`` may call it, besides a session."""

    def decorate(view):
        setattr(view, ATTRIBUTE, scope)
        return view

    return decorate


def needed(view) -> str | None:
    """The scope a token needs for ``view``; None: the view is for a session only."""
    return getattr(view, ATTRIBUTE, None)
