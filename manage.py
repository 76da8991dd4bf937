"""The operator's commands: ``python manage.py COMMAND``, on Flask's Click CLI.

Our own commands say what they do in their ``short_help`` (``app/commands.py`` and the modules
it registers). Those that come from Flask, Flask-Migrate and Flask-Limiter are described here,
in the same plain words, so that ``--help`` lists every command, each on one line.
"""

from flask.cli import FlaskGroup

from app import create_app

HELP = """Run the auth service's operator commands: the database, accounts, sessions, mail and
the second factor.

`python manage.py COMMAND --help` shows a command's options; docs/operations.md describes each
one."""
# The commands that libraries add, as --help lists them.
LIBRARY_COMMANDS = {
    "db": "Migrate the database; `db upgrade` brings it up to date.",
    "limiter": "Show the rate limits, or clear the counts of one client.",
    "routes": "List every address the app answers, with its methods.",
    "run": "Run Flask's own development server (like runserver).",
    "shell": "A Python shell with app, db, models and User loaded.",
}


class Commands(FlaskGroup):
    """Flask's command group, with the libraries' commands described in plain words."""

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None and name in LIBRARY_COMMANDS:
            command.short_help = LIBRARY_COMMANDS[name]
        return command


cli = Commands(create_app=create_app, help=HELP)

if __name__ == "__main__":
    cli()
