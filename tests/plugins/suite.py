"""The suite's own rules: a skipped test fails, and Hypothesis repeats its examples."""

import os

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
