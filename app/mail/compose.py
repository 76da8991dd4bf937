"""The messages: headers, a text part and an HTML part, rendered from ``templates/mail/``."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template

from app.common.time import utcnow
from app.public_url import page_link

SERVICE_NAME = "Flask auth"
SUBJECTS = {
    "confirm_email": "Confirm your email address",
    "reset_password": "Reset your password",
    "change_email": "Confirm your new email address",
    "email_changing": "Your email address is being changed",
    "password_changed": "Your password was changed",
    "signup_attempt": "Someone tried to sign up with your email address",
    "mfa_changed": "Your two-factor authentication changed",
    "goodbye": "Your account is deleted",
}


def in_words(delta) -> str:
    """A lifetime as people say it: "1 hour", "3 days", "90 minutes"."""
    minutes = int(delta.total_seconds() // 60)
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes >= size and minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minutes"


def compose(kind: str, to: str, **context) -> EmailMessage:
    """The message ``kind`` for the address ``to``, with a ``Message-ID`` of its own that
    every retry keeps, so that a receiver can tell a resent copy."""
    config = current_app.config
    context = {
        "service": SERVICE_NAME,
        "public_url": config["PUBLIC_URL"],
        "forgot_link": page_link("/forgot"),
        **context,
    }
    message = EmailMessage()
    message["Subject"] = SUBJECTS[kind]
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=urlsplit(config["PUBLIC_URL"]).hostname)
    # RFC 3834: no vacation or out-of-office replies to these.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template(f"mail/{kind}.txt", **context))
    message.add_alternative(render_template(f"mail/{kind}.html", **context), subtype="html")
    return message
