"""Schemathesis, fuzzing the app under gunicorn from openapi.yaml.

Every phase (the examples, the coverage cases, fuzzing, the stateful phase along the document's
links) and every check but ``object_level_authorization``, as ``schemathesis.toml`` (beside this
file) and the command below set them: with a fixed seed, so that a failure repeats, and with
the rate limits off, which would otherwise answer most cases with a 429. The fuzzer's account
is staff. Every case has a live session of it (``tests/system/schemathesis_hooks.py``), because
the fuzzer logs itself out too; a second, shorter run sends a live personal access token of it
instead, to every operation a token may call.
"""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.personal_tokens.models import PersonalToken
from app.personal_tokens.scopes import SCOPES, grantable
from app.users.constants import STAFF
from tests.contract import DOCUMENT_PATH, OPERATIONS
from tests.helpers import PASSWORD, ROOT, set_role
from tests.plugins.databases import make_app
from tests.system.client import Client, signup_body

CONFIG_PATH = Path(__file__).with_name("schemathesis.toml")
SEED = tomllib.loads(CONFIG_PATH.read_text())["seed"]
# It replays one user's reads as other users ("peers"), whom only a Web Fuzzing Commons auth
# file can name, and that file's one-request login cannot first fetch the CSRF token our login
# needs. The API tests send other users' ids (sessions, passkeys) themselves.
NOT_APPLICABLE = ["object_level_authorization"]
PHASES = ["Examples", "Coverage", "Fuzzing", "Stateful"]
TIMEOUT = 900


# Every scope a staff member may grant, which is the fuzzer's role.
BEARER_SCOPES = [scope for scope in SCOPES if scope in grantable(STAFF)]
# What a token may call: the operations whose security names a scope.
BEARER_OPERATIONS = [
    (method, path, operation)
    for method, path, operation in OPERATIONS
    if any("bearer" in requirement for requirement in operation.get("security", []))
]
unthrottled = pytest.mark.parametrize(
    "server_env", [{"FLASK_RATELIMIT_ENABLED": "false"}], ids=["unthrottled"]
)
# Once, on SQLite: the document is the same on both databases, and the bodies that PostgreSQL
# may take otherwise (a NUL byte, any text in any field) are tests/test_fuzz.py's, on both.
pytestmark = pytest.mark.sqlite


def fuzz(live_server, tmp_path, database_url, options=(), scopes=()):
    """Run Schemathesis as the fuzzer's account with ``options``; its output and the names of
    the operations it tested."""
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
        *("--config-file", str(CONFIG_PATH)),
        "run",
        str(DOCUMENT_PATH),
        *("--url", live_server.url),
        *("--checks", "all"),
        *("--exclude-checks", ",".join(NOT_APPLICABLE)),
        *("--report", "junit", "--report-dir", str(tmp_path)),
        "--no-color",
        *options,
    ]
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FUZZ_BASE_URL": live_server.url,
        "FUZZ_LOGIN": "fuzzer",
        "FUZZ_PASSWORD": PASSWORD,
        "FUZZ_SCOPES": " ".join(scopes),
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
    assert "Traceback" not in live_server.log()
    return result.stdout, {case.get("name") for case in suites.iter("testcase")}


def names(operations):
    return {f"{method.upper()} {path}" for method, path, _ in operations}


@unthrottled
def test_schemathesis_finds_nothing_wrong(live_server, tmp_path, database_url):
    output, tested = fuzz(live_server, tmp_path, database_url)
    # Each phase ran and passed; the stateful phase followed links.
    for phase in PHASES:
        assert re.search(rf"^ +✅ {phase}$", output, re.M), output
    followed = re.search(r"API Links: +(\d+) covered", output)
    assert followed and int(followed.group(1)) > 0, output
    assert tested >= names(OPERATIONS)


@unthrottled
def test_schemathesis_finds_nothing_wrong_with_a_bearer_token(live_server, tmp_path, database_url):
    """Every operation a token may call, with a token of every scope a staff member may
    grant and no cookie: the examples, the coverage cases and a few fuzzed ones each."""
    only = [
        option
        for _, _, operation in BEARER_OPERATIONS
        for option in ("--include-operation-id", operation["operationId"])
    ]
    options = [*only, "--phases", "examples,coverage,fuzzing", "--max-examples", "5"]
    _, tested = fuzz(live_server, tmp_path, database_url, options, BEARER_SCOPES)
    assert tested == names(BEARER_OPERATIONS)
    # The cases went with a token: the fuzzer's was used.
    app = make_app(database_url)
    with app.app_context():
        used = select(func.count()).where(PersonalToken.last_used_at.is_not(None))
        assert db.session.scalar(used) >= 1
