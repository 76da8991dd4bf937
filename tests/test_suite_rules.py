"""The suite's own rules: a skipped test fails, wherever the suite runs."""

import os
import subprocess
import sys

from tests.helpers import ROOT


def test_a_skipped_test_fails_the_run(tmp_path):
    module = tmp_path / "test_needs_something.py"
    module.write_text(
        "import pytest\n\n\ndef test_needs_chromium():\n    pytest.skip('chromium is missing')\n"
    )
    # The suite's rules as a plugin, on a test file outside the suite; CI unset on purpose.
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tests.plugins.suite",
        "-p",
        "no:cacheprovider",
    ]
    result = subprocess.run(
        [*command, "-q", "--rootdir", str(tmp_path), str(module)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "skipped, but every selected test must run" in result.stdout
    assert "chromium is missing" in result.stdout
