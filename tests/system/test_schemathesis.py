"""Schemathesis, fuzzing the app under gunicorn from openapi.yaml.

Its checks: no server errors, every status listed, every content type and body as described,
and every case that breaks the document's rules refused. It runs with a fixed seed, so that a
failure repeats, and with the rate limits off, which would otherwise answer most cases with a
429. The fuzzer's account is staff. Each case logs in afresh
(``tests/system/schemathesis_hooks.py``), because the fuzzer calls logout too.
"""

import os
import subprocess
import sys
from xml.etree import ElementTree

import pytest

from tests.contract import DOCUMENT_PATH, OPERATIONS
from tests.helpers import PASSWORD, ROOT, set_role
from tests.plugins.databases import make_app
from tests.system.client import Client, signup_body

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]
SEED = 2026
MAX_EXAMPLES = 20
TIMEOUT = 900


@pytest.mark.parametrize("server_env", [{"FLASK_RATELIMIT_ENABLED": "false"}], ids=["unthrottled"])
def test_schemathesis_finds_nothing_wrong(live_server, tmp_path, database_url):
    status, _ = (
        Client(live_server.url)
        .fetch_token()
        .call("POST", "/api/auth/signup", signup_body("fuzzer", "fuzzer@example.com"))
    )
    assert status == 201
    # Staff: the admin API's reads are fuzzed past the role check. Not an admin: its cases
    # would sign up a second admin, then disable the fuzzer's own account.
    set_role(make_app(database_url), "fuzzer", "staff")
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"),
        "run",
        str(DOCUMENT_PATH),
        *("--url", live_server.url),
        *("--checks", ",".join(CHECKS)),
        *("--seed", str(SEED)),
        *("--max-examples", str(MAX_EXAMPLES)),
        *("--workers", "1"),
        *("--generation-database", "none"),
        *("--report", "junit", "--report-dir", str(tmp_path)),
        "--no-color",
    ]
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.system.schemathesis_hooks",
        "FUZZ_BASE_URL": live_server.url,
        "FUZZ_LOGIN": "fuzzer",
        "FUZZ_PASSWORD": PASSWORD,
    }
    # From the test's own folder, where Schemathesis leaves its cache.
    result = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Seed: {SEED}" in result.stdout
    (report,) = tmp_path.glob("junit-*.xml")
    suites = ElementTree.parse(report).getroot()  # noqa: S314 - the report Schemathesis just wrote
    assert (suites.get("failures"), suites.get("errors")) == ("0", "0"), result.stdout
    tested = {case.get("name") for case in suites.iter("testcase")}
    assert tested >= {f"{method.upper()} {path}" for method, path, _ in OPERATIONS}
    assert "Traceback" not in live_server.log()
