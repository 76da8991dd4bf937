"""Live servers: the app under gunicorn, as in production but over plain HTTP."""

import pytest

from devtools.processes import app_server


def start_server(database_url, log_path, workers=2, threads=4, env=None):
    """Serve the app under gunicorn on a free loopback port; return once it answers."""
    return app_server(database_url, log_path, workers, threads, env).start()


@pytest.fixture
def server_env():
    """Extra environment for ``live_server``; a test parametrizes it to change the server."""
    return {}


@pytest.fixture
def servers(tmp_path):
    """``servers(database_url, **env)``: another gunicorn server; all are stopped after."""
    started = []

    def start(database_url, **env):
        log_path = tmp_path / f"gunicorn{len(started)}.log"
        started.append(start_server(database_url, log_path, env=env))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_server(database_url, tmp_path, server_env):
    """The app under gunicorn (2 workers, 4 threads each) on this test's database."""
    server = start_server(database_url, tmp_path / "gunicorn.log", env=server_env)
    yield server
    server.stop()
