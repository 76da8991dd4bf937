"""The account's email address: confirming it, and changing it to one that is confirmed.

An address counts as confirmed once a link sent to it was used. A change needs the password,
sends a link to the new address and a notice to the old one, and happens when the link is
used: only then, checked again for uniqueness, does the account take the new address.
"""

from app.accounts import mailings, tokens
from app.accounts.checks import (
    account_password_checked,
    confirmed_by_token,
    email_conflict,
    redeemed_token,
    unique_keys,
)
from app.common import messages
from app.common.refusals import FieldErrors, Refusal
from app.common.time import utcnow
from app.extensions import db
from app.security import throttle
from app.security.events import (
    CONFIRMATION_SENT,
    EMAIL_CHANGE_FAILED,
    EMAIL_CHANGE_REQUESTED,
    EMAIL_CHANGED,
    EMAIL_CONFIRMED,
    LOGIN_UNCONFIRMED,
    TOKEN_REFUSED,
    security_event,
)
from app.users.keys import email_key
from app.users.models import User

# The new link sent with a refused login is counted per user, under the resend route's limit.
RESEND_SCOPE = "confirmation-resend"


def refuse_unconfirmed(user):
    """The 403 of a login with the right password to an unconfirmed address; a new link goes
    out with it, as often as the resend limit allows. Nothing else of the refused login is
    kept: the link commits alone."""
    if throttle.allow(RESEND_SCOPE, f"user:{user.id}", "CONFIRM_RESEND_RATE_LIMIT"):
        db.session.rollback()
        mailings.send_confirmation(user)
        db.session.commit()
    security_event(LOGIN_UNCONFIRMED, user=user)
    raise Refusal(403, messages.EMAIL_NOT_CONFIRMED, messages.EMAIL_NOT_CONFIRMED_TYPE)


def resend_confirmation(user):
    """Send ``user`` a new confirmation link; the older ones stop working."""
    if user.email_confirmed_at is not None:
        raise Refusal(409, messages.EMAIL_ALREADY_CONFIRMED)
    mailings.send_confirmation(user)
    db.session.commit()
    security_event(CONFIRMATION_SENT, user=user)


def confirm_email(token) -> bool:
    """Use a confirmation link: its account's address is confirmed. False for a link used
    before, whose address is still its account's and confirmed: nothing more to do."""
    owner = confirmed_by_token(token)
    if owner is not None:
        security_event(TOKEN_REFUSED, user=owner, purpose=tokens.CONFIRM_EMAIL, reused=True)
        return False
    redeemed = redeemed_token(token, tokens.CONFIRM_EMAIL)
    user = db.session.get(User, redeemed.user_id)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.commit()
    security_event(EMAIL_CONFIRMED, user=user)
    return True


def request_email_change(user, form):
    """Check the password, then send the link to the new address and the notice to the old."""
    new_email = form.email.data
    # End the reads: the password is checked next.
    db.session.commit()
    # A wrong password is a failed login, counted for both names of the account.
    if not account_password_checked(user, form.password.data):
        security_event(EMAIL_CHANGE_FAILED, user=user)
        raise Refusal(403, messages.WRONG_CURRENT_PASSWORD)
    if email_key(new_email) == user.email_key:
        raise FieldErrors({"email": [messages.EMAIL_UNCHANGED]})
    if User.is_email_taken(new_email):
        raise email_conflict()
    mailings.send_email_change(user, new_email)
    db.session.commit()
    security_event(EMAIL_CHANGE_REQUESTED, user=user)


def change_email(token):
    """Use an email-change link: the account takes the address the link was sent to."""
    redeemed = redeemed_token(token, tokens.CHANGE_EMAIL)
    user = db.session.get(User, redeemed.user_id)
    if User.is_email_taken(redeemed.email):
        raise email_conflict()
    old_email = user.email
    user.email = redeemed.email
    user.email_confirmed_at = utcnow()
    # Taken by another account since the check: the unique key says so, as a 409.
    with unique_keys():
        db.session.commit()
    security_event(EMAIL_CHANGED, user=user, old_email=old_email)
