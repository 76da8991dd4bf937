"""The password rule applied whenever a password is set (signup, change, reset, the CLI).

Never at login: older accounts with weaker or shorter passwords must still get in. The rule is
the length (``app.users.validators``, from ``PASSWORD_MIN_LENGTH``) and the strength here;
``new_password_problem`` checks both, for a caller that has no form.

zxcvbn is called without ``user_inputs``: it would write them into a dictionary global to the
process, which only a lock around every scoring could keep apart. The user's own words are
checked here instead, read plainly, reversed and through the substitution symbols
that zxcvbn itself decodes. What zxcvbn sees is bounded too (``scored_text``), so that no
password costs more than a few times an ordinary one to score.
"""

from zxcvbn import zxcvbn
from zxcvbn.matching import L33T_TABLE, enumerate_l33t_subs, relevant_l33t_subtable

from app.common import messages
from app.users.passwords import normalize
from app.users.validators import new_password_length_problem

MIN_SCORE = 3
# zxcvbn raises on longer input; the prefix is scored, the whole password is hashed.
ZXCVBN_MAX_LEN = 72
MIN_PERSONAL_PART_LEN = 4
# zxcvbn's l33t matcher makes one dictionary pass over the password for each way of reading
# the substitution symbols it holds: 736 for a string of all twenty of them, where an ordinary
# password has one or two. Symbols beyond this many readings are read as their letter.
MAX_L33T_READINGS = 8
# Each substitution symbol and the letters it can stand for, from zxcvbn's own table.
SUBSTITUTIONS = {
    symbol: [letter for letter, symbols in L33T_TABLE.items() if symbol in symbols]
    for symbol in sorted({symbol for symbols in L33T_TABLE.values() for symbol in symbols})
}


def fold(text):
    """``text`` for caseless comparison: NFKC, casefolded, and NFKC again.

    Both sides go through it, so a name typed in fullwidth or decomposed form still
    matches the password; the second NFKC undoes what casefolding can denormalise.
    """
    return normalize(normalize(text).casefold())


def l33t_readings(symbols: str) -> int:
    """How many dictionary passes zxcvbn's l33t matcher makes for a text holding ``symbols``."""
    return len(enumerate_l33t_subs(relevant_l33t_subtable(symbols, L33T_TABLE)))


def scored_text(password: str) -> str:
    """What zxcvbn scores: the first 72 code points of the NFKC form, where each substitution
    symbol that would take the readings past ``MAX_L33T_READINGS`` is replaced by its letter.

    Reading a symbol as its letter only makes words easier to find, so the bound never lets a
    weaker password through; it matters only for text dense with distinct symbols.
    """
    kept, text = "", []
    for char in normalize(password)[:ZXCVBN_MAX_LEN]:
        if char in SUBSTITUTIONS and char not in kept:
            if l33t_readings(kept + char) <= MAX_L33T_READINGS:
                kept += char
            else:
                char = SUBSTITUTIONS[char][0]
        text.append(char)
    return "".join(text)


def personal_parts(user_name="", email="", first_name="", last_name=""):
    """The user's own words that a password must not contain: names, local part, address."""
    local_part = (email or "").rsplit("@", 1)[0]
    words = (user_name, local_part, first_name, last_name, email)
    parts = (fold(word or "").strip() for word in words)
    return [part for part in parts if len(part) >= MIN_PERSONAL_PART_LEN]


def _readings(folded: str):
    """``folded`` as typed, reversed, and with its substitution symbols read as letters (each
    way for the symbols that stand for two letters)."""
    for choice in (0, -1):
        decoded = "".join(SUBSTITUTIONS.get(char, [char])[choice] for char in folded)
        for text in (folded, decoded):
            yield text
            yield text[::-1]


def contains_personal_part(password, parts) -> bool:
    readings = set(_readings(fold(password)))
    return any(part in reading for part in parts for reading in readings)


def password_problem(password, user_name="", email="", first_name="", last_name=""):
    """Why ``password`` is refused, or None when it is acceptable."""
    parts = personal_parts(user_name, email, first_name, last_name)
    if contains_personal_part(password, parts):
        return messages.PASSWORD_PERSONAL
    result = zxcvbn(scored_text(password))
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    reason = feedback["warning"] or next(iter(feedback["suggestions"]), "")
    return f"{messages.PASSWORD_WEAK} {reason}".strip()


def new_password_problem(password, user_name="", email="", first_name="", last_name=""):
    """Why ``password`` may not be set for that user, or None: its length first, then its
    strength; the whole rule in one call, as the forms apply it in two steps."""
    return new_password_length_problem(password) or password_problem(
        password, user_name, email, first_name, last_name
    )
