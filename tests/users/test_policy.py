"""The password rule: zxcvbn's score, and none of the user's own words in any reading."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import zxcvbn.matching
from flask import Flask
from zxcvbn.matching import L33T_TABLE

from app.common import messages
from app.users import policy
from app.users.policy import password_problem

ALICE = {
    "user_name": "alice",
    "email": "alice@example.com",
    "first_name": "Alice",
    "last_name": "Liddell",
}
# Nine code points in no pattern zxcvbn knows: the shortest strong password there is.
STRONG = "Zq8#vT2!x"
# 72 code points that score 4 on their own.
STRONG_72 = "P&+}5J]<f&i>ry$:Vu7L3ohD4rcqH>@B;uuT;^,H-s:u>hiG(a=aAKYHD_e>t,js2I0{2RH&"
# zxcvbn's own feedback, as it words it.
ADD_A_WORD = "Add another word or two. Uncommon words are better."


def weak(reason):
    return f"{messages.PASSWORD_WEAK} {reason}"


def person(**changes):
    return {**ALICE, **changes}


# zxcvbn's score


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password", weak("This is a top-10 common password.")),
        ("Password1", weak("This is a very common password.")),
        ("p@ssw0rd!", weak("This is similar to a commonly used password.")),
        ("qwertyuiop", weak("This is a top-100 common password.")),
        ("aaaaaaaaaa", weak('Repeats like "aaa" are easy to guess.')),
        ("abcdefghij", weak('Sequences like "abc" or "6543" are easy to guess.')),
        ("12/05/2019", weak("Dates are often easy to guess.")),
        # No warning: the first suggestion says why instead.
        ("Zq8#vT2!", weak(ADD_A_WORD)),
        ("correcthorse", weak(ADD_A_WORD)),
    ],
)
def test_weak_password_is_refused_with_zxcvbn_reason(password, message):
    assert password_problem(password, **ALICE) == message


@pytest.mark.parametrize(
    "password",
    [
        STRONG,
        "correct horse battery staple",
        "Tr0ub4dor&3",
        "\u5bc6\u7801\u5b89\u5168\u6d4b\u8bd5\u732b\u72d7\u26a1",
        STRONG_72,
    ],
)
def test_strong_password_is_accepted(password):
    assert password_problem(password, **ALICE) is None


def test_no_personal_information_is_needed():
    assert password_problem(STRONG) is None
    assert password_problem("password") == weak("This is a top-10 common password.")


@pytest.mark.parametrize(
    "info",
    [
        {"last_name": "Vrzqonkt"},
        {"first_name": "Vrzqonkt"},
        {"user_name": "Vrzqonkt"},
        {"email": "vrzqonkt@example.com"},
    ],
)
def test_a_reversed_personal_part_is_refused(info):
    password = "tknoqzrv!9"
    assert password_problem(password) is None
    assert password_problem(password, **info) == messages.PASSWORD_PERSONAL


@pytest.mark.parametrize("password", ["jo@quixwzorv.io", "jo@quixwzorv.io1", "oi.vrozwxiuq@oj"])
def test_the_whole_email_is_a_personal_part(password):
    """A local part under four characters is no personal part, yet the address is one."""
    assert password_problem(password) is None
    assert password_problem(password, **person(email="jo@quixwzorv.io")) == (
        messages.PASSWORD_PERSONAL
    )


@pytest.mark.parametrize(
    "password",
    ["4l1c3" + STRONG, "@L!CE" + STRONG, STRONG + "l1dd3ll", STRONG + "1!dd3ll"],
)
def test_a_personal_part_in_substitution_symbols_is_refused(password):
    assert password_problem(password) is None
    assert password_problem(password, **ALICE) == messages.PASSWORD_PERSONAL


# Personal parts


@pytest.mark.parametrize(
    ("password", "info"),
    [
        ("alice" + STRONG, ALICE),
        ("xALICEx" + STRONG, ALICE),
        (STRONG + "Liddell", ALICE),
        ("lIdDeLl" + STRONG, ALICE),
        # The email's local part, not the domain.
        ("Wonder.Land" + STRONG, person(email="Wonder.Land@example.com")),
        ("Sebastian" + STRONG, person(first_name="Sebastian")),
        ("Zimmermann" + STRONG, person(last_name="Zimmermann")),
        # After NFKC: fullwidth letters, a ligature, a decomposed accent.
        ("\uff2c\uff49\uff44\uff44\uff45\uff4c\uff4c" + STRONG, ALICE),
        ("e\ufb03e" + STRONG, person(first_name="Effie")),
        ("chloe\u0301" + STRONG, person(first_name="Chlo\u00e9")),
        # The same, with the name typed in the odd form.
        ("Chlo\u00e9" + STRONG, person(first_name="Chloe\u0301")),
        ("Chloe" + STRONG, person(first_name="\uff23\uff48\uff4c\uff4f\uff45")),
        # Full case folding: "Groß" folds to "gross".
        ("GROSS" + STRONG, person(last_name="Gro\u00df")),
        # Past the 72 code points that zxcvbn scores.
        (STRONG_72 + "--alice", ALICE),
    ],
)
def test_password_containing_a_personal_part_is_refused(password, info):
    assert password_problem(password, **info) == messages.PASSWORD_PERSONAL


@pytest.mark.parametrize(
    ("password", "info"),
    [
        ("Bob" + STRONG, person(first_name="Bob")),
        ("lee" + STRONG, person(last_name="Lee")),
        ("joe" + STRONG, person(email="joe@example.com")),
        # Blank parts are no parts: otherwise every password would contain them.
        (STRONG, person(first_name="   ", last_name="")),
        (STRONG, person(first_name="\u3000\u3000\u3000\u3000")),
    ],
)
def test_parts_under_four_characters_do_not_count(password, info):
    assert password_problem(password, **info) is None


@pytest.mark.usefixtures("no_scoring")
def test_personal_parts_are_checked_before_zxcvbn():
    assert password_problem("alice" + STRONG, **ALICE) == messages.PASSWORD_PERSONAL


# Past zxcvbn's 72 code points


def test_long_password_is_scored_on_its_first_72_code_points(monkeypatch):
    scored = []

    def recording(password, **kwargs):
        scored.append((password, kwargs))
        return original(password, **kwargs)

    original = policy.zxcvbn
    monkeypatch.setattr(policy, "zxcvbn", recording)
    assert password_problem("correct horse battery staple " * 4, **ALICE) is None
    assert scored == [(("correct horse battery staple " * 4)[:72], {})]


def test_strong_100_character_password_is_accepted():
    assert password_problem(STRONG_72 + "7YqT!mZ0#rPw3^Kd%Lb9&Nv2*Hs", **ALICE) is None


def test_weak_first_72_code_points_are_weak_whatever_follows():
    assert password_problem("a" * 72 + STRONG_72[:28], **ALICE) == weak(
        'Repeats like "aaa" are easy to guess.'
    )


@pytest.mark.parametrize("length", [73, 128, 5_000])
def test_any_length_is_scored_without_error(length):
    assert password_problem((STRONG_72 * 70)[:length], **ALICE) is None


# zxcvbn keeps user inputs in a module-global dictionary: the rule never gives it any


# Made-up surnames and, for each, a password that is their reversal: refused for that user
# only.
SURNAMES = ["Vrzqonkt", "Plmwexid", "Gqjybnsa", "Hrtkvomc", "Wzlpdfue", "Ncbxqrig"]


def reversed_password(surname):
    return surname.lower()[::-1] + "!9"


def score_everyone():
    """Every user's password scored against every user: (surname, password, problem)."""
    return [
        (
            surname,
            reversed_password(other),
            password_problem(reversed_password(other), last_name=surname),
        )
        for surname in SURNAMES
        for other in SURNAMES
    ]


def test_personal_parts_are_per_user():
    for surname, password, problem in score_everyone():
        if password == reversed_password(surname):
            assert problem == messages.PASSWORD_PERSONAL
        else:
            assert problem is None


def test_concurrent_scoring_gives_the_serial_answers():
    serial = score_everyone()
    with ThreadPoolExecutor(max_workers=12) as pool:
        runs = [pool.submit(score_everyone) for _ in range(24)]
        assert all(run.result() == serial for run in runs)


def test_zxcvbn_never_gets_user_inputs(monkeypatch):
    calls = []
    original = policy.zxcvbn
    monkeypatch.setattr(policy, "zxcvbn", lambda *a, **kw: calls.append((a, kw)) or original(*a))
    assert password_problem(STRONG, **ALICE) is None
    assert calls == [((STRONG,), {})]


def test_two_scorings_run_at_the_same_time(monkeypatch):
    """No lock: each call waits inside zxcvbn until the other is there too, or fails."""
    barrier = threading.Barrier(2, timeout=10)
    omnimatch = zxcvbn.matching.omnimatch

    def meeting_omnimatch(*args, **kwargs):
        barrier.wait()
        return omnimatch(*args, **kwargs)

    monkeypatch.setattr(zxcvbn.matching, "omnimatch", meeting_omnimatch)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = [pool.submit(password_problem, STRONG, **ALICE) for _ in range(2)]
        assert [answer.result() for answer in answers] == [None, None]


# The cost of scoring: zxcvbn's l33t matcher makes one dictionary pass per reading of the
# substitution symbols, each over every substring. Work is counted, not timed.

SYMBOLS = "".join(sorted({symbol for symbols in L33T_TABLE.values() for symbol in symbols}))
ORDINARY_72 = ("correct horse battery staple, Tulip-Orbit-Canyon-71 " * 2)[:72]


def shuffled_symbols(length, seed):
    """``length`` characters holding every substitution symbol, in a repeatable order."""
    rng = random.Random(seed)
    chars = list(SYMBOLS) + [rng.choice(SYMBOLS) for _ in range(length - len(SYMBOLS))]
    rng.shuffle(chars)
    return "".join(chars)


# What the reviewer sent, and what makes zxcvbn's matchers work hardest: every symbol, at
# every length; a block of them repeated (the repeat matcher scores its unit again); letters
# between symbols.
COSTLY = [
    *(shuffled_symbols(length, seed) for length in (20, 32, 72, 128) for seed in range(3)),
    shuffled_symbols(24, 7) * 3,
    "".join(f"a{symbol}" for symbol in SYMBOLS) * 4,
    SYMBOLS + ORDINARY_72,
]


def dictionary_work(monkeypatch, password):
    """Substring look-ups zxcvbn's dictionary passes make to score ``password``."""
    work = []
    original = zxcvbn.matching.dictionary_match

    def counting(text, *args, **kwargs):
        work.append(len(text) * (len(text) + 1) // 2)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(zxcvbn.matching, "dictionary_match", counting)
    password_problem(password, **ALICE)
    monkeypatch.setattr(zxcvbn.matching, "dictionary_match", original)
    return sum(work)


@pytest.mark.parametrize("password", COSTLY, ids=range(len(COSTLY)))
def test_no_password_costs_more_than_a_few_ordinary_ones(monkeypatch, password):
    ordinary = dictionary_work(monkeypatch, ORDINARY_72)
    assert dictionary_work(monkeypatch, password) <= 3 * ordinary


@pytest.mark.parametrize("password", COSTLY, ids=range(len(COSTLY)))
def test_the_scored_text_holds_few_l33t_readings(password):
    text = policy.scored_text(password)
    assert len(text) == min(len(password), policy.ZXCVBN_MAX_LEN)
    assert policy.l33t_readings(text) <= policy.MAX_L33T_READINGS


@pytest.mark.parametrize(
    "password",
    ["p@ssw0rd!", "Tr0ub4dor&3", "P@$$w0rd1", "12/05/2019", "1969 summer!", ORDINARY_72, STRONG],
)
def test_ordinary_passwords_are_scored_as_typed(password):
    assert policy.scored_text(password) == password[: policy.ZXCVBN_MAX_LEN]


# The whole rule of a new password: its length, then its strength


@pytest.fixture
def minimum_15():
    """A bare app's context (no database) with the default minimum of 15."""
    app = Flask(__name__)
    app.config["PASSWORD_MIN_LENGTH"] = 15
    with app.app_context():
        yield


LENGTH_15 = messages.PASSWORD_LENGTH.format(min=15, max=128)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        # Strong, but short: the length speaks first.
        (STRONG, LENGTH_15),
        ("password", LENGTH_15),
        ("Zq8#vT2!x-ab3#L", None),
        ("Password1234567", weak("This is similar to a commonly used password.")),
        ("ALICE#Zq8vT2!x7", messages.PASSWORD_PERSONAL),
        ("correct horse battery staple", None),
    ],
)
def test_a_new_password_is_held_to_its_length_then_its_strength(minimum_15, password, problem):
    assert policy.new_password_problem(password, **ALICE) == problem
