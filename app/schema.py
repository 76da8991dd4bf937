"""The schema's migrations: Flask-Migrate (and Alembic under it), attached on first use.

A serving worker never migrates, and Alembic costs each one megabytes: so nothing here
imports Flask-Migrate until a ``db`` command, ``initdb`` or a test asks for it.
"""

import os

import click
from flask import current_app
from flask.cli import ScriptInfo

from app.extensions import db

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
EXTENSION = "migrate"


def attach(app):
    """Flask-Migrate on ``app`` (its ``db`` commands included), once."""
    if EXTENSION in app.extensions:
        return
    from flask_migrate import Migrate

    Migrate(render_as_batch=True, compare_type=True).init_app(app, db, directory=MIGRATIONS_DIR)


def upgrade():
    """Upgrade the current app's database to the newest revision (``db upgrade``)."""
    import flask_migrate

    attach(current_app)
    flask_migrate.upgrade()


class MigrationCommands(click.Group):
    """``db``: Flask-Migrate's group, its options and commands loaded when it is used."""

    def _load(self, ctx):
        if not self.commands:
            attach(ctx.ensure_object(ScriptInfo).load_app())
            from flask_migrate.cli import db as migrations

            self.params, self.callback = migrations.params, migrations.callback
            self.commands = migrations.commands

    def parse_args(self, ctx, args):
        self._load(ctx)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):
        self._load(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        self._load(ctx)
        return super().get_command(ctx, name)


def register(app):
    app.cli.add_command(MigrationCommands("db", help="Perform database migrations."))
