"""Throttling: route limits per IP and per user, the failure count per login string, the
switch, the storage, and the client IP behind trusted proxies."""

import re
import subprocess
import threading
import time
import warnings

import pytest
import redis
from flask import request
from limits.storage import MemoryStorage, RedisStorage
from sqlalchemy import select

from app.common import messages
from app.extensions import db, limiter
from app.security import throttle
from app.users.models import User
from tests.helpers import PASSWORD, AuthActions, assert_error
from tests.plugins.accounts import add_user
from tests.plugins.databases import make_app

NEW_PASSWORD = "a brand new passphrase 42"
POSITIVE_INTEGER = re.compile(r"\A[1-9][0-9]*\Z")
SOCKET_ADDRESS = "127.0.0.1"  # the test client's REMOTE_ADDR
# Each of Alice's names, in spellings that share its failure count.
ALICE_NAMES = ["alice", "Alice", "ALICE", " alice ", "aLiCe"]
ALICE_EMAILS = [
    "alice@example.com",
    "Alice@Example.COM",
    "ALICE@example.com",
    "alice@EXAMPLE.com",
    " Alice@example.com ",
]


@pytest.fixture
def build(database_url):
    """``build(**overrides)``: an app on this test's database; engines are disposed after.

    Flask-Limiter keeps one storage per process: the app built last owns the counts.
    """
    apps = []

    def build(**overrides):
        apps.append(make_app(database_url, **overrides))
        return apps[-1]

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def stored_user(app, user_name="alice"):
    with app.app_context():
        return db.session.scalar(select(User).where(User.user_name == user_name))


def client_of(app, ip=None):
    """An AuthActions on a new client, connecting from ``ip`` when given."""
    client = app.test_client()
    if ip is not None:
        client.environ_base["REMOTE_ADDR"] = ip
    return AuthActions(client)


def assert_throttled(response, message):
    """The 429 envelope, with a Retry-After of whole seconds to wait."""
    assert_error(response, 429, message)
    assert POSITIVE_INTEGER.match(response.headers["Retry-After"])


def wait_out_the_window(started, seconds=2):
    """Sleep until a window of ``seconds`` that opened at ``started`` (monotonic) has passed.
    Moving windows open at each counted attempt: ``started`` is taken after the last of them,
    or a loaded machine's slow requests leave one inside the window still."""
    time.sleep(max(0, started + seconds + 0.1 - time.monotonic()))


def assert_refused(response):
    assert_error(response, 401, messages.INVALID_CREDENTIALS)


def attempt(auth, login="alice", password=PASSWORD, **kwargs):
    """A login form post; ``kwargs`` go to the test client (headers, for one)."""
    return auth.post("/api/auth/login", {"login": login, "password": password}, **kwargs)


def fail_logins(auth, logins, **kwargs):
    """One wrong-password login per entry of ``logins``, each refused with a 401."""
    for login in logins:
        assert_refused(attempt(auth, login, "wrong password", **kwargs))


# Login: 30 per minute per client IP


@pytest.mark.parametrize(
    ("login", "password"),
    [("alice", PASSWORD), ("alice", "wrong password"), ("nobody", PASSWORD)],
)
def test_31st_login_in_a_minute_from_one_ip_is_429(app, auth, login, password):
    add_user(app)
    # Distinct unknown logins, so that no account reaches its failure limit.
    fail_logins(auth, [f"nobody{number}" for number in range(30)])
    assert_throttled(auth.login(login, password), messages.TOO_MANY_REQUESTS)


def test_login_limit_is_per_ip(build):
    app = build(LOGIN_RATE_LIMIT="2 per minute")
    add_user(app)
    fail_logins(client_of(app), ["nobody1", "nobody2"])
    assert client_of(app, "198.51.100.7").login().status_code == 200


def test_login_limit_is_configurable(build):
    auth = client_of(build(LOGIN_RATE_LIMIT="2 per minute"))
    fail_logins(auth, ["nobody1", "nobody2"])
    assert_throttled(auth.login("nobody3"), messages.TOO_MANY_REQUESTS)


def test_login_limit_is_configurable_from_the_environment(build, monkeypatch):
    monkeypatch.setenv("FLASK_LOGIN_RATE_LIMIT", "2 per minute")
    auth = client_of(build())
    fail_logins(auth, ["nobody1", "nobody2"])
    assert_throttled(auth.login("nobody3"), messages.TOO_MANY_REQUESTS)


# Failed logins: 5 per 5 minutes and 50 per day, per login string


def test_sixth_failure_in_any_letter_case_of_a_name_is_429(app, auth):
    add_user(app)
    fail_logins(auth, ALICE_NAMES)
    for login in ALICE_NAMES:
        assert_throttled(auth.login(login, "wrong password"), messages.TOO_MANY_ATTEMPTS)


def test_sixth_failure_in_any_letter_case_of_an_email_is_429(app, auth):
    add_user(app)
    fail_logins(auth, ALICE_EMAILS)
    for login in ALICE_EMAILS:
        assert_throttled(auth.login(login, "wrong password"), messages.TOO_MANY_ATTEMPTS)


@pytest.mark.parametrize(
    ("spent", "other"), [("alice", "alice@example.com"), ("ALICE@example.com", "Alice")]
)
def test_an_accounts_name_and_email_are_counted_apart(app, auth, spent, other):
    """A count shared by both names of an account would tell that they belong together."""
    add_user(app)
    fail_logins(auth, [spent] * 5)
    assert_throttled(auth.login(spent), messages.TOO_MANY_ATTEMPTS)
    assert auth.login(other).status_code == 200


def pairing_probe(app, ip, name, email):
    """What an attacker without the password sees: 3 failures on a name, 3 on an email."""
    auth = client_of(app, ip)
    answers = [attempt(auth, login, "wrong password") for login in [name, email] * 3]
    return [(answer.status_code, answer.get_json()) for answer in answers]


def test_failures_on_a_name_and_an_email_do_not_tell_if_they_are_one_account(app):
    add_user(app)
    add_user(app, "bob1", email="bob@example.com")
    same = pairing_probe(app, "198.51.100.1", "alice", "alice@example.com")
    different = pairing_probe(app, "198.51.100.2", "bob1", "nobody@example.com")
    unknown = pairing_probe(app, "198.51.100.3", "nobody", "ghost@example.com")
    assert same == different == unknown
    assert {status for status, _ in same} == {401}


@pytest.mark.parametrize("login", ALICE_NAMES)
def test_over_the_limit_the_right_password_is_429_too(app, client, auth, login):
    add_user(app)
    fail_logins(auth, ["alice"] * 5)
    assert_throttled(auth.login(login, PASSWORD), messages.TOO_MANY_ATTEMPTS)
    assert client.get("/api/auth/verify_auth").status_code == 401
    assert stored_user(app).login_count == 0


def test_the_failure_limit_is_configurable(build):
    app = build(LOGIN_FAILURE_LIMIT="2 per 5 minutes")
    add_user(app)
    auth = client_of(app)
    fail_logins(auth, ["alice", "ALICE"])
    assert_throttled(auth.login(), messages.TOO_MANY_ATTEMPTS)


def test_the_default_limit_has_a_short_and_a_daily_window(app):
    assert app.config["LOGIN_FAILURE_LIMIT"] == "5 per 5 minutes; 50 per day"


def test_the_longer_window_holds_when_the_shorter_lifts(build):
    app = build(LOGIN_FAILURE_LIMIT="2 per 2 seconds; 3 per day")
    add_user(app)
    auth = client_of(app)
    fail_logins(auth, ["alice", "alice"])
    started = time.monotonic()
    assert_throttled(auth.login(), messages.TOO_MANY_ATTEMPTS)
    wait_out_the_window(started)
    fail_logins(auth, ["alice"])
    response = auth.login()
    assert_throttled(response, messages.TOO_MANY_ATTEMPTS)
    assert int(response.headers["Retry-After"]) > 2


def test_attempts_refused_by_the_short_window_do_not_count_in_the_long_one(build):
    app = build(LOGIN_FAILURE_LIMIT="2 per 2 seconds; 4 per day")
    add_user(app)
    auth = client_of(app)
    fail_logins(auth, ["alice", "alice"])
    started = time.monotonic()
    for _ in range(5):
        assert_throttled(auth.login(), messages.TOO_MANY_ATTEMPTS)
    wait_out_the_window(started)
    assert auth.login().status_code == 200


def test_the_throttle_lifts_when_the_window_passes(build):
    app = build(LOGIN_FAILURE_LIMIT="2 per 2 seconds")
    add_user(app)
    auth = client_of(app)
    fail_logins(auth, ["alice", "ALICE"])
    started = time.monotonic()
    assert_throttled(auth.login(), messages.TOO_MANY_ATTEMPTS)
    wait_out_the_window(started)
    assert auth.login().status_code == 200


def test_the_retry_after_is_within_the_window(app, auth):
    add_user(app)
    fail_logins(auth, ["alice"] * 5)
    response = auth.login()
    assert_throttled(response, messages.TOO_MANY_ATTEMPTS)
    assert int(response.headers["Retry-After"]) <= 5 * 60


def test_a_success_below_the_limit_clears_the_count(app, auth):
    add_user(app)
    fail_logins(auth, ALICE_NAMES[:4])
    assert auth.login("Alice").status_code == 200
    fail_logins(auth, ALICE_NAMES[:4])
    assert auth.login("alice").status_code == 200


def test_the_count_is_per_login_not_per_ip(app, auth):
    add_user(app)
    add_user(app, "bob1", email="bob@example.com")
    fail_logins(auth, ["alice"] * 5)
    assert_throttled(auth.login(), messages.TOO_MANY_ATTEMPTS)
    assert auth.login("bob1").status_code == 200


def test_the_count_follows_the_login_across_ips(app):
    add_user(app)
    for number in range(5):
        fail_logins(client_of(app, f"198.51.100.{number}"), ["alice"])
    response = client_of(app, "203.0.113.1").login()
    assert_throttled(response, messages.TOO_MANY_ATTEMPTS)


@pytest.mark.parametrize(
    "spellings",
    [
        ["nobody", "Nobody", "NOBODY", " nobody ", "nObOdY"],
        ["ghost@example.com", "GHOST@example.com", "ghost@EXAMPLE.COM", "Ghost@Example.Com"] * 2,
    ],
)
def test_unknown_logins_are_counted_alike_in_any_case(auth, spellings):
    fail_logins(auth, spellings[:5])
    assert_throttled(auth.login(spellings[-1]), messages.TOO_MANY_ATTEMPTS)


def test_a_429_does_not_tell_known_from_unknown(app):
    add_user(app)
    known, unknown = client_of(app, "198.51.100.1"), client_of(app, "198.51.100.2")
    fail_logins(known, ["alice"] * 5)
    fail_logins(unknown, ["nobody"] * 5)
    for password in (PASSWORD, "wrong password"):
        from_known = known.login("alice", password)
        from_unknown = unknown.login("nobody", password)
        assert from_known.status_code == from_unknown.status_code == 429
        assert from_known.get_json() == from_unknown.get_json()
        assert from_known.headers.getlist("Set-Cookie") == []
        assert from_unknown.headers.getlist("Set-Cookie") == []


def test_parallel_guesses_cannot_pass_the_account_limit(build):
    """Each guess is counted before its password is checked, in one step.

    A check-then-count throttle let every one of 20 simultaneous guesses through: they all
    passed the check before the first of them was counted. Real argon2 parameters make
    each check slow enough for the guesses to overlap.
    """
    app = build(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=19 * 1024)
    add_user(app)
    guessers = [client_of(app, f"198.51.100.{number}") for number in range(20)]
    for guesser in guessers:
        guesser.fetch_token()
    statuses = []
    start = threading.Barrier(len(guessers))

    def guess(guesser):
        start.wait()
        statuses.append(guesser.login("alice", "wrong password").status_code)

    threads = [threading.Thread(target=guess, args=(guesser,)) for guesser in guessers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 15


# Codes: a count per account, apart from the password's


def test_an_accounts_codes_lock_it_apart_from_its_names_and_unlocking_forgets_both(app):
    add_user(app)
    with app.test_request_context():
        user = User.find_by_login("alice")
        for _ in range(5):
            throttle.count_attempt(
                throttle.code_keys(user), scope=throttle.CODE_SCOPE, limit=throttle.CODE_LIMIT
            )
        assert throttle.is_account_locked_out(user)
        assert not throttle.is_locked_out(throttle.account_keys(user))
        throttle.unlock_account(user)
        assert not throttle.is_account_locked_out(user)
    assert client_of(app).login().status_code == 200


# Retry-After: on a 429 only


def limit_headers(response):
    return [name for name, _ in response.headers if name == "Retry-After" or "RateLimit" in name]


def test_answers_of_limited_routes_carry_no_limit_headers(app, auth):
    """Signup through the API is one of the limited routes."""
    answers = [auth.signup(), auth.logout(), auth.login(), auth.login(password="wrong password")]
    answers.append(
        auth.post(
            "/api/auth/change_password",
            {"current_password": "wrong", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
    )
    answers.append(auth.post("/api/auth/logout_all"))
    assert [answer.status_code for answer in answers] == [201, 200, 200, 401, 403, 200]
    assert [limit_headers(answer) for answer in answers] == [[]] * len(answers)


def test_a_route_limit_429_carries_retry_after_within_its_window(build):
    auth = client_of(build(LOGIN_RATE_LIMIT="1 per minute"))
    fail_logins(auth, ["nobody1"])
    response = auth.login("nobody2")
    assert_throttled(response, messages.TOO_MANY_REQUESTS)
    assert limit_headers(response) == ["Retry-After"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_a_route_limit_429_waits_out_the_limit_it_breached(build):
    """Retry-After is read from Flask-Limiter's ``current_limit`` and its window
    (``app.api.errors``): an hour's limit asks for about an hour, not the 1 s that stands in
    when no limit is known."""
    auth = client_of(build(LOGIN_RATE_LIMIT="1 per hour"))
    fail_logins(auth, ["nobody1"])
    response = auth.login("nobody2")
    assert_throttled(response, messages.TOO_MANY_REQUESTS)
    assert 3500 < int(response.headers["Retry-After"]) <= 3600


# Signup: 10 per hour per IP


def signup_as(auth, number):
    return auth.signup(f"user{number}", f"user{number}@example.com")


def test_11th_signup_in_an_hour_from_one_ip_is_429(app, auth):
    for number in range(10):
        assert signup_as(auth, number).status_code == 201
    assert_throttled(signup_as(auth, 10), messages.TOO_MANY_REQUESTS)
    assert signup_as(client_of(app, "198.51.100.7"), 10).status_code == 201


def test_signup_limit_is_configurable(build):
    auth = client_of(build(SIGNUP_RATE_LIMIT="1 per hour"))
    assert signup_as(auth, 1).status_code == 201
    assert_throttled(signup_as(auth, 2), messages.TOO_MANY_REQUESTS)


# Change password: 5 per minute per user


def change_password(auth, confirm=NEW_PASSWORD, current=PASSWORD):
    fields = {"current_password": current, "password": NEW_PASSWORD, "confirm": confirm}
    return auth.post("/api/auth/change_password", data=fields)


def mismatched_changes(auth, count):
    """``count`` change_password requests refused by validation, which no failure count sees."""
    for _ in range(count):
        response = change_password(auth, confirm="something else entirely")
        assert_error(
            response,
            422,
            messages.VALIDATION_FAILED,
            {"confirm": [messages.PASSWORDS_MUST_MATCH]},
        )


def logged_in(app, user_name, ip=None):
    add_user(app, user_name)
    auth = client_of(app, ip)
    assert auth.login(user_name).status_code == 200
    return auth


def test_sixth_change_password_in_a_minute_is_429(app):
    auth = logged_in(app, "alice")
    mismatched_changes(auth, 5)
    assert_throttled(change_password(auth), messages.TOO_MANY_REQUESTS)


def test_change_password_limit_is_per_user_not_per_ip(app):
    alice, bob = logged_in(app, "alice"), logged_in(app, "bob1")
    mismatched_changes(alice, 5)
    mismatched_changes(bob, 5)
    assert_throttled(change_password(alice), messages.TOO_MANY_REQUESTS)
    assert_throttled(change_password(bob), messages.TOO_MANY_REQUESTS)


def test_change_password_limit_follows_the_user_across_ips(app):
    mismatched_changes(logged_in(app, "alice", "198.51.100.1"), 5)
    elsewhere = client_of(app, "198.51.100.2")
    assert elsewhere.login().status_code == 200
    assert_throttled(change_password(elsewhere), messages.TOO_MANY_REQUESTS)


def test_change_password_limit_is_configurable(build):
    auth = logged_in(build(CHANGE_PASSWORD_RATE_LIMIT="1 per minute"), "alice")
    mismatched_changes(auth, 1)
    assert_throttled(change_password(auth), messages.TOO_MANY_REQUESTS)


# The switch


@pytest.fixture(params=["argument", "environment"])
def unthrottled_app(request, build, monkeypatch):
    """An app with throttling off, through create_app's argument or the environment."""
    if request.param == "environment":
        monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "false")
        app = build()
    else:
        app = build(RATELIMIT_ENABLED=False)
    assert app.config["RATELIMIT_ENABLED"] is False
    return app


def test_switched_off_no_login_is_throttled(unthrottled_app):
    add_user(unthrottled_app)
    auth = client_of(unthrottled_app)
    fail_logins(auth, (ALICE_NAMES + ALICE_EMAILS) * 10)
    fail_logins(auth, ["nobody"] * 10)
    assert auth.login().status_code == 200


def test_switched_off_no_signup_is_throttled(unthrottled_app):
    auth = client_of(unthrottled_app)
    for number in range(12):
        assert signup_as(auth, number).status_code == 201


def test_switched_off_no_password_change_is_throttled(unthrottled_app):
    auth = logged_in(unthrottled_app, "alice")
    mismatched_changes(auth, 7)
    for _ in range(6):
        response = change_password(auth, current="wrong password")
        assert_error(response, 403, messages.WRONG_CURRENT_PASSWORD)
    assert change_password(auth).status_code == 200


def test_capitalised_false_in_the_environment_does_not_switch_off(build, monkeypatch):
    """``FLASK_*`` values are parsed as JSON; ``False`` is not JSON, so it stays the (truthy)
    string "False" and throttling stays on. The README documents the lowercase ``false``."""
    monkeypatch.setenv("FLASK_RATELIMIT_ENABLED", "False")
    app = build()
    assert app.config["RATELIMIT_ENABLED"] == "False"
    add_user(app)
    auth = client_of(app)
    fail_logins(auth, ["alice"] * 5)
    assert_throttled(auth.login(), messages.TOO_MANY_ATTEMPTS)


# Storage


def test_storage_is_memory_by_default_without_a_warning(build):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        app = build()
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert isinstance(limiter.storage, MemoryStorage)


def test_an_implicit_storage_would_warn(build):
    """Why the default names ``memory://``: Flask-Limiter warns otherwise (an error here)."""
    with pytest.warns(UserWarning, match="in-memory storage"):
        build(RATELIMIT_STORAGE_URI=None)


@pytest.mark.parametrize("variable", ["REDIS_URL", "FLASK_REDIS_URL"])
def test_redis_url_moves_the_counts_to_redis(build, monkeypatch, variable):
    # Only the configuration: nothing connects until a limit is checked.
    monkeypatch.setenv(variable, "redis://redis.invalid:6379/2")
    app = build()
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://redis.invalid:6379/2"
    assert isinstance(limiter.storage, RedisStorage)


def test_an_explicit_storage_wins_over_redis_url(build, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://redis.invalid:6379/2")
    app = build(RATELIMIT_STORAGE_URI="redis://other.invalid:6379/0")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://other.invalid:6379/0"


@pytest.mark.parametrize(
    ("storage", "shared"),
    [("memory", False), pytest.param("redis", True, marks=pytest.mark.redis)],
)
def test_counts_outlive_the_app_only_in_redis(build, request, monkeypatch, storage, shared):
    """With REDIS_URL, a new app (another worker, server or restart) sees the same counts;
    with memory:// each app starts from nothing."""
    if storage == "redis":
        monkeypatch.setenv("REDIS_URL", request.getfixturevalue("redis_url"))
    first = build()
    add_user(first)
    fail_logins(client_of(first), ["alice"] * 5)
    response = client_of(build()).login()
    if shared:
        assert_throttled(response, messages.TOO_MANY_ATTEMPTS)
    else:
        assert response.status_code == 200


@pytest.mark.redis
def test_redis_holds_the_counts_under_their_keys(build, redis_url, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_url)
    app = build()
    add_user(app)
    fail_logins(client_of(app), ["alice", "ALICE", "nobody"])
    # What an operator sees with redis-cli: the per-IP route count and each login's failures.
    listed = subprocess.run(
        ["redis-cli", "-u", redis_url, "--raw", "KEYS", "LIMITS:*"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        counts = {key: store.llen(key) for key in listed.stdout.split()}
    finally:
        store.close()
    assert counts == {
        "LIMITS:LIMITER/127.0.0.1/auth.login/30/1/minute": 3,
        "LIMITS:LIMITER/failed-login/login:alice/5/5/minute": 2,
        "LIMITS:LIMITER/failed-login/login:alice/50/1/day": 2,
        "LIMITS:LIMITER/failed-login/login:nobody/5/5/minute": 1,
        "LIMITS:LIMITER/failed-login/login:nobody/50/1/day": 1,
    }


# Behind proxies (TRUSTED_PROXIES)


def probed(app):
    """Add a view that shows what the app takes for the client IP and scheme."""
    app.add_url_rule(
        "/probe",
        "probe",
        lambda: {"remote_addr": request.remote_addr, "scheme": request.scheme},
    )
    return app.test_client()


FORWARDED = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_ignored_by_default(app):
    response = probed(app).get("/probe", headers=FORWARDED)
    assert response.get_json() == {"remote_addr": SOCKET_ADDRESS, "scheme": "http"}


@pytest.mark.parametrize(
    ("proxies", "forwarded"),
    [
        (1, FORWARDED),
        ("1", FORWARDED),
        # Each proxy appends: the outer one saw the client over HTTPS, the inner one saw it.
        (
            2,
            {
                "X-Forwarded-For": "192.0.2.1, 198.51.100.7, 10.0.0.2",
                "X-Forwarded-Proto": "https, http",
            },
        ),
    ],
)
def test_trusted_proxies_give_the_forwarded_client(build, proxies, forwarded):
    response = probed(build(TRUSTED_PROXIES=proxies)).get("/probe", headers=forwarded)
    assert response.get_json() == {"remote_addr": "198.51.100.7", "scheme": "https"}


def test_trusted_proxies_from_the_environment(build, monkeypatch):
    monkeypatch.setenv("FLASK_TRUSTED_PROXIES", "1")
    response = probed(build()).get("/probe", headers=FORWARDED)
    assert response.get_json() == {"remote_addr": "198.51.100.7", "scheme": "https"}


def login_records(app, headers):
    """Log in with ``headers``; return the IP of the new session and the user's last_login_ip."""
    client = app.test_client()
    assert attempt(AuthActions(client), headers=headers).status_code == 200
    sessions = client.get("/api/auth/sessions").get_json()["data"]
    return [session["ip"] for session in sessions], stored_user(app).last_login_ip


def test_login_records_the_socket_address_by_default(app):
    add_user(app)
    assert login_records(app, FORWARDED) == ([SOCKET_ADDRESS], SOCKET_ADDRESS)


def test_login_records_the_forwarded_client_behind_a_trusted_proxy(build):
    app = build(TRUSTED_PROXIES=1)
    add_user(app)
    assert login_records(app, FORWARDED) == (["198.51.100.7"], "198.51.100.7")


def test_forwarded_for_cannot_dodge_the_ip_limit_by_default(build):
    auth = client_of(build(LOGIN_RATE_LIMIT="3 per minute"))
    for number in range(3):
        headers = {"X-Forwarded-For": f"192.0.2.{number}"}
        assert_refused(attempt(auth, f"nobody{number}", headers=headers))
    response = attempt(auth, "nobody", headers={"X-Forwarded-For": "192.0.2.99"})
    assert_throttled(response, messages.TOO_MANY_REQUESTS)


def test_forwarded_clients_have_their_own_ip_counts(build):
    auth = client_of(build(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="2 per minute"))
    first, second = {"X-Forwarded-For": "192.0.2.1"}, {"X-Forwarded-For": "192.0.2.2"}
    fail_logins(auth, ["nobody1", "nobody2"], headers=first)
    assert_throttled(attempt(auth, "nobody3", headers=first), messages.TOO_MANY_REQUESTS)
    fail_logins(auth, ["nobody4", "nobody5"], headers=second)


def test_a_spoofed_leftmost_entry_does_not_dodge_the_ip_limit(build):
    # The client writes the first entries; the one trusted proxy appends the real address.
    auth = client_of(build(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="2 per minute"))
    for number in range(2):
        headers = {"X-Forwarded-For": f"192.0.2.{number}, 198.51.100.7"}
        assert_refused(attempt(auth, f"nobody{number}", headers=headers))
    headers = {"X-Forwarded-For": "192.0.2.99, 198.51.100.7"}
    assert_throttled(attempt(auth, "nobody", headers=headers), messages.TOO_MANY_REQUESTS)


@pytest.mark.parametrize(
    ("forwarded", "stored"),
    [
        # A zone id makes an address as long as the proxy lets it be; it means nothing here.
        ("fe80::1%" + "z" * 60, "fe80::1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("not-an-address-" + "x" * 60, None),
        ("198.51.100.7:443", None),
    ],
)
def test_a_forwarded_address_is_stored_parsed_or_not_at_all(build, forwarded, stored):
    app = build(TRUSTED_PROXIES=1)
    add_user(app)
    assert login_records(app, {"X-Forwarded-For": forwarded}) == ([stored], stored)


def ipv6_clients(app, prefix, count):
    return [client_of(app, f"{prefix}::{number + 1}") for number in range(count)]


def test_ipv6_clients_are_limited_by_their_64(build):
    app = build(LOGIN_RATE_LIMIT="2 per minute")
    first, second, third = ipv6_clients(app, "2001:db8:1:2", 3)
    fail_logins(first, ["nobody1"])
    fail_logins(second, ["nobody2"])
    assert_throttled(attempt(third, "nobody3"), messages.TOO_MANY_REQUESTS)
    (elsewhere,) = ipv6_clients(app, "2001:db8:1:3", 1)
    fail_logins(elsewhere, ["nobody4"])


def test_ipv4_clients_are_limited_one_by_one(build):
    app = build(LOGIN_RATE_LIMIT="1 per minute")
    fail_logins(client_of(app, "198.51.100.1"), ["nobody1"])
    fail_logins(client_of(app, "198.51.100.2"), ["nobody2"])


def test_unparsed_addresses_share_one_count(build):
    auth = client_of(build(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="2 per minute"))
    fail_logins(auth, ["nobody1"], headers={"X-Forwarded-For": "garbage-one"})
    fail_logins(auth, ["nobody2"], headers={"X-Forwarded-For": "garbage-two"})
    response = attempt(auth, "nobody3", headers={"X-Forwarded-For": "garbage-three"})
    assert_throttled(response, messages.TOO_MANY_REQUESTS)
