"""What the password rule costs: the dearest passwords against an ordinary one, side by side.

Run from the repository root: ``.venv/bin/python bench/password_rule.py`` (``bash bench/run.sh``
runs it first). Every password is scored the way signup scores it (``password_problem``), in
interleaved rounds, and the table gives each one's median time and its ratio to the ordinary
72-character passphrase. Beside it, zxcvbn on the same first 72 characters without the bound:
what scoring cost before the security review.
"""

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zxcvbn import zxcvbn

from app.users.policy import SUBSTITUTIONS, ZXCVBN_MAX_LEN, password_problem

ROUNDS = 5
SYMBOLS = "".join(SUBSTITUTIONS)
ORDINARY = ("correct horse battery staple, Tulip-Orbit-Canyon-71 " * 2)[:72]
PERSON = {
    "user_name": "alice",
    "email": "alice@example.com",
    "first_name": "Alice",
    "last_name": "Liddell",
}


def symbols(length, seed):
    rng = random.Random(seed)  # noqa: S311 - repeatable inputs, not secrets
    chars = list(SYMBOLS) + [rng.choice(SYMBOLS) for _ in range(length - len(SYMBOLS))]
    rng.shuffle(chars)
    return "".join(chars)


CASES = {
    "ordinary passphrase, 72": ORDINARY,
    "every substitution symbol, 20": symbols(20, 1),
    "substitution symbols, 72": symbols(72, 2),
    "substitution symbols, 128": symbols(128, 3),
    "a block of symbols, repeated": symbols(24, 7) * 3,
}


def timed(function, password) -> float:
    started = time.perf_counter()
    function(password)
    return time.perf_counter() - started


def main():
    rule = {name: [] for name in CASES}
    unbounded = {name: [] for name in CASES}
    for _ in range(ROUNDS):
        for name, password in CASES.items():
            rule[name].append(timed(lambda p: password_problem(p, **PERSON), password))
            unbounded[name].append(timed(lambda p: zxcvbn(p[:ZXCVBN_MAX_LEN]), password))
    base = statistics.median(rule["ordinary passphrase, 72"])
    print("| password | the rule (ms) | x ordinary | zxcvbn unbounded (ms) | x ordinary |")
    print("| --- | --- | --- | --- | --- |")
    for name in CASES:
        ours, theirs = statistics.median(rule[name]), statistics.median(unbounded[name])
        print(
            f"| {name} | {ours * 1000:.1f} | {ours / base:.2f} | "
            f"{theirs * 1000:.1f} | {theirs / base:.2f} |"
        )


if __name__ == "__main__":
    main()
