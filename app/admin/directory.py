"""Finding accounts for operators: by name, by id, or by a search with filters, a page at a
time in a stable order (by id); and the operator's view of one account."""

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from app.accounts.export import trail
from app.extensions import db
from app.mfa import flows as mfa
from app.security import throttle
from app.sessions import store
from app.users.keys import email_key, user_name_key
from app.users.models import User

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Filters:
    """What a search keeps: ``q`` in a name, user name or email (ignoring case); a role code;
    active (True) or disabled (False) accounts; unconfirmed addresses; locked-out accounts."""

    q: str | None = None
    role: int | None = None
    active: bool | None = None
    unconfirmed: bool = False
    locked: bool = False


@dataclass(frozen=True)
class Page:
    users: list
    total: int
    page: int
    per_page: int


def find(login: str) -> User | None:
    """The user whose user name or email is ``login``, ignoring case; or None."""
    return User.find_by_login(login)


def _contains(column, text):
    return column.contains(text, autoescape=True)


def _statement(filters: Filters):
    statement = select(User)
    if filters.q:
        text = filters.q.strip()
        statement = statement.where(
            or_(
                _contains(User.user_name_key, user_name_key(text)),
                _contains(User.email_key, email_key(text)),
                _contains(func.lower(User.first_name), text.lower()),
                _contains(func.lower(User.last_name), text.lower()),
            )
        )
    if filters.role is not None:
        statement = statement.where(User.role_code == filters.role)
    if filters.active is not None:
        statement = statement.where(User.is_active.is_(filters.active))
    if filters.unconfirmed:
        statement = statement.where(User.email_confirmed_at.is_(None))
    return statement


def is_locked_out(user) -> bool:
    return throttle.is_account_locked_out(user)


def search(filters: Filters, page=1, per_page=DEFAULT_PER_PAGE) -> Page:
    """One page of the accounts that ``filters`` keep, by id, and how many there are in all.

    Locked-out accounts are known only to the limiter's storage, not to the database: that
    filter reads the count of every account the others keep.
    """
    statement = _statement(filters).order_by(User.id)
    offset = (page - 1) * per_page
    if filters.locked:
        users = [user for user in db.session.scalars(statement) if is_locked_out(user)]
        total, users = len(users), users[offset : offset + per_page]
    else:
        counted = select(func.count()).select_from(statement.subquery())
        total = db.session.scalar(counted)
        users = db.session.scalars(statement.offset(offset).limit(per_page)).all()
    return Page(users, total, page, per_page)


def summary(user, lockout_known=True) -> dict:
    """An account as a list shows it: the public view, whether it may log in, and whether
    failed logins lock it out now (None where the counts are out of reach)."""
    locked_out = is_locked_out(user) if lockout_known else None
    return {**user.to_json(), "is_active": user.is_active, "locked_out": locked_out}


def details(user, lockout_known=True) -> dict:
    """An account as an operator sees it: the summary, the trail, the live sessions (public
    ids, never tokens) and the second factors (never secrets)."""
    return {
        **summary(user, lockout_known),
        "trail": trail(user),
        "sessions": store.listed(user.id, user.credential_version),
        "mfa": mfa.state_of(user),
    }
