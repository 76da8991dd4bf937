"""The operator's second-factor commands: reset a user's, and reseal what ``MFA_KEY`` seals."""

import click
from flask.cli import with_appcontext

from app.admin import actions
from app.admin.commands import user_named
from app.common import messages
from app.extensions import db
from app.mfa import encryption, recovery_codes, sealed_keys, totp


def register(app):
    app.cli.add_command(mfa_reset)
    app.cli.add_command(rotate_mfa_key)


@click.command("mfa-reset", short_help="Turn off a user's second factor (a lost phone).")
@click.argument("login", metavar="USER")
@with_appcontext
def mfa_reset(login):
    """Turn off every second factor of USER (a user name or email), who lost the device:
    TOTP, passkeys and recovery codes go, and a notice is mailed."""
    user = user_named(login)
    if actions.reset_mfa(user):
        click.echo(f"Turned off two-factor authentication for {user.user_name}.")
    else:
        click.echo(f"{user.user_name} had no second factor: nothing changed.")


@click.command("rotate-mfa-key", short_help="Seal the second factor's secrets under a new key.")
@with_appcontext
def rotate_mfa_key():
    """Seal every TOTP secret and the recovery codes' keys again under the newest key: the
    first of MFA_KEY (or SECRET_KEY, without MFA_KEY). Then the old key may go."""
    try:
        # Made now if no code was ever made, so that it too is sealed under the new key.
        recovery_codes.keys()
        secrets, keys = totp.reseal_all(), sealed_keys.reseal_all()
    except encryption.InvalidToken:
        db.session.rollback()
        raise click.ClickException(messages.CLI_SEALED_UNDER_NO_KEY) from None
    db.session.commit()
    click.echo(f"Resealed {secrets} TOTP secret(s) and {keys} key(s) under the newest key.")
