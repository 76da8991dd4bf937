"""Throwaway PostgreSQL clusters and Redis servers, which a test may stop and start again.

Each runs on a free loopback port, in a directory of its own, without durability (nothing
here is kept). As root, PostgreSQL's tools run as the ``postgres`` user (initdb and pg_ctl
refuse root), in a directory that user owns.

``python -m devtools.services COMMAND...`` runs COMMAND with one of each, their URLs in
``TEST_DATABASE_URL`` and ``TEST_REDIS_URL``, and removes both afterwards, whatever happens.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from sqlalchemy.engine import URL

from devtools.processes import HOST, free_port, stop_process

TIMEOUT = 60
PG_ROOT = Path("/usr/lib/postgresql")


def pg_bin() -> Path:
    """Debian's newest PostgreSQL programs, which are not on PATH."""
    versions = sorted(
        (path for path in PG_ROOT.glob("*/bin") if path.parent.name.isdigit()),
        key=lambda path: int(path.parent.name),
    )
    if not versions:
        raise RuntimeError(f"PostgreSQL is not installed (nothing in {PG_ROOT}/*/bin)")
    return versions[-1]


def _run(command, cwd):
    subprocess.run(command, cwd=cwd, check=True, timeout=TIMEOUT, capture_output=True, text=True)


class PostgresCluster:
    """A throwaway PostgreSQL cluster: ``start``, ``stop`` and ``start`` again, ``remove``."""

    def __init__(self, port):
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="flask-auth-pg-"))
        self.data = self.root / "data"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self.bin = pg_bin()
        self._ctl(
            "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"
        )

    @property
    def url(self) -> str:
        return URL.create(
            "postgresql", username="postgres", host=HOST, port=self.port, database="postgres"
        ).render_as_string()

    def _ctl(self, program, *args):
        command = [str(self.bin / program), *map(str, args)]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        _run(command, cwd=self.root)

    def start(self):
        options = (
            f"-p {self.port} -c listen_addresses={HOST} -k {self.root} -c max_connections=300 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = self.root / "log"
        self._ctl("pg_ctl", "-D", self.data, "-l", log, "-w", "-t", TIMEOUT, "-o", options, "start")

    def stop(self, mode="fast"):
        self._ctl("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", TIMEOUT, "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self):
        """Stop the cluster if it runs, and delete its files."""
        try:
            if self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class RedisServer:
    """A throwaway redis-server in the foreground of a child process, without persistence."""

    def __init__(self, port):
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="flask-auth-redis-"))
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self):
        command = [
            "redis-server",
            *("--port", str(self.port), "--bind", HOST),
            *("--save", "", "--appendonly", "no", "--dir", str(self.root)),
        ]
        with (self.root / "log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + TIMEOUT
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        log_text = (self.root / "log").read_text(errors="replace")
                        raise RuntimeError(f"redis-server did not start:\n{log_text}") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self):
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def remove(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def run_with_services(command) -> int:
    """Run ``command`` with a throwaway PostgreSQL and Redis; its exit status."""
    # A TERM (CI's timeout, a Ctrl-C in test.sh) still removes both servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cluster, store = PostgresCluster(free_port()), RedisServer(free_port())
    try:
        cluster.start()
        store.start()
        print(f"PostgreSQL at {cluster.url}, Redis at {store.url}", flush=True)
        env = {**os.environ, "TEST_DATABASE_URL": cluster.url, "TEST_REDIS_URL": store.url}
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        store.remove()
        cluster.remove()


if __name__ == "__main__":
    sys.exit(run_with_services(sys.argv[1:]))
