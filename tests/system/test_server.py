"""The app under real gunicorn (2 workers x 4 threads) on this run's database, over real HTTP."""

import json
import os
import random
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.common import messages
from app.extensions import db
from app.users.models import User
from tests.helpers import CSRF_MISSING, PASSWORD, ROOT
from tests.plugins.accounts import add_token, add_user, bearer
from tests.plugins.databases import make_app
from tests.system.client import TIMEOUT, Client, signup_body

RACERS = 20
PAIRS = 5
# Races send more signups from one IP than the signup limit allows in an hour.
unthrottled = pytest.mark.parametrize(
    "server_env", [{"FLASK_RATELIMIT_ENABLED": "false"}], ids=["unthrottled"]
)


def walkthrough_script(name="curl"):
    """The bash block of the README's ``name`` walk-through, exactly as a reader pastes it."""
    pattern = (
        rf"<!-- {name}-walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- {name}-walkthrough:end -->"
    )
    found = re.search(pattern, (ROOT / "README.md").read_text(), re.S)
    assert found, f"README.md has no ```bash block between the {name}-walkthrough markers"
    return found.group(1)


def all_at_once(calls):
    """Run every call on its own thread, released together by a barrier; their results."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=TIMEOUT)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=TIMEOUT) for future in futures]


def race_signups(server, bodies):
    clients = [Client(server.url).fetch_token() for _ in bodies]
    calls = [
        lambda client=client, body=body: client.call("POST", "/api/auth/signup", body)
        for client, body in zip(clients, bodies, strict=True)
    ]
    return all_at_once(calls)


def count_users(database_url, **where):
    app = make_app(database_url)
    try:
        with app.app_context():
            query = select(func.count()).select_from(User).filter_by(**where)
            return db.session.scalar(query)
    finally:
        with app.app_context():
            db.engine.dispose()


def letter_cases(text, count):
    """``count`` different spellings of ``text`` that differ only in letter case."""
    letters = [i for i, char in enumerate(text) if char.isalpha()]
    variants = []
    for number in range(count):
        chars = list(text)
        for bit, index in enumerate(letters):
            if number >> bit & 1:
                chars[index] = chars[index].upper()
        variants.append("".join(chars))
    return variants


def assert_one_winner(results, field, server):
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (len(results) - 1)
    for status, answer in results:
        if status == 409:
            assert answer["success"] is False
            assert answer["errors"]["message"] == messages.CONFLICT
            assert field in answer["errors"]["fields"]
    log = server.log()
    assert "database is locked" not in log
    assert "Traceback" not in log


def run_bash(script, base_url, tmp_path, **env):
    """``script`` in bash with errors fatal, as the README's reader would paste it."""
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        # No HOME: a reader's ~/.curlrc stays out of it. TMPDIR keeps mktemp's files here.
        env={"PATH": os.environ["PATH"], "BASE": base_url, "TMPDIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_readme_curl_walkthrough_works_on_every_paste(live_server, tmp_path):
    """Pasted twice into the same server, it signs up a new user each time."""
    names = []
    for _ in range(2):
        result = run_bash(walkthrough_script(), live_server.url, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = [line for line in result.stdout.splitlines() if line]
        statuses = [line for line in lines if line.startswith("HTTP ")]
        bodies = [json.loads(line) for line in lines if not line.startswith("HTTP ")]
        assert statuses == ["HTTP 201", "HTTP 200", "HTTP 200", "HTTP 401"]
        signup, verify, logout, after_logout = bodies
        assert signup["message"] == messages.SIGNED_UP
        name = signup["data"]["user_name"]
        assert re.fullmatch(r"curlfan\d+", name)
        assert signup["data"]["email"] == f"{name}@example.com"
        assert verify["data"]["user_name"] == name
        assert logout["message"] == messages.LOGGED_OUT
        assert after_logout["success"] is False
        assert after_logout["errors"]["message"] == messages.NOT_LOGGED_IN
        names.append(name)
    assert names[0] != names[1]


def test_readme_token_helper_prints_an_answer_that_has_no_token(live_server, tmp_path):
    """A refused request: the helper shows the error envelope and fails, no traceback."""
    (helper,) = [line for line in walkthrough_script().splitlines() if line.startswith("token()")]
    refused = 'OUT=$(mktemp)\ncurl -s -o "$OUT" -X POST "$BASE/api/auth/logout"\ntoken\n'
    result = run_bash(f"{helper}\n{refused}", live_server.url, tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert json.loads(result.stderr) == {
        "success": False,
        "errors": {
            "type": messages.CSRF_FAILED_TYPE,
            "message": messages.CSRF_FAILED.format(reason=CSRF_MISSING),
        },
    }


def test_readme_token_walkthrough_needs_no_cookie_and_no_csrf_token(
    live_server, database_url, tmp_path
):
    """A token of the three scopes it names reads the account and its sessions, then ends
    every session, and lives on."""
    app = make_app(database_url)
    account = add_user(app)
    session = Client(live_server.url).fetch_token()
    assert (
        session.call("POST", "/api/auth/login", {"login": "alice", "password": PASSWORD})[0] == 200
    )
    token = add_token(app, account, ("account:read", "sessions:read", "sessions:write"))
    result = run_bash(walkthrough_script("token"), live_server.url, tmp_path, PAT=token)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line]
    assert [line for line in lines if line.startswith("HTTP ")] == ["HTTP 200"] * 3
    verify, sessions, ended = [json.loads(line) for line in lines if not line.startswith("HTTP ")]
    assert verify["data"]["user_name"] == "alice"
    assert len(sessions["data"]) == 1
    assert ended["message"] == messages.ALL_SESSIONS_ENDED
    assert session.call("GET", "/api/auth/verify_auth")[0] == 401
    assert (
        Client(live_server.url).call("GET", "/api/auth/verify_auth", headers=bearer(token))[0]
        == 200
    )


def test_readme_token_walkthrough_asks_for_the_token(tmp_path):
    """With no token it stops before its first request (nothing listens at the address)."""
    result = run_bash(walkthrough_script("token"), "http://127.0.0.1:9", tmp_path)
    assert result.returncode == 1
    assert "PAT: a token, from the account view" in result.stderr


@unthrottled
def test_racing_signups_for_one_user_name(live_server, database_url):
    bodies = [signup_body("racer", f"racer{i}@example.com") for i in range(RACERS)]
    results = race_signups(live_server, bodies)
    assert_one_winner(results, "user_name", live_server)
    assert count_users(database_url, user_name_key="racer") == 1


@unthrottled
def test_racing_signups_for_one_user_name_in_any_case(live_server, database_url):
    bodies = [
        signup_body(name, f"racer{i}@example.com")
        for i, name in enumerate(letter_cases("racer", RACERS))
    ]
    results = race_signups(live_server, bodies)
    assert_one_winner(results, "user_name", live_server)
    assert count_users(database_url, user_name_key="racer") == 1


@unthrottled
def test_racing_signups_for_one_email_in_any_case(live_server, database_url):
    emails = letter_cases("racer@example.com", RACERS)
    assert len(set(emails)) == RACERS
    bodies = [signup_body(f"racer{i}", email) for i, email in enumerate(emails)]
    results = race_signups(live_server, bodies)
    assert_one_winner(results, "email", live_server)
    assert count_users(database_url, email_key="racer@example.com") == 1


@unthrottled
def test_two_concurrent_signups_for_one_user_name(live_server, database_url):
    for pair in range(PAIRS):
        name = f"pair{pair}"
        bodies = [signup_body(name, f"{name}.{i}@example.com") for i in range(2)]
        assert_one_winner(race_signups(live_server, bodies), "user_name", live_server)
        assert count_users(database_url, user_name_key=name) == 1


@unthrottled
def test_two_concurrent_signups_for_one_email(live_server, database_url):
    for pair in range(PAIRS):
        email = f"pair{pair}@example.com"
        bodies = [signup_body(f"pair{pair}x{i}", email) for i in range(2)]
        assert_one_winner(race_signups(live_server, bodies), "email", live_server)
        assert count_users(database_url, email_key=email) == 1


def test_session_holds_across_workers(live_server):
    client = Client(live_server.url).fetch_token()
    status, _ = client.call("POST", "/api/auth/signup", signup_body("walker", "w@example.com"))
    assert status == 201
    assert live_server.log().count("Booting worker") == 2

    verify = [lambda: client.call("GET", "/api/auth/verify_auth")] * RACERS
    results = all_at_once(verify)
    assert [status for status, _ in results] == [200] * RACERS
    assert {answer["data"]["user_name"] for _, answer in results} == {"walker"}

    assert client.call("POST", "/api/auth/logout")[0] == 200
    results = all_at_once(verify)
    assert [status for status, _ in results] == [401] * RACERS
    assert {answer["errors"]["message"] for _, answer in results} == {messages.NOT_LOGGED_IN}


# Races with a password change (security review, issue 8)

CHANGED_PASSWORD = "Zq8#vT2!x-changed-42"
CHANGE = {"current_password": PASSWORD, "password": CHANGED_PASSWORD, "confirm": CHANGED_PASSWORD}
TRIALS = 3
# Logins with the old password start this far apart, from the moment the change is sent: a
# change costs two argon2 hashes, so some of them check the old hash before it commits.
LOGINS, STEP = 8, 0.008
PASSWORD_PATH = "/api/auth/change_password"
# Before the fix, the thief's rotation outlived the change in about one trial of four.
THIEF_TRIALS = 16


def staggered(calls, step):
    """Start ``calls[i]`` ``i * step`` seconds after the first, each on its own thread."""
    barrier = threading.Barrier(len(calls))

    def run(index, call):
        barrier.wait(timeout=TIMEOUT)
        time.sleep(index * step)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, index, call) for index, call in enumerate(calls)]
        return [future.result(timeout=TIMEOUT) for future in futures]


def signed_up(server, name):
    client = Client(server.url).fetch_token()
    status, _ = client.call("POST", "/api/auth/signup", signup_body(name, f"{name}@example.com"))
    assert status == 201
    return client


def logged_in(server, name, password=PASSWORD):
    client = Client(server.url).fetch_token()
    status, _ = client.call("POST", "/api/auth/login", {"login": name, "password": password})
    assert status == 200
    return client


def assert_clean_log(server):
    log = server.log()
    assert "Traceback" not in log
    assert "deadlock" not in log


@unthrottled
def test_no_login_with_the_old_password_outlives_the_change(live_server):
    for trial in range(TRIALS):
        name = f"changer{trial}"
        owner = signed_up(live_server, name)
        racers = [Client(live_server.url).fetch_token() for _ in range(LOGINS)]
        old_login = {"login": name, "password": PASSWORD}
        calls = [lambda owner=owner: owner.call("POST", "/api/auth/change_password", CHANGE)]
        calls += [
            lambda racer=racer, body=old_login: racer.call("POST", "/api/auth/login", body)
            for racer in racers
        ]
        (changed, _), *logins = staggered(calls, STEP)
        assert changed == 200
        assert {status for status, _ in logins} <= {200, 401}
        # Every session a racer got with the old password has ended with the change.
        assert [racer.call("GET", "/api/auth/verify_auth")[0] for racer in racers] == [401] * LOGINS
        assert owner.call("GET", "/api/auth/verify_auth")[0] == 200
    assert_clean_log(live_server)


def timed_call(client, method, path, body=None):
    """``(status, seconds)`` of one call."""
    started = time.monotonic()
    status, _ = client.call(method, path, body)
    return status, time.monotonic() - started


@unthrottled
def test_a_logout_all_racing_the_change_does_not_outlive_it(live_server):
    """A stolen copy of the owner's session rotates itself through logout_all just as the
    owner's password change commits: looked up before the commit, committed after it.

    The thief's call is sent at a random moment around the end of the change; it wins (and
    ends the owner's session, a 401) when it commits first. In every trial where the change
    went through, the thief's session must be dead.
    """
    rng = random.Random(8)
    _, change_time = timed_call(signed_up(live_server, "calibrate"), "POST", PASSWORD_PATH, CHANGE)
    changed = 0
    for trial in range(THIEF_TRIALS):
        name = f"victim{trial}"
        owner = signed_up(live_server, name)
        thief = logged_in(live_server, name)
        delay = change_time * rng.uniform(0.6, 1.1)
        calls = [
            lambda owner=owner: owner.call("POST", PASSWORD_PATH, CHANGE)[0],
            lambda thief=thief, delay=delay: (
                time.sleep(delay) or thief.call("POST", "/api/auth/logout_all")[0]
            ),
        ]
        owner_status, thief_status = all_at_once(calls)
        # One of the two wins; before the fix, both did.
        assert (owner_status, thief_status) in {(200, 401), (401, 200)}
        if owner_status == 200:
            changed += 1
            assert thief.call("GET", "/api/auth/verify_auth")[0] == 401
            assert owner.call("GET", "/api/auth/verify_auth")[0] == 200
    assert changed >= THIEF_TRIALS // 4
    assert_clean_log(live_server)


@unthrottled
def test_parallel_logins_are_all_counted(live_server, database_url):
    signed_up(live_server, "counted")
    clients = [Client(live_server.url).fetch_token() for _ in range(RACERS)]
    body = {"login": "counted", "password": PASSWORD}
    results = all_at_once([lambda c=c: c.call("POST", "/api/auth/login", body) for c in clients])
    assert [status for status, _ in results] == [200] * RACERS
    app = make_app(database_url)
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(user_name="counted"))
    assert user.login_count == RACERS + 1
