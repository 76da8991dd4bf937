"""The last active admin stays: every change that takes admin power away from an account
(a demotion, a disable, a deletion) is one write that applies only while another active
admin remains.

On PostgreSQL the active admins' rows are locked first, so two such changes at once queue,
and the second sees the first: of two admins demoting each other, exactly one wins. SQLite
has one writer at a time, and its write starts from the latest commit, which does the same.
"""

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.users.constants import ADMIN
from app.users.models import User


def lock_admins():
    """Hold the active admins' rows until the caller's transaction ends (PostgreSQL)."""
    db.session.execute(
        select(User.id).where(User.role_code == ADMIN, User.is_active).with_for_update()
    )


def keeps_an_admin(target_id):
    """The condition, for a write to the row of ``target_id``, that an active admin remains
    once that account is no longer one: it is none now, or another is."""
    other = aliased(User)
    another = exists().where(other.role_code == ADMIN, other.is_active, other.id != target_id)
    return or_(User.role_code != ADMIN, User.is_active.is_(False), another)
