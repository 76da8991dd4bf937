"""Who may use the admin API, checked here and nowhere else: staff and admins read, only
admins write.

The role is the one the session lookup reads with the session on every request, never one
kept in the cookie: a demoted admin's very next request is refused.
"""

from dataclasses import dataclass
from functools import wraps

from flask import request
from flask_login import current_user, login_required

from app.common import messages
from app.common.refusals import Refusal
from app.security.events import ADMIN_REFUSED, security_event
from app.users.constants import ADMIN, STAFF


@dataclass(frozen=True)
class Access:
    """A level of access: the role codes that have it, and what the other roles are told."""

    roles: frozenset
    refusal: str


READ = Access(frozenset({ADMIN, STAFF}), messages.STAFF_ONLY)
WRITE = Access(frozenset({ADMIN}), messages.ADMIN_ONLY)


def allows(access: Access, user) -> bool:
    """True when ``user``'s role has ``access``."""
    return user.role_code in access.roles


def requires(access: Access):
    """Decorate a view: logged in, else a 401; of a role that ``access`` lets in, else a 403,
    logged as a security event naming the user and the path."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not allows(access, current_user):
                security_event(
                    ADMIN_REFUSED, user=current_user, method=request.method, path=request.path
                )
                raise Refusal(403, access.refusal)
            return view(*args, **kwargs)

        return login_required(checked)

    return decorate
