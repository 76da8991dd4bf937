"""The operator's ``users`` commands: find accounts, show one, and disable, enable, re-role,
log out, unlock or delete it. USER is a user name or email, in any letter case.

The failed-login counts are seen only where the limiter's store is shared (Redis): with
``memory://`` they live in each server process. Then ``unlock`` and ``list --locked``, whose
whole answer is those counts, fail; ``show`` and ``list`` say the lockout is unknown.
"""

import json
import math

import click
from flask.cli import AppGroup

from app.admin import actions, directory
from app.common import messages
from app.common.refusals import Refusal
from app.security import throttle
from app.users import constants

ROLES = click.Choice(list(constants.ROLE_BY_NAME))
COLUMNS = ("ID", "USER NAME", "EMAIL", "ROLE", "STATUS", "EMAIL CONFIRMED", "LOCKED OUT")


def register(app):
    app.cli.add_command(users)


def _yes_no(value):
    return "unknown" if value is None else "yes" if value else "no"


def _plural(count, noun):
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def user_named(login):
    """The account ``login`` names, for every command that takes a USER; an error, and exit 1,
    when there is none."""
    user = directory.find(login)
    if user is None:
        raise click.ClickException(messages.CLI_USER_UNKNOWN.format(login=login))
    return user


def _lockouts_seen() -> bool:
    """True when this process sees the servers' failed-login counts; else it says so on
    stderr, and the lockout is shown as unknown."""
    if throttle.counts_shared():
        return True
    click.echo(f"Note: {messages.CLI_COUNTS_OUT_OF_REACH}", err=True)
    return False


def _require_counts():
    """An error, and exit 1, where the servers' failed-login counts are out of reach."""
    if not throttle.counts_shared():
        raise click.ClickException(messages.CLI_COUNTS_OUT_OF_REACH)


def _change(login, action, said, *args, **words):
    """``action`` by the CLI on the account ``login`` names, then ``said`` of it, filled in
    with ``words`` and the account as it was; a refusal (the last admin) is an error, exit 1."""
    user = user_named(login)
    before = {"user_name": user.user_name, "email": user.email, "id": user.id, "role": user.role}
    try:
        action(user, *args, actor=None)
    except Refusal as refusal:
        raise click.ClickException(refusal.message) from None
    click.echo(said.format(**before, **words))


def _echo_json(data):
    click.echo(json.dumps(data, indent=2))


def _row(summary):
    return (
        str(summary["id"]),
        summary["user_name"],
        summary["email"],
        summary["role"],
        "active" if summary["is_active"] else "disabled",
        _yes_no(summary["email_confirmed"]),
        _yes_no(summary["locked_out"]),
    )


def _echo_table(rows):
    widths = [max(map(len, column)) for column in zip(*rows, strict=True)]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


@click.group(
    "users",
    cls=AppGroup,
    short_help="Find accounts and act on them: disable, unlock, delete.",
)
def users():
    """Find and manage accounts (USER: a user name or email, in any letter case)."""


@users.command("list")
@click.option("--role", type=ROLES, help="Only accounts of this role.")
@click.option("--active/--disabled", default=None, help="Only accounts that may log in, or not.")
@click.option("--unconfirmed", is_flag=True, help="Only accounts whose email is unconfirmed.")
@click.option("--locked", is_flag=True, help="Only accounts locked out by failed logins.")
@click.option("--query", "-q", help="Text in the user name, email, first or last name.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--per-page",
    type=click.IntRange(1, directory.MAX_PER_PAGE),
    default=directory.DEFAULT_PER_PAGE,
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True, help="Print the page as one JSON object.")
def list_users(role, active, unconfirmed, locked, query, page, per_page, as_json):
    """List accounts, by id, a page at a time."""
    if locked:
        _require_counts()
    filters = directory.Filters(
        q=query,
        role=None if role is None else constants.ROLE_BY_NAME[role],
        active=active,
        unconfirmed=unconfirmed,
        locked=locked,
    )
    found = directory.search(filters, page, per_page)
    seen = _lockouts_seen()
    summaries = [directory.summary(user, seen) for user in found.users]
    if as_json:
        _echo_json({"users": summaries, "total": found.total, "page": page, "per_page": per_page})
        return
    if summaries:
        _echo_table([COLUMNS, *map(_row, summaries)])
    pages = max(1, math.ceil(found.total / per_page))
    click.echo(f"Page {page} of {pages} ({_plural(found.total, 'user')})")


def _echo_details(details):
    trail, mfa = details["trail"], details["mfa"]
    click.echo(
        f"{details['user_name']} (id {details['id']}): "
        f"{details['first_name']} {details['last_name']} <{details['email']}>"
    )
    click.echo(f"role: {details['role']}")
    click.echo(f"status: {'active' if details['is_active'] else 'disabled'}")
    click.echo(f"email confirmed: {_yes_no(details['email_confirmed'])}")
    click.echo(f"locked out: {_yes_no(details['locked_out'])}")
    click.echo(f"created: {trail['created_on']}")
    if trail["last_login_at"]:
        logins = _plural(trail["login_count"], "login")
        click.echo(f"last login: {trail['last_login_at']} from {trail['last_login_ip']} ({logins})")
    else:
        click.echo("last login: never")
    factors = [name for key, name in (("totp", "TOTP"), ("webauthn", "passkey")) if mfa[key]]
    if factors:
        codes = _plural(mfa["recovery_codes_left"], "recovery code")
        click.echo(f"second factor: {', '.join(factors)} ({codes} left)")
    else:
        click.echo("second factor: none")
    click.echo(f"live sessions: {len(details['sessions'])}")
    for record in details["sessions"]:
        click.echo(
            f"  {record['id']}  from {record['ip']}, since {record['created_at']}, "
            f"last seen {record['last_seen_at']}{', remembered' if record['remember'] else ''}"
        )


@users.command("show", short_help="Show an account: state, trail, sessions, second factors.")
@click.argument("login", metavar="USER")
@click.option("--json", "as_json", is_flag=True, help="Print the account as one JSON object.")
def show(login, as_json):
    """Show an account: its state, trail, live sessions and second factors."""
    user = user_named(login)
    details = directory.details(user, _lockouts_seen())
    if as_json:
        _echo_json(details)
    else:
        _echo_details(details)


@users.command("disable", short_help="Disable an account and end its sessions.")
@click.argument("login", metavar="USER")
def disable(login):
    """Disable an account: no login from now on, and every session of it ends."""
    _change(login, actions.disable, "Disabled {user_name}: every session of it has ended.")


@users.command("enable")
@click.argument("login", metavar="USER")
def enable(login):
    """Let a disabled account log in again."""
    _change(login, actions.enable, "Enabled {user_name}: it may log in again.")


@users.command("set-role", short_help="Give an account another role (admin, staff, user, test).")
@click.argument("login", metavar="USER")
@click.argument("role", type=ROLES, metavar="ROLE")
def set_role(login, role):
    """Give an account the role ROLE (admin, staff, user or test), which its sessions read on
    their next request."""
    said = "Set the role of {user_name} to {new} (was {role})."
    _change(login, actions.set_role, said, constants.ROLE_BY_NAME[role], new=role)


@users.command("logout")
@click.argument("login", metavar="USER")
def logout(login):
    """End every session and pending login of an account."""
    _change(login, actions.log_out, "Ended every session of {user_name}.")


def _unlock(user, actor=None):
    _require_counts()
    actions.unlock(user, actor=actor)


@users.command("unlock", short_help="Forget an account's failed logins (needs REDIS_URL).")
@click.argument("login", metavar="USER")
def unlock(login):
    """Forget the failed logins counted against an account's user name and email (needs the
    servers' store, REDIS_URL)."""
    _change(login, _unlock, "Cleared the failed logins of {user_name}: it may try again.")


@users.command("delete", short_help="Delete an account and everything that names it.")
@click.argument("login", metavar="USER")
@click.option("--yes", is_flag=True, help="Confirm the deletion.")
def delete(login, yes):
    """Delete an account and every row that names it; a goodbye notice is sent."""
    if not yes:
        raise click.UsageError(messages.CLI_DELETE_NEEDS_YES)
    _change(login, actions.delete, "Deleted {user_name} <{email}> (id {id}).")
