"""Fixtures in the style of Flask's tutorial: ``app``, ``client``, ``runner`` and ``auth``, and
``bare_config`` for code that needs no database; accounts made straight in the database
(``user``, ``logged_in_client``, ``user_with_totp``, ``user_with_passkey``) come from
``tests/plugins/accounts.py``.

Each test has a database of its own (``tests/plugins/databases.py``), CSRF protection stays
on, and every answer under ``/api/`` is held to ``openapi.yaml`` (``tests/contract.py``).
"""

import os

# The suite decides its database and secrets; a developer's environment must not leak in.
for _variable in (
    "DATABASE_URL",
    "SECRET_KEY",
    "REDIS_URL",
    "PUBLIC_URL",
    "MAIL_URL",
    "MAIL_FROM",
    "MFA_KEY",
    "SECRET_KEY_FALLBACKS",
):
    os.environ.pop(_variable, None)
for _variable in [name for name in os.environ if name.startswith("FLASK_")]:
    os.environ.pop(_variable)
os.environ["APP_CONFIG"] = "testing"
# No app of the suite runs a mail sender thread unless its test asks for one (tests deliver
# with ``Mailbox.deliver``); a thread would outlive the test's database. The live servers,
# which run as deployed, turn it back on (devtools.processes.app_server).
os.environ["FLASK_MAIL_SEND_IN_PROCESS"] = "false"

import pytest  # noqa: E402

# The helpers' asserts report like a test's own.
pytest.register_assert_rewrite("tests.contract", "tests.helpers", "tests.plugins")

from flask import Flask  # noqa: E402

from tests.contract import ContractClient  # noqa: E402
from tests.helpers import AuthActions  # noqa: E402
from tests.plugins.databases import make_app  # noqa: E402

pytest_plugins = [
    "tests.plugins.accounts",
    "tests.plugins.databases",
    "tests.plugins.mail",
    "tests.plugins.servers",
    "tests.plugins.shared",
    "tests.plugins.suite",
]

# Every app the suite builds, however it is built, answers its test client through openapi.yaml.
Flask.test_client_class = ContractClient


@pytest.fixture
def app(database_url):
    # make_app's apps are disposed of with the test's database (database_url).
    return make_app(database_url)


@pytest.fixture
def bare_config():
    """``bare_config(**settings)``: the context of a bare Flask app (no database) with
    ``settings``, pushed until the test ends, for code that reads ``current_app.config`` alone."""
    contexts = []

    def push(**settings):
        app = Flask(__name__)
        app.config.update(settings)
        context = app.app_context()
        context.push()
        contexts.append(context)

    yield push
    for context in reversed(contexts):
        context.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)
