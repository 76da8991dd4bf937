"""One gunicorn at a time on a free loopback port, always stopped, with its workers' CPU
seconds and peak resident memory read from /proc."""

import os
import re
from pathlib import Path
from typing import ClassVar

from bench.settings import BIN, GUNICORN_OPTIONS, SYNC, WORKERS
from devtools.processes import HOST, free_port
from devtools.processes import Server as ProcessServer


class Server(ProcessServer):
    """A gunicorn serving ``app``, ready once all its workers run and it answers."""

    running: ClassVar[list["Server"]] = []

    def __init__(self, name, app, chdir, env, logdir, worker_class=SYNC):
        port = free_port()
        command = [str(BIN / "gunicorn"), *GUNICORN_OPTIONS[worker_class]]
        command += ["--bind", f"{HOST}:{port}", "--chdir", str(chdir), app]
        super().__init__(command, port, env, Path(logdir) / f"{name}.log", cwd=chdir, timeout=60)
        self.name = name

    def __enter__(self):
        Server.running.append(self)
        return super().__enter__()

    def ready(self) -> bool:
        return len(self.workers()) == WORKERS and super().ready()

    def workers(self) -> list[int]:
        return self.children()

    def cpu_seconds(self) -> float:
        """User and system CPU time of the workers so far."""
        ticks = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def peak_rss_mib(self) -> float:
        """The largest VmHWM (peak resident set) among the workers, in MiB."""
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024)
        if len(peaks) != WORKERS:
            raise RuntimeError(f"{self.name}: expected {WORKERS} workers, found {len(peaks)}")
        return max(peaks)

    def stop(self):
        super().stop()
        if self in Server.running:
            Server.running.remove(self)


def stop_all():
    for server in list(Server.running):
        server.stop()
