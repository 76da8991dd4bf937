"""Operator commands, added to ``app.cli`` (and so to ``manage.py``)."""

import secrets
import sys

import click
import flask_migrate
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import MetaData
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from werkzeug.serving import run_simple

from app import models
from app.extensions import db
from app.sessions import service as sessions
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
    app.shell_context_processor(lambda: {"db": db, "models": models, "User": User})


def _fail(message):
    click.echo(message, err=True)
    sys.exit(1)


def _drop_everything():
    """Drop every table, ``alembic_version`` included, so the upgrade starts from empty."""
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    metadata.drop_all(bind=db.engine)


@click.command("initdb")
@click.option("--sample-password", help="Password of the sample user (default: random).")
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
    if drop:
        _drop_everything()
        click.echo("Dropped every table.")
    flask_migrate.upgrade()
    if User.find_by_login(SAMPLE_USER["user_name"]) or User.is_email_taken(SAMPLE_USER["email"]):
        click.echo(f"Sample user {SAMPLE_USER['user_name']} already exists; left as it is.")
        return
    password = sample_password or secrets.token_urlsafe(12)
    db.session.add(User(**SAMPLE_USER, password=password, role_code=constants.USER))
    db.session.commit()
    click.echo(f"Created sample user {SAMPLE_USER['user_name']} <{SAMPLE_USER['email']}>.")
    if sample_password is None:
        click.echo(f"Its password is: {password}")


@click.command("createuser")
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
    form = SignupForm(
        formdata=MultiDict(
            {
                "user_name": user_name,
                "email": email,
                "first_name": first_name,
                "last_name": last_name,
                "password": password,
                "confirm": password,
            }
        )
    )
    if not form.validate():
        _fail("\n".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items()))
    if User.is_user_name_taken(form.user_name.data):
        _fail(f"user_name: {user_name} is already taken.")
    if User.is_email_taken(form.email.data):
        _fail(f"email: {form.email.data} is already taken.")
    # End the read transaction: the password is scored and hashed next.
    db.session.commit()
    problem = form.password_problem()
    if problem:
        _fail(f"password: {problem}")
    user = User(
        user_name=form.user_name.data,
        email=form.email.data,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        password=password,
        role_code=constants.ROLE_BY_NAME[role],
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        _fail("The user name or email was taken while this command ran.")
    click.echo(f"Created user {user.user_name} <{user.email}> with role {role}.")


@click.command("runserver")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=int, show_default=True)
@with_appcontext
def runserver(host, port):
    """Run the development server (debug and reloader follow FLASK_DEBUG)."""
    app = current_app._get_current_object()
    run_simple(host, port, app, use_reloader=app.debug, use_debugger=app.debug, threaded=True)


@click.command("purge-sessions")
@with_appcontext
def purge_sessions():
    """Delete expired session records (they are never honoured anyway)."""
    click.echo(f"Deleted {sessions.purge_expired()} expired session(s).")
