"""The normalised forms that make user names and emails unique ignoring letter case."""

import contextlib
import unicodedata

from email_validator import EmailNotValidError, validate_email


def user_name_key(user_name: str) -> str:
    """The casefolded form that makes user names unique ignoring case."""
    return user_name.strip().casefold()


def email_key(email: str) -> str:
    """The lower-cased normalised form that makes emails unique ignoring letter case.

    Lower-cased, not case-folded: folding merges distinct mailboxes (``ß`` and ``ss``, ``ﬀ``
    and ``ff``). No character takes more code points lower-cased than it takes UTF-8 bytes,
    and NFC only composes, so the key of an address that email-validator accepts (at most 254
    bytes) fits its column. NFC again because lower-casing an upper-case letter with accents
    can leave them uncomposed.
    """
    email = email.strip()
    with contextlib.suppress(EmailNotValidError):
        email = validate_email(email, check_deliverability=False).normalized
    return unicodedata.normalize("NFC", email.lower())
