"""Password reset over mail: asking for a link, and setting a new password with it.

Asking answers alike for every address, with an account or not, and costs the same: it
writes one job to the outbox, whatever the address, due after a random delay of up to
``RESET_JOB_DELAY`` seconds. A sender runs the job outside the request, at its first look
after that, and the job costs the same for every address (``fulfil_reset_request``): so the
requester's next request, on the same worker, tells nothing either. Only an active account's
own address gets a message; a disabled account gets no link, and its token changes nothing.
Setting the password ends every session of the account and logs nobody in. Both are counted
per address, keyed like the failed-login count.
"""

import secrets
from datetime import timedelta

from flask import current_app

from app.accounts import mailings, tokens
from app.accounts.checks import (
    peeked_token,
    redeemed_token,
    refuse_token,
    require_strong_password,
)
from app.common import messages
from app.common.time import utcnow
from app.extensions import db
from app.mail.outbox import enqueue_job, finish_job
from app.personal_tokens import flows as personal_tokens
from app.security import throttle
from app.security.events import PASSWORD_RESET, RESET_REQUESTED, RESET_SENT, security_event
from app.sessions import store
from app.sessions.store import duration
from app.users.models import User
from app.users.passwords import passwords

REQUEST_SCOPE = "reset-request"
RESET_SCOPE = "password-reset"
RESET_JOB = "reset_request"


def _count_for_address(email, scope, **who):
    """One more use of ``scope`` for ``email``, keyed like its failed logins; a 429 past
    ``RESET_ADDRESS_LIMIT``."""
    throttle.count_attempt(
        [throttle.login_key(email)],
        scope=scope,
        limit="RESET_ADDRESS_LIMIT",
        message=messages.TOO_MANY_REQUESTS,
        **who,
    )


def _job_delay() -> timedelta:
    """A random delay, up to ``RESET_JOB_DELAY`` seconds."""
    most = float(current_app.config["RESET_JOB_DELAY"])
    return timedelta(seconds=secrets.SystemRandom().uniform(0, most))


def request_reset(email):
    """Queue the job that mails a reset link to the account of ``email``, if there is one."""
    _count_for_address(email, REQUEST_SCOPE, login=email)
    expires_at = utcnow() + duration("RESET_TOKEN_LIFETIME")
    enqueue_job(RESET_JOB, email, delay=_job_delay(), expires_at=expires_at)
    db.session.commit()
    security_event(RESET_REQUESTED, login=email)


def fulfil_reset_request(row, sender):
    """The sender's job: queue a reset link for the active account whose address is the
    job's (ignoring letter case), to the address stored on it. For no account, or a disabled
    one, the same message is composed and dropped: the job's work is the same."""
    user = User.find_by_email(row.recipient)
    if user is not None and not user.is_active:
        user = None
    if user is not None:
        mailings.send_reset(user)
    else:
        mailings.compose_reset_for_nobody(row.recipient)
    if not finish_job(row, sender):
        db.session.rollback()
        return
    db.session.commit()
    if user is not None:
        security_event(RESET_SENT, user=user)


def reset_password(form):
    """Set the new password of a validated reset form whose token is good, and end every
    session of the account; a 400 for any token that is not good, and nothing changes."""
    peeked = peeked_token(form.token.data, tokens.RESET_PASSWORD)
    user = db.session.get(User, peeked.user_id)
    if not user.is_active:
        # A link mailed before the account was disabled (disabling moves the credential
        # version on, which kills it anyway): not good, like any other.
        refuse_token(tokens.RESET_PASSWORD)
    form.user = user
    require_strong_password(form)
    # Counted once the new password passes the rule: a weak choice is not a reset.
    _count_for_address(user.email, RESET_SCOPE, user=user)
    # End the reads: the new password is hashed next.
    db.session.commit()
    new_hash = passwords.hash(form.password.data)
    # The token is used up, the password replaced and every session ended in one transaction,
    # only while the token is still good and the password is the one it was made for: of two
    # resets at once, one wins.
    redeemed_token(form.token.data, tokens.RESET_PASSWORD)
    if not user.replace_password(new_hash):
        refuse_token(tokens.RESET_PASSWORD)
    store.end_all(user)
    personal_tokens.end_all(user)
    if user.email_confirmed_at is None:
        # The link reached the address, and was used: the address is the account's.
        user.email_confirmed_at = utcnow()
    mailings.send_password_changed(user, how="with a link sent to this address", all_sessions=True)
    db.session.commit()
    security_event(PASSWORD_RESET, user=user)
