"""The password rule: zxcvbn's score against the user's own words, and no personal parts."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import zxcvbn.matching

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
def test_user_inputs_lower_the_score(info):
    """Reversed, the name is not contained in the password, but zxcvbn still finds it."""
    password = "tknoqzrv!9"
    assert password_problem(password) is None
    assert password_problem(password, **info) == weak(ADD_A_WORD)


@pytest.mark.parametrize("password", ["jo@quixwzorv.io", "jo@quixwzorv.io1", "oi.vrozwxiuq@oj"])
def test_whole_email_is_a_user_input(password):
    """A local part under four characters is no personal part, yet the address is known."""
    assert password_problem(password) is None
    problem = password_problem(password, **person(email="jo@quixwzorv.io"))
    assert problem.startswith(messages.PASSWORD_WEAK)


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
        scored.append(password)
        return original(password, **kwargs)

    original = policy.zxcvbn
    monkeypatch.setattr(policy, "zxcvbn", recording)
    assert password_problem(STRONG_72 + "x" * 28, **ALICE) is None
    assert scored == [STRONG_72]


def test_strong_100_character_password_is_accepted():
    assert password_problem(STRONG_72 + "7YqT!mZ0#rPw3^Kd%Lb9&Nv2*Hs", **ALICE) is None


def test_weak_first_72_code_points_are_weak_whatever_follows():
    assert password_problem("a" * 72 + STRONG_72[:28], **ALICE) == weak(
        'Repeats like "aaa" are easy to guess.'
    )


@pytest.mark.parametrize("length", [73, 128, 5_000])
def test_any_length_is_scored_without_error(length):
    assert password_problem((STRONG_72 * 70)[:length], **ALICE) is None


# zxcvbn keeps its user inputs in a module-global dictionary


# Made-up surnames and, for each, a password that is their reversal: weak for that user
# only, because zxcvbn matches reversed user inputs.
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


def test_inputs_are_per_user():
    for surname, password, problem in score_everyone():
        if password == reversed_password(surname):
            assert problem == weak(ADD_A_WORD)
        else:
            assert problem is None


def test_concurrent_scoring_gives_the_serial_answers():
    serial = score_everyone()
    with ThreadPoolExecutor(max_workers=12) as pool:
        runs = [pool.submit(score_everyone) for _ in range(24)]
        assert all(run.result() == serial for run in runs)


def test_scoring_waits_for_the_lock(monkeypatch):
    """Two users scored at the same moment each get their own inputs.

    The matcher waits until both calls are inside zxcvbn, or for at most half a second. Without
    the lock both would get there, and the second user's inputs would replace the first's; with
    it, the first call runs alone, the wait times out, and the second follows.
    """
    barrier = threading.Barrier(2)
    omnimatch = zxcvbn.matching.omnimatch

    def meeting_omnimatch(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=0.5)
        return omnimatch(*args, **kwargs)

    monkeypatch.setattr(zxcvbn.matching, "omnimatch", meeting_omnimatch)
    first, second = SURNAMES[:2]
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = [
            pool.submit(password_problem, reversed_password(name), last_name=name)
            for name in (first, second)
        ]
        assert [answer.result() for answer in answers] == [weak(ADD_A_WORD)] * 2
