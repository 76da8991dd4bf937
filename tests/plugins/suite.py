"""The suite's own rules: a skipped test fails, Hypothesis repeats its examples, and a timing
test runs alone."""

import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

from app.users import policy

# The fuzz tests draw the same examples on every run, so that CI and a newcomer's run pass or
# fail alike; HYPOTHESIS_PROFILE=explore draws new ones each time, to search further.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test is a failure: something the suite needs was not installed.

    Everywhere, not only where ``CI`` is set: CI runs may not set it, and no test of this suite
    has a reason to skip (tests for another database are deselected by marker instead).
    """
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped, but every selected test must run: {report.longrepr}"
    return report


@pytest.fixture
def no_scoring(monkeypatch):
    """Fail the test if any password reaches zxcvbn."""

    def fail(*args, **kwargs):
        raise AssertionError("zxcvbn must not score this password")

    monkeypatch.setattr(policy, "zxcvbn", fail)


class Turns:
    """Who may run now, between the pytest-xdist workers of one run, through two lock files.

    Every test holds the room shared; a test marked ``timing`` holds it alone, so that what
    it measures is not slowed by a test beside it. It shuts the gate first, so that no test
    starts while it waits for the running ones to end.
    """

    def __init__(self, folder):
        self.gate = Path(folder, "gate").open("a")  # noqa: SIM115 - held for the whole run
        self.room = Path(folder, "room").open("a")  # noqa: SIM115

    @contextmanager
    def turn(self, alone):
        fcntl.flock(self.gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(self.room, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            if not alone:
                fcntl.flock(self.gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(self.room, fcntl.LOCK_UN)
            if alone:
                fcntl.flock(self.gate, fcntl.LOCK_UN)

    def close(self):
        self.gate.close()
        self.room.close()


# The lock files' folder, made by the controller of a pytest-xdist run; a worker's Turns.
_folder = []
_turns = []


def pytest_configure(config):
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        _turns.append(Turns(workerinput["turns_folder"]))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """On the controller, as each worker starts: one folder for the whole run."""
    if not _folder:
        _folder.append(tempfile.mkdtemp(prefix="flask-auth-turns-"))
    node.workerinput["turns_folder"] = _folder[0]


def pytest_unconfigure(config):
    while _turns:
        _turns.pop().close()
    while _folder:
        shutil.rmtree(_folder.pop(), ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Set-up, call and teardown of each test inside its turn."""
    if not _turns:
        return (yield)
    with _turns[0].turn(alone=item.get_closest_marker("timing") is not None):
        return (yield)
