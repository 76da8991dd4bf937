"""The password rule applied whenever a password is set (signup, change, createuser).

Never at login: older accounts with weaker passwords must still get in.
"""

import threading

from zxcvbn import zxcvbn

from app.common import messages
from app.users.passwords import normalize

MIN_SCORE = 3
# zxcvbn raises on longer input; the prefix is scored, the whole password is hashed.
ZXCVBN_MAX_LEN = 72
MIN_PERSONAL_PART_LEN = 4
# zxcvbn keeps user_inputs in a module-global dictionary: one scoring at a time.
_zxcvbn_lock = threading.Lock()


def fold(text):
    """``text`` for caseless comparison: NFKC, casefolded, and NFKC again.

    Both sides go through it, so a name typed in fullwidth or decomposed form still
    matches the password; the second NFKC undoes what casefolding can denormalise.
    """
    return normalize(normalize(text).casefold())


def personal_parts(user_name="", email="", first_name="", last_name=""):
    """The user's own words that a password must not contain."""
    local_part = (email or "").rsplit("@", 1)[0]
    parts = (fold(part or "").strip() for part in (user_name, local_part, first_name, last_name))
    return [part for part in parts if part]


def password_problem(password, user_name="", email="", first_name="", last_name=""):
    """Why ``password`` is refused, or None when it is acceptable."""
    normalized = normalize(password)
    folded = fold(password)
    parts = personal_parts(user_name, email, first_name, last_name)
    if any(len(part) >= MIN_PERSONAL_PART_LEN and part in folded for part in parts):
        return messages.PASSWORD_PERSONAL
    # The whole address too: a password that is the email must score low.
    user_inputs = [*parts, fold(email)] if email else parts
    with _zxcvbn_lock:
        result = zxcvbn(normalized[:ZXCVBN_MAX_LEN], user_inputs=user_inputs)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    reason = feedback["warning"] or next(iter(feedback["suggestions"]), "")
    return f"{messages.PASSWORD_WEAK} {reason}".strip()
