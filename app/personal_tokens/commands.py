"""The operator's token commands, in the ``users`` group: list a user's personal access
tokens, and revoke them all (a leaked script, a departing colleague)."""

import json

import click
from flask.cli import with_appcontext

from app.admin.commands import user_named, users
from app.common import messages
from app.personal_tokens import flows


def register(_app):
    users.add_command(list_tokens)
    users.add_command(revoke_tokens)


@click.command("tokens", short_help="List an account's personal access tokens.")
@click.argument("login", metavar="USER")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def list_tokens(login, as_json):
    """List the live personal access tokens of USER: name, scopes, created, expires, last
    used; never a token itself."""
    user = user_named(login)
    tokens = flows.listed(user, user.credential_version)
    if as_json:
        click.echo(json.dumps(tokens, indent=2))
        return
    if not tokens:
        click.echo(messages.CLI_NO_TOKENS.format(user_name=user.user_name))
    for token in tokens:
        used = token["last_used_at"] or "never"
        if token["last_used_ip"]:
            used += f" from {token['last_used_ip']}"
        click.echo(
            f"{token['id']}  {token['name']!r}  {' '.join(token['scopes'])}  "
            f"created {token['created_at']}, expires {token['expires_at'] or 'never'}, "
            f"last used {used}"
        )


@click.command("revoke-tokens", short_help="Revoke every personal access token of an account.")
@click.argument("login", metavar="USER")
@with_appcontext
def revoke_tokens(login):
    """Revoke every personal access token of USER: each is a 401 from its next request."""
    user = user_named(login)
    count = flows.revoke_all(user)
    click.echo(messages.CLI_TOKENS_REVOKED.format(count=count, user_name=user.user_name))
