"""Login never tells an unknown user from a wrong password: not by answer, cookie or time; nor
does signup, where addresses must be confirmed, tell a new address from a taken one."""

import statistics
import time

import pytest
from argon2 import PasswordHasher as Argon2Hasher

from app.accounts.signup import add_user
from app.common import messages
from app.common.time import utcnow
from app.config import ProductionConfig
from app.extensions import db
from app.mail.outbox import OutboxMessage
from app.users import policy
from tests.helpers import SIGNUP_FIELDS, AuthActions, assert_error
from tests.plugins.databases import make_app

# Interleaved pairs of timed attempts; each costs one real argon2id verification.
ROUNDS = 15
ARGON2_KEYS = ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM")
# Headers that differ between any two answers.
PER_REQUEST_HEADERS = {"X-Request-ID"}


@pytest.fixture
def real_app(database_url):
    """Production's argon2id parameters, and no throttle to cut the attempts short."""
    app = make_app(
        database_url,
        ARGON2_TIME_COST=ProductionConfig.ARGON2_TIME_COST,
        ARGON2_MEMORY_COST=ProductionConfig.ARGON2_MEMORY_COST,
        ARGON2_PARALLELISM=ProductionConfig.ARGON2_PARALLELISM,
        RATELIMIT_ENABLED=False,
    )
    assert AuthActions(app.test_client()).signup().status_code == 201
    yield app
    with app.app_context():
        db.engine.dispose()


def comparable_headers(response):
    return {(name, value) for name, value in response.headers if name not in PER_REQUEST_HEADERS}


def test_production_parameters_are_the_owasp_minimum():
    # The timing test below is only meaningful at the cost production pays.
    assert ProductionConfig.ARGON2_TIME_COST == 2
    assert ProductionConfig.ARGON2_MEMORY_COST == 19456


@pytest.mark.parametrize(
    ("unknown", "known"),
    [
        ("nobody", "alice"),
        ("NOBODY", "ALICE"),
        ("nobody@example.com", "alice@example.com"),
        ("Nobody@Example.com", "Alice@Example.com"),
    ],
)
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_unknown_user_and_wrong_password_answer_alike(real_app, unknown, known, encoding):
    answers = []
    for login in (unknown, known):
        client = real_app.test_client()
        auth = AuthActions(client)
        auth.fetch_token()
        cookie_before = client.get_cookie("session").value
        fields = {"login": login, "password": "wrong password"}
        body = {"json": fields} if encoding == "json" else {"data": fields}
        response = auth.post("/api/auth/login", **body)
        assert_error(response, 401, messages.INVALID_CREDENTIALS)
        assert response.headers.getlist("Set-Cookie") == []
        assert client.get_cookie("session").value == cookie_before
        answers.append(response)
    assert answers[0].get_data() == answers[1].get_data()
    assert comparable_headers(answers[0]) == comparable_headers(answers[1])


def timed_failure(auth, login):
    started = time.perf_counter()
    response = auth.login(login, "wrong password")
    elapsed = time.perf_counter() - started
    assert_error(response, 401, messages.INVALID_CREDENTIALS)
    return elapsed


def failure_time_ratio(auth, login, reference):
    """Median time of a failed login as ``login`` over that as ``reference``, in turns."""
    timed_failure(auth, reference)  # warm-up: first-request setup is not a login's cost
    times, reference_times = [], []
    for _ in range(ROUNDS):
        times.append(timed_failure(auth, login))
        reference_times.append(timed_failure(auth, reference))
    return statistics.median(times) / statistics.median(reference_times)


@pytest.mark.timing
def test_an_unknown_user_takes_as_long_as_a_wrong_password(real_app):
    """The one timing assertion of the suite, a ratio of medians within a wide band.

    Without the dummy verification for unknown users the ratio falls below 0.1; with a
    dummy hash made at cheaper parameters, to about 0.1.
    """
    ratio = failure_time_ratio(AuthActions(real_app.test_client()), "nobody", "alice")
    assert 0.5 <= ratio <= 2, ratio


@pytest.mark.timing
@pytest.mark.parametrize(
    "raised",
    [
        {"ARGON2_MEMORY_COST": 4 * ProductionConfig.ARGON2_MEMORY_COST},
        {"ARGON2_TIME_COST": 3 * ProductionConfig.ARGON2_TIME_COST},
    ],
    ids=["memory", "passes"],
)
def test_a_dormant_account_takes_as_long_as_no_account_after_the_cost_is_raised(
    real_app, database_url, raised
):
    """Alice's hash keeps the old parameters until she logs in; a wrong password for her must
    still take as long as an unknown login checked against the raised dummy hash."""
    app = make_app(
        database_url,
        **{**{key: real_app.config[key] for key in ARGON2_KEYS}, **raised},
        RATELIMIT_ENABLED=False,
    )
    ratio = failure_time_ratio(AuthActions(app.test_client()), "nobody", "alice")
    assert 0.5 <= ratio <= 2, ratio


# Password reset requests


def timed_reset_request(auth, email):
    started = time.perf_counter()
    response = auth.post("/api/auth/reset_password/request", json={"email": email})
    elapsed = time.perf_counter() - started
    assert response.status_code == 202
    return elapsed


@pytest.mark.timing
def test_a_reset_for_an_unknown_address_takes_as_long_as_for_a_known_one(real_app):
    """The known address writes a token and a message; sending happens outside the request."""
    auth = AuthActions(real_app.test_client())
    timed_reset_request(auth, "alice@example.com")  # warm-up
    known, unknown = [], []
    for _ in range(ROUNDS * 2):
        known.append(timed_reset_request(auth, "alice@example.com"))
        unknown.append(timed_reset_request(auth, "nobody@example.com"))
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 <= ratio <= 2, ratio


# Signup with REQUIRE_CONFIRMED_EMAIL (django-allauth's ACCOUNT_PREVENT_ENUMERATION)


def counting(monkeypatch, module, name):
    """Count the calls of ``module.name`` from now on, still making them."""
    calls = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_signup_answers_a_new_and_a_taken_address_alike(database_url, monkeypatch, encoding):
    app = make_app(database_url, REQUIRE_CONFIRMED_EMAIL=True)
    with app.app_context():
        # Alice's account, confirmed, written directly: the signup below is what is tested.
        add_user(SIGNUP_FIELDS).email_confirmed_at = utcnow()
        db.session.commit()
    hashes = counting(monkeypatch, Argon2Hasher, "hash")
    scores = counting(monkeypatch, policy, "zxcvbn")
    answers, work = [], []
    for user_name, email in (("bobby", "bob@example.com"), ("carol", "Alice@Example.com")):
        client = app.test_client()
        auth = AuthActions(client)
        auth.fetch_token()
        cookie_before = client.get_cookie("session").value
        hashes.clear()
        scores.clear()
        password = "Tulip-Orbit-Canyon-71"
        fields = {
            "user_name": user_name,
            "first_name": "Sam",
            "last_name": "Chuang",
            "email": email,
            "password": password,
            "confirm": password,
        }
        body = {"json": fields} if encoding == "json" else {"data": fields}
        response = auth.post("/api/auth/signup", **body)
        assert response.status_code == 202
        assert response.get_json() == {"success": True, "message": messages.SIGNUP_CHECK_MAIL}
        assert response.headers.getlist("Set-Cookie") == []
        assert client.get_cookie("session").value == cookie_before
        answers.append(response)
        # The same cost: one score and one hash of the password, whether the account is made.
        work.append((len(scores), len(hashes)))
    assert work == [(1, 1), (1, 1)]
    assert answers[0].get_data() == answers[1].get_data()
    assert comparable_headers(answers[0]) == comparable_headers(answers[1])
    with app.app_context():
        queued = sorted(db.session.scalars(db.select(OutboxMessage.kind)))
    # The new address's confirmation, and the notice to the taken one's owner.
    assert queued == ["confirm_email", "signup_attempt"]
