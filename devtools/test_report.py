"""The end of scripts/test.sh: each pass's outcome, wall time and counts, and its slowest tests.

``python -m devtools.test_report NAME=REPORT.xml:STATUS:SECONDS ...`` reads the JUnit XML that
pytest wrote for each pass (``--junitxml``). A test's time is its set-up, call and teardown
together, as pytest's JUnit report gives it, so that a slow fixture counts against its test.
"""

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

SLOWEST = 20
OUTCOMES = ("failure", "error", "skipped")


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def cases(report: Path) -> list:
    """``(seconds, outcome, test id)`` for each test case of ``report``."""
    found = []
    for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314 - pytest's own file
        outcome = next((tag for tag in OUTCOMES if case.find(tag) is not None), "passed")
        name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        found.append((float(case.get("time", 0)), outcome, name))
    return found


def summary(name: str, report: Path, status: int, seconds: float) -> list[str]:
    outcome = "passed" if status == 0 else f"FAILED (pytest exit status {status})"
    lines = [f"Pass {name}: {outcome} in {minutes(seconds)} wall"]
    if not report.exists():
        return [*lines, "  (no report: pytest did not get as far as running tests)"]
    found = cases(report)
    counts = {kind: sum(1 for case in found if case[1] == kind) for kind in ("passed", *OUTCOMES)}
    lines.append("  " + ", ".join(f"{count} {kind}" for kind, count in counts.items() if count))
    lines.append(f"  test time {minutes(sum(case[0] for case in found))}; slowest {SLOWEST}:")
    lines += [f"  {seconds:7.2f}s  {test}" for seconds, _, test in sorted(found)[::-1][:SLOWEST]]
    return lines


def main(arguments) -> int:
    for argument in arguments:
        name, rest = argument.split("=", 1)
        report, status, seconds = rest.rsplit(":", 2)
        print("\n".join(summary(name, Path(report), int(status), float(seconds))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
