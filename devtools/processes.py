"""Free loopback ports, and servers started in the background and always stopped."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
# A path every server here answers, with a 200 or an error: ready once it answers at all.
PROBE = "/api/auth/csrf"


def free_port() -> int:
    """A TCP port on the loopback address that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def stop_process(process, timeout=15):
    """Terminate ``process`` (and its process group, if it leads one), wait, kill if it lingers."""
    if process.poll() is not None:
        return
    leads_group = os.getpgid(process.pid) == process.pid
    send = (lambda sig: os.killpg(process.pid, sig)) if leads_group else process.send_signal
    send(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        process.wait()


def gunicorn_command(app="app:create_app()", port=None, python=sys.executable, options=()):
    """The command that serves ``app`` under gunicorn on ``HOST:port``."""
    return [
        python,
        *("-m", "gunicorn", app),
        *("--bind", f"{HOST}:{port}"),
        "--no-control-socket",  # parallel servers would share one socket path
        *options,
    ]


class Server:
    """A command serving HTTP on ``port``, in a process group of its own, its output in
    ``log_path``. ``start`` returns once ``PROBE`` answers; ``stop`` ends the whole group.
    Its ``url`` names ``public_host``: the loopback address, or a name for it such as
    ``localhost`` (browsers refuse WebAuthn at an IP address)."""

    def __init__(self, command, port, env, log_path, cwd=ROOT, timeout=30, public_host=HOST):
        self.command, self.port, self.env = command, port, env
        self.log_path, self.cwd, self.timeout = Path(log_path), cwd, timeout
        self.public_host = public_host
        self.process = None

    @property
    def url(self) -> str:
        return f"http://{self.public_host}:{self.port}"

    def log(self, since=0) -> str:
        """The output so far, from byte ``since`` on (a ``log_size`` taken earlier)."""
        with self.log_path.open("rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace")

    def log_size(self) -> int:
        """How many bytes of output there are so far: where what comes next will start."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def start(self):
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.timeout
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.command} did not start:\n{self.log()}")
            time.sleep(0.1)
        return self

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + PROBE, timeout=2):  # noqa: S310 - http, ours
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False

    def children(self) -> list[int]:
        """The process ids of the server's children (gunicorn's workers)."""
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def stop(self):
        if self.process is not None:
            stop_process(self.process)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def app_server(
    database_url,
    log_path,
    workers=2,
    threads=4,
    env=None,
    python=sys.executable,
    public_host=HOST,
):
    """The app under gunicorn on a free port, configured as in production but over plain HTTP
    (the server behind the TLS proxy), on ``database_url``; not started yet. It listens on
    ``HOST``; its public address is ``http://<public_host>:<port>`` (``localhost`` for a
    browser that must use WebAuthn), and its mail goes only to the log unless ``env`` names a
    MAIL_URL."""
    port = free_port()
    environment = {
        **os.environ,
        "APP_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "PUBLIC_URL": f"http://{public_host}:{port}",
        "MAIL_URL": "log://",
        "FLASK_MAIL_SEND_IN_PROCESS": "true",
        "FLASK_SESSION_COOKIE_SECURE": "false",
        **(env or {}),
    }
    options = ("--workers", str(workers), "--threads", str(threads))
    return Server(
        gunicorn_command(port=port, python=python, options=options),
        port,
        environment,
        log_path,
        public_host=public_host,
    )
