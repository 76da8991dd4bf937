"""TOTP (RFC 6238) with pyotp: new secrets, their URI and QR code, and accepting a code.

A code is accepted within one time step either side of now, and only once: accepting it moves
the credential's ``last_step`` forward in one conditional ``UPDATE``, so a replayed code (or
two requests racing with the same one) finds the step taken.
"""

import logging
import re

import pyotp
from flask import current_app
from pyotp.utils import strings_equal
from sqlalchemy import delete, exists, select, update

from app.common.time import utcnow
from app.extensions import db
from app.mfa import encryption
from app.mfa.models import TotpCredential

logger = logging.getLogger(__name__)

# One step either side of now: a phone's clock that is a little off still works.
VALID_WINDOW = 1
DIGITS = 6
# ASCII digits only: pyotp compares after NFKC, which would take fullwidth digits too.
CODE_SHAPE = re.compile(rf"[0-9]{{{DIGITS}}}")


def normalise_code(value: str) -> str:
    """A code as people type it (``123 456``), without its spaces."""
    return re.sub(r"\s+", "", value)


def is_enabled(user_id):
    """The SQL truth of "the user has confirmed a TOTP secret", to select with other things."""
    return exists().where(
        TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_not(None)
    )


def enabled(user_id) -> bool:
    """True when the user has confirmed a TOTP secret."""
    return db.session.scalar(select(is_enabled(user_id)))


def begin_setup(user):
    """A new, unconfirmed secret for ``user``, replacing any earlier one waiting for its
    first code, in the caller's transaction: ``(secret, otpauth URI, QR code data URI)``."""
    db.session.execute(
        delete(TotpCredential).where(
            TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_(None)
        )
    )
    secret = pyotp.random_base32()
    db.session.add(TotpCredential(user_id=user.id, secret=encryption.seal(secret)))
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.user_name, issuer_name=current_app.config["TOTP_ISSUER"]
    )
    import segno  # only enrolment draws a QR code: a worker need not hold it otherwise

    return secret, uri, segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def _matching_step(credential, code) -> int | None:
    """The time step within the window whose code ``code`` is, or None."""
    code = normalise_code(code)
    if not CODE_SHAPE.fullmatch(code):
        return None
    try:
        totp = pyotp.TOTP(encryption.unseal(credential.secret))
    except encryption.InvalidToken:
        # Sealed under a key no longer configured: no code can match, and an operator must
        # reset the user's second factor (``manage.py mfa-reset``).
        logger.error("The TOTP secret of user %s opens under no key of MFA_KEY", credential.user_id)
        return None
    step = totp.timecode(utcnow())
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        # Every candidate is compared, in constant time: the timing tells nothing of which.
        if strings_equal(code, totp.generate_otp(candidate)):
            return candidate
    return None


def accept(user_id, code, confirmed=True) -> bool:
    """Accept ``code`` for the user's secret (the confirmed one, or with ``confirmed`` false
    the one waiting for its first code), in the caller's transaction; False when it is wrong,
    already used, or there is no such secret. Accepting the first code confirms the secret."""
    state = (
        TotpCredential.confirmed_at.is_not(None)
        if confirmed
        else (TotpCredential.confirmed_at.is_(None))
    )
    credential = db.session.scalar(
        select(TotpCredential).where(TotpCredential.user_id == user_id, state)
    )
    if credential is None:
        return False
    step = _matching_step(credential, code)
    if step is None:
        return False
    values = {TotpCredential.last_step: step}
    if not confirmed:
        values[TotpCredential.confirmed_at] = utcnow()
    statement = (
        update(TotpCredential)
        .where(
            TotpCredential.user_id == user_id,
            state,
            # The very secret that was checked: a set-up replaced meanwhile is another one.
            TotpCredential.secret == credential.secret,
            (TotpCredential.last_step.is_(None)) | (TotpCredential.last_step < step),
        )
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount == 1


def has_pending_setup(user_id) -> bool:
    statement = select(TotpCredential.user_id).where(
        TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_(None)
    )
    return db.session.scalar(statement) is not None


def remove(user_id) -> bool:
    """Delete the user's TOTP secret, confirmed or not, in the caller's transaction; True when
    a confirmed one went."""
    statement = delete(TotpCredential).where(TotpCredential.user_id == user_id)
    was_on = enabled(user_id)
    return db.session.execute(statement).rowcount > 0 and was_on


def reseal_all() -> int:
    """Seal every stored secret again under the newest key, in the caller's transaction; how
    many."""
    credentials = db.session.scalars(select(TotpCredential)).all()
    for credential in credentials:
        credential.secret = encryption.reseal(credential.secret)
    return len(credentials)
