"""The messages an account receives, each queued in the caller's transaction.

Every one goes to the address stored on the account (or, for an email change, to the new
address being confirmed), never to an address as someone typed it. Links come from
``PUBLIC_URL``, with the token in the fragment.
"""

from flask import has_request_context

from app.accounts import tokens
from app.common.time import utcnow
from app.mail.compose import compose, in_words
from app.mail.outbox import enqueue
from app.public_url import page_link
from app.security import events
from app.security.client import client_ip
from app.sessions.store import duration

# The page's paths that read a token from their fragment.
LINK_PATHS = {
    tokens.CONFIRM_EMAIL: "/confirm",
    tokens.RESET_PASSWORD: "/reset",
    tokens.CHANGE_EMAIL: "/change-email",
}


def _send_link(user, purpose, to):
    """Queue the message of ``purpose`` with a new token's link, sent to ``to``."""
    token, expires_at = tokens.issue(user, purpose, to)
    message = compose(
        purpose,
        to,
        user_name=user.user_name,
        email=to,
        link=page_link(LINK_PATHS[purpose], token=token),
        lifetime=in_words(duration(tokens.LIFETIMES[purpose])),
    )
    enqueue(message, purpose, user, expires_at=expires_at)


def _send_notice(user, kind, **context):
    """Queue the notice ``kind`` to the account's address: what happened, when, from where."""
    when = utcnow().strftime("%Y-%m-%d %H:%M UTC")
    message = compose(
        kind,
        user.email,
        user_name=user.user_name,
        when=when,
        ip=client_ip() if has_request_context() else None,
        **context,
    )
    enqueue(message, kind, user)


def send_confirmation(user):
    _send_link(user, tokens.CONFIRM_EMAIL, user.email)


def send_reset(user):
    _send_link(user, tokens.RESET_PASSWORD, user.email)


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
    ``name``."""
    _send_notice(user, "mfa_changed", what=MFA_CHANGES[change].format(name=name), left=left)
