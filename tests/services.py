"""Private PostgreSQL clusters and Redis servers that a test may stop and start again.

The Python twin of ``scripts/services.sh``: on a free loopback port, in a directory of their
own. As root, PostgreSQL's tools run as the ``postgres`` user (initdb and pg_ctl refuse
root), in a directory that user owns.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from sqlalchemy.engine import URL

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


def stop_process(process):
    """Terminate ``process`` and wait for it; kill it if it lingers."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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
            "postgresql", username="postgres", host="127.0.0.1", port=self.port, database="postgres"
        ).render_as_string()

    def _ctl(self, program, *args):
        command = [str(self.bin / program), *map(str, args)]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        _run(command, cwd=self.root)

    def start(self):
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
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
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        command = [
            "redis-server",
            *("--port", str(self.port), "--bind", "127.0.0.1"),
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
