"""Operator commands: initdb, shell, createuser, runserver and Flask-Migrate's ``db``.

Built on Flask's Click CLI: Flask-Script does not import on Flask 2 or later.
"""

from flask.cli import FlaskGroup

from app import create_app

cli = FlaskGroup(create_app=create_app, help=__doc__)

if __name__ == "__main__":
    cli()
