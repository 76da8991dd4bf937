"""The messages an account receives, each queued in the caller's transaction.

Every one goes to the address stored on the account (or, for an email change, to the new
address being confirmed), never to an address as someone typed it. Links come from
``PUBLIC_URL``, with the token in the fragment.

Two sorts: the messages with a link that proves the address (a confirmation, a reset link, an
email-change link), and the notices, which tell of a change, all through ``_send_notice``. An
address that was never confirmed gets no notice at all: whoever signed up with someone else's
address cannot make the app mail that person. Notices are limited and merged per account and
address (``app.mail.notices``).
"""

import secrets

from flask import has_request_context

from app.accounts import tokens
from app.common.time import utcnow
from app.mail import notices
from app.mail.compose import compose, in_words, one_line, unlinked
from app.mail.outbox import enqueue, serialized
from app.public_url import page_link
from app.security import events
from app.security.client import client_ip
from app.sessions.models import hash_token
from app.sessions.store import duration

GOODBYE = "goodbye"
# The page's paths that read a token from their fragment.
LINK_PATHS = {
    tokens.CONFIRM_EMAIL: "/confirm",
    tokens.RESET_PASSWORD: "/reset",
    tokens.CHANGE_EMAIL: "/change-email",
}


def _link_message(purpose, to, user_name, token):
    return compose(
        purpose,
        to,
        user_name=user_name,
        email=to,
        link=page_link(LINK_PATHS[purpose], token=token),
        lifetime=in_words(duration(tokens.LIFETIMES[purpose])),
    )


def _send_link(user, purpose, to):
    """Queue the message of ``purpose`` with a new token's link, sent to ``to``."""
    token, expires_at = tokens.issue(user, purpose, to)
    enqueue(_link_message(purpose, to, user.user_name, token), purpose, user, expires_at=expires_at)


def _send_notice(user, kind, **context):
    """Tell the account's address of the change ``kind``: what happened (``context``, shown by
    ``templates/mail/changes/<kind>.*``), when, and from which client IP; nothing if the
    address was never confirmed. ``context`` waits in the outbox as JSON, each text on one
    line (``one_line``). A goodbye (``GOODBYE``) is the last message of an account already
    gone: it goes at once, for no account, on its own template."""
    if user.email_confirmed_at is None:
        return
    if kind == GOODBYE:
        enqueue(compose(GOODBYE, user.email, user_name=user.user_name), GOODBYE)
        return
    change = {
        "kind": kind,
        "at": utcnow().isoformat(),
        "ip": client_ip() if has_request_context() else None,
        "context": {
            name: one_line(value) if isinstance(value, str) else value
            for name, value in context.items()
        },
    }
    notices.queue(user, change)


def send_confirmation(user):
    _send_link(user, tokens.CONFIRM_EMAIL, user.email)


def send_reset(user):
    _send_link(user, tokens.RESET_PASSWORD, user.email)


def compose_reset_for_nobody(address):
    """Make, and drop, the reset message that ``address`` would get if it had an account:
    a throwaway token's link, both parts rendered and serialised. A reset job for an address
    with no account (or a disabled one) thus costs the sender what a real one's does; only
    the writes and the delivery, seconds later, differ."""
    token = secrets.token_urlsafe(tokens.TOKEN_BYTES)
    hash_token(token)
    user_name = address.partition("@")[0]
    serialized(_link_message(tokens.RESET_PASSWORD, address, user_name, token))


def send_email_change(user, new_email):
    """The link to the new address, and a notice to the old one."""
    _send_link(user, tokens.CHANGE_EMAIL, new_email)
    _send_notice(user, "email_changing", new_email=new_email)


def send_password_changed(user, how=None, all_sessions=False):
    """The notice of a new password: ``how`` it was set, and whether every session ended."""
    _send_notice(user, "password_changed", how=how, all_sessions=all_sessions)


def send_signup_attempt(user):
    """The notice that someone tried to sign up with the account's address."""
    _send_notice(user, "signup_attempt")


# What each change to the second factor (by its security event) tells the account's owner.
MFA_CHANGES = {
    events.TOTP_ENABLED: "Two-factor authentication with an authenticator app was turned on",
    events.TOTP_DISABLED: "Two-factor authentication was turned off",
    events.RECOVERY_CODES_RENEWED: "New recovery codes were made; the old ones no longer work",
    events.RECOVERY_CODE_USED: "A recovery code was used to log in",
    events.MFA_RESET: "An operator turned off two-factor authentication, at your request",
    events.PASSKEY_ADDED: "A passkey named “{name}” was added",
    events.PASSKEY_REMOVED: "The passkey named “{name}” was removed",
}


def send_mfa_notice(user, change, left=None, name=None):
    """The notice of a change to the second factor or the passkeys (``change``, its security
    event), with how many recovery codes are ``left`` after one was used, or the passkey's
    ``name``, quoted and never a link."""
    what = MFA_CHANGES[change].format(name=unlinked(name or ""))
    _send_notice(user, "mfa_changed", what=what, left=left)


def send_token_notice(user, name, scopes):
    """The notice that a personal access token named ``name`` was made, with its scopes."""
    _send_notice(user, "token_created", name=unlinked(name), scopes=" ".join(scopes))


def send_goodbye(user):
    """The goodbye of the deleted account ``user`` (detached, its values as they were)."""
    _send_notice(user, GOODBYE)
