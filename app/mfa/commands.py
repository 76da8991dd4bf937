"""The operator's second-factor commands: reset a user's, and reseal the secrets."""

import sys

import click
from flask.cli import with_appcontext

from app.accounts import mfa
from app.mfa import totp
from app.users.models import User


def register(app):
    app.cli.add_command(mfa_reset)
    app.cli.add_command(rotate_mfa_key)


@click.command("mfa-reset")
@click.argument("user_name")
@with_appcontext
def mfa_reset(user_name):
    """Turn off the second factor of USER_NAME (a user name or email), who lost the device."""
    user = User.find_by_login(user_name)
    if user is None:
        click.echo(f"No user {user_name!r}.", err=True)
        sys.exit(1)
    if mfa.reset(user):
        click.echo(f"Turned off two-factor authentication for {user.user_name}.")
    else:
        click.echo(f"{user.user_name} had no second factor: nothing changed.")


@click.command("rotate-mfa-key")
@with_appcontext
def rotate_mfa_key():
    """Seal every TOTP secret again under the first key of MFA_KEY (then drop the old ones)."""
    click.echo(f"Resealed {totp.reseal_all()} TOTP secret(s) under the newest key.")
