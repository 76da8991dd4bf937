"""BENCH_PROFILE=1: py-spy on both workers of ours, under wrk on verify_auth and during
logins, and the hot functions it found."""

import re
import signal
import subprocess
import time
from pathlib import Path

from bench.apps import ours_env
from bench.client import ours_login
from bench.figures import warm
from bench.load import throughput
from bench.servers import Server
from bench.settings import BIN, ROOT, SESSION_USER


def profile_ours(logdir, url, tmp):
    """py-spy on both workers of ours: under wrk on verify_auth, then during logins."""
    with Server("ours-profile", "app:create_app()", ROOT, ours_env(url), logdir) as srv:
        jar, _ = ours_login(srv.port, SESSION_USER)
        warm(srv.port, jar)
        raw = spy(srv, Path(tmp) / "verify", lambda: throughput(srv, jar.cookie()))
        print_profile(raw, "ours under wrk on verify_auth")
        raw = spy(
            srv, Path(tmp) / "login", lambda: [ours_login(srv.port, i) for i in range(1, 101)]
        )
        print_profile(raw, "ours during 100 sequential logins (each with its GET /csrf)")


def spy(srv, prefix, load) -> list[Path]:
    outputs, spies = [], []
    for i, pid in enumerate(srv.workers()):
        outputs.append(Path(f"{prefix}.{i}.txt"))
        command = [str(BIN / "py-spy"), "record", "--nonblocking", "--format", "raw"]
        command += ["--rate", "500", "--pid", str(pid), "--output", str(outputs[-1])]
        spies.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    time.sleep(1)  # py-spy attaches
    try:
        load()
    finally:
        for process in spies:
            process.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        for process in spies:
            process.wait(timeout=60)
    return [path for path in outputs if path.exists()]


def _frames(stack):
    return [
        re.sub(r":\d+\)$", ")", re.sub(r" \(\S*?(site-packages|python3\.\d+)/", " (", f))
        for f in stack.split(";")
    ]


def print_profile(raws: list[Path], title: str, top=16):
    """Inclusive and self shares per function, of the samples in which a worker was busy."""
    inclusive, own, total = {}, {}, 0
    for raw in raws:
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = _frames(stack)
            if not any(f.startswith("Flask.__call__ ") for f in frames):
                continue  # gunicorn between requests: accept, parse, write, close
            count = int(count)
            total += count
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + count
            own[frames[-1]] = own.get(frames[-1], 0) + count
    if not total:
        print(f"\npy-spy, {title}: no samples")
        return
    print(f"\npy-spy, {title}: {total} samples inside Flask.__call__ = 100%")
    print("  incl.   self  function")
    ranked = [kv for kv in sorted(inclusive.items(), key=lambda kv: -kv[1]) if kv[1] < total]
    for frame, count in ranked[:top]:
        print(f"{100 * count / total:6.1f}% {100 * own.get(frame, 0) / total:5.1f}%  {frame}")
    print("  the app's own functions:")
    for frame, count in [kv for kv in ranked if " (app/" in kv[0]][:12]:
        print(f"{100 * count / total:6.1f}% {100 * own.get(frame, 0) / total:5.1f}%  {frame}")
