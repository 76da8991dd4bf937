"""Operator commands, added to ``app.cli`` (and so to ``manage.py``)."""

import secrets
import signal
import sys
import time
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import MetaData
from werkzeug.datastructures import MultiDict
from werkzeug.serving import run_simple

from app import models, schema
from app.accounts import signup
from app.accounts.checks import require_strong_password
from app.admin import commands as admin_commands
from app.common import messages
from app.common.refusals import Refusal
from app.extensions import db
from app.mail import delivery
from app.mail.sender import EXTENSION as MAIL_SENDER
from app.mail.sender import deliver_due
from app.mfa import commands as mfa_commands
from app.mfa import pending
from app.passkeys import challenges
from app.personal_tokens import commands as token_commands
from app.personal_tokens import store as token_store
from app.sessions import store
from app.users import constants
from app.users.forms import SignupForm
from app.users.models import User

SAMPLE_USER = {
    "user_name": "spchuang",
    "email": "test@gmail.com",
    "first_name": "Sam",
    "last_name": "Chuang",
}


def register(app):
    app.cli.add_command(initdb)
    app.cli.add_command(createuser)
    app.cli.add_command(runserver)
    app.cli.add_command(purge_sessions)
    app.cli.add_command(deliver_mail)
    app.cli.add_command(purge_outbox)
    mfa_commands.register(app)
    admin_commands.register(app)
    token_commands.register(app)
    app.shell_context_processor(lambda: {"db": db, "models": models, "User": User})


def _fail(message):
    click.echo(message, err=True)
    sys.exit(1)


def _field_lines(errors):
    return "\n".join(f"{name}: {' '.join(texts)}" for name, texts in errors.items())


def _taken_as_typed(errors, form):
    """The refusal's fields, a taken name or email said with the value the operator typed."""
    values = {"user_name": form.user_name.data, "email": form.email.data}
    taken = {messages.USER_NAME_TAKEN, messages.EMAIL_TAKEN}
    return {
        name: [f"{values[name]} is already taken." if text in taken else text for text in texts]
        for name, texts in errors.items()
    }


def _signup_form(fields, password):
    """The signup form of ``fields`` with ``password``, validated as signup validates it;
    else each field's messages on stderr, and exit 1."""
    form = SignupForm(formdata=MultiDict({**fields, "password": password, "confirm": password}))
    if not form.validate():
        _fail(_field_lines(form.errors))
    return form


def _random_sample_password() -> str:
    """A random password that the rule accepts. 192 random bits always score well; drawn
    again in the rare case (about once in 5,000) that one holds a name of the sample user."""
    from app.users.policy import password_problem

    while True:
        password = secrets.token_urlsafe(24)
        if password_problem(password, **SAMPLE_USER) is None:
            return password


def _drop_everything():
    """Drop every table, ``alembic_version`` included, so the upgrade starts from empty."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    metadata.drop_all(bind=db.engine)


@click.command("initdb", short_help="Upgrade the database and add the tutorial's sample user.")
@click.option(
    "--sample-password", help="Password of the sample user, under signup's rule (default: random)."
)
@click.option("--drop", is_flag=True, help="Delete every table first. Needs --yes.")
@click.option("--yes", is_flag=True, help="Confirm --drop.")
@with_appcontext
def initdb(sample_password, drop, yes):
    """Upgrade the schema to head and add the tutorial's sample user if absent."""
    if drop and not yes:
        raise click.UsageError("--drop deletes every table and row: add --yes to confirm.")
    if sample_password == "":
        # Login requires a password: an empty one would make an account nobody can use.
        raise click.BadParameter("must not be empty.", param_hint="--sample-password")
    # Checked as signup checks it, before anything changes: a weak password drops nothing.
    form = _signup_form(SAMPLE_USER, sample_password or _random_sample_password())
    try:
        require_strong_password(form)
    except Refusal as refusal:
        _fail(_field_lines(refusal.fields) or refusal.message)
    if drop:
        _drop_everything()
        click.echo("Dropped every table.")
    schema.upgrade()
    if User.find_by_login(SAMPLE_USER["user_name"]) or User.is_email_taken(SAMPLE_USER["email"]):
        click.echo(f"Sample user {SAMPLE_USER['user_name']} already exists; left as it is.")
        return
    # End the reads: the password is hashed next.
    db.session.commit()
    signup.add_user(form.data)
    db.session.commit()
    click.echo(f"Created sample user {SAMPLE_USER['user_name']} <{SAMPLE_USER['email']}>.")
    if sample_password is None:
        click.echo(f"Its password is: {form.password.data}")


@click.command("createuser", short_help="Create an account, under the same rules as signup.")
@click.argument("user_name")
@click.argument("email")
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option(
    "--role", type=click.Choice(list(constants.ROLE_BY_NAME)), default="user", show_default=True
)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@with_appcontext
def createuser(user_name, email, first_name, last_name, role, password_stdin):
    """Create a user, with the same rules as signup."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    names = {"user_name": user_name, "first_name": first_name, "last_name": last_name}
    form = _signup_form({**names, "email": email}, password)
    try:
        user = signup.create_account(form, constants.ROLE_BY_NAME[role])
    except Refusal as refusal:
        _fail(_field_lines(_taken_as_typed(refusal.fields, form)) or refusal.message)
    click.echo(f"Created user {user.user_name} <{user.email}> with role {role}.")


@click.command("runserver", short_help="Run the development server (127.0.0.1:5000).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@with_appcontext
def runserver(host, port):
    """Run the development server (debug and reloader follow FLASK_DEBUG)."""
    app = current_app._get_current_object()
    run_simple(host, port, app, use_reloader=app.debug, use_debugger=app.debug, threaded=True)


@click.command(
    "purge-sessions", short_help="Delete expired sessions and pending logins (daily, by cron)."
)
@with_appcontext
def purge_sessions():
    """Delete expired session records and pending logins (they are never honoured anyway),
    in batches of PURGE_BATCH_SIZE rows, each its own transaction."""
    started = time.perf_counter()
    sessions, waiting = store.purge_expired(), pending.purge_expired()
    # Expired passkey challenges and dead tokens too: nothing honours them, and nobody needs
    # a count of them.
    challenges.purge_expired()
    token_store.purge_expired()
    took = time.perf_counter() - started
    click.echo(
        f"Deleted {sessions} expired session(s) and {waiting} pending login(s) in {took:.2f} s."
    )


@click.command("deliver-mail", short_help="Send the outbox's mail as it comes, or once (--once).")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@with_appcontext
def deliver_mail(once):
    """Send the outbox: what is due now (--once), or as it comes until stopped.

    Run it beside app processes started with MAIL_SEND_IN_PROCESS=false, or as well as them:
    senders never send one message twice.
    """
    if once:
        click.echo(f"Sent {deliver_due()} message(s).")
        return
    sender = current_app.extensions[MAIL_SENDER]
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda _signal, _frame: sender.stop())
    click.echo("Sending mail from the outbox; stop with Ctrl-C or SIGTERM.")
    sender.run()
    click.echo("Stopped.")


@click.command(
    "purge-outbox", short_help="Delete old records of sent and failed mail (daily, by cron)."
)
@click.option(
    "--days", default=30, show_default=True, type=click.IntRange(min=0), help="Keep this many."
)
@with_appcontext
def purge_outbox(days):
    """Delete the outbox's record of messages sent or given up on more than --days days ago."""
    deleted = delivery.purge(timedelta(days=days))
    db.session.commit()
    click.echo(f"Deleted {deleted} outbox record(s) older than {days} day(s).")
