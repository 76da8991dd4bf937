"""The operators' API: find accounts, see one, and act on it. Staff and admins read; only
admins act (``app.admin.policy``), and each act needs a recent proof of identity
(``app.api.access.reauthenticated``), checked after the role: a stolen admin cookie past the
re-authentication window changes no one, and any other role hears of its role first."""

import re
from functools import partial

from flask import Blueprint, request
from flask_login import current_user

from app.admin import actions, directory
from app.admin.forms import RoleForm, UserQueryForm
from app.admin.policy import READ, WRITE, requires
from app.api.access import reauthenticated
from app.api.payload import validated
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.common.refusals import FieldErrors, Refusal
from app.extensions import db
from app.personal_tokens.scopes import ADMIN_READ, ADMIN_WRITE, bearer
from app.users.models import User

admin_api = Blueprint("admin", __name__, url_prefix=f"{API_PREFIX}/admin")
# Any path segment is taken as an id, so that one that is not a number is the same 404 as an
# unknown number, for every method: unrouted, the page's catch-all would answer a 405.
USER = "/users/<user_id>"
ID = re.compile(r"[0-9]{1,10}")
# The largest id that PostgreSQL's ``integer`` holds: a larger one would overflow SQLite's
# driver rather than find nobody.
MAX_USER_ID = 2**31 - 1


def _query(form_class):
    """The form of this request's query string, validated; else a 422 naming each parameter
    that is wrong or given twice."""
    form = form_class(formdata=request.args)
    repeated = {
        name: [messages.FIELD_REPEATED] for name in form.data if len(request.args.getlist(name)) > 1
    }
    if repeated:
        raise FieldErrors(repeated)
    if not form.validate():
        raise FieldErrors(form.errors)
    return form


def _target(user_id: str) -> User:
    """The account whose id is ``user_id``, or a 404."""
    number = int(user_id) if ID.fullmatch(user_id) else 0
    user = db.session.get(User, number) if 0 < number <= MAX_USER_ID else None
    if user is None:
        raise Refusal(404, messages.USER_NOT_FOUND)
    return user


@admin_api.get("/users")
@bearer(ADMIN_READ)
@requires(READ)
def list_users():
    """One page of the accounts that the query keeps, by id, and how many it keeps in all."""
    form = _query(UserQueryForm)
    page = directory.search(form.filters(), form.page.data, form.per_page.data)
    data = {
        "users": [directory.summary(user) for user in page.users],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
    }
    return success(messages.USERS_LISTED, data=data)


@admin_api.get(USER)
@bearer(ADMIN_READ)
@requires(READ)
def show_user(user_id):
    """One account: its summary, trail, live sessions and second factors."""
    return success(messages.USER_SHOWN, data=directory.details(_target(user_id)))


def _act(user_id, action, message):
    """Do ``action`` to the account ``user_id``, as this admin; answer with its summary."""
    target = _target(user_id)
    action(target, actor=current_user)
    return success(message, data=directory.summary(target))


@admin_api.post(f"{USER}/disable")
@bearer(ADMIN_WRITE)
@requires(WRITE)
@reauthenticated
def disable_user(user_id):
    """Disable the account: no login from now on, and every session of it ends."""
    return _act(user_id, actions.disable, messages.USER_DISABLED)


@admin_api.post(f"{USER}/enable")
@bearer(ADMIN_WRITE)
@requires(WRITE)
@reauthenticated
def enable_user(user_id):
    """Let the account log in again."""
    return _act(user_id, actions.enable, messages.USER_ENABLED)


@admin_api.post(f"{USER}/role")
@requires(WRITE)
@reauthenticated
def set_role(user_id):
    """Give the account another role; its sessions go on, with the new role."""
    role_code = validated(RoleForm).role_code
    return _act(user_id, partial(actions.set_role, role_code=role_code), messages.ROLE_SET)


@admin_api.post(f"{USER}/logout")
@bearer(ADMIN_WRITE)
@requires(WRITE)
@reauthenticated
def log_out_user(user_id):
    """End every session of the account."""
    return _act(user_id, actions.log_out, messages.USER_LOGGED_OUT)


@admin_api.delete(USER)
@requires(WRITE)
@reauthenticated
def delete_user(user_id):
    """Delete the account and everything that names it."""
    actions.delete(_target(user_id), actor=current_user)
    return success(messages.USER_DELETED)
