"""The messages: headers, a text part and an HTML part, rendered from ``templates/mail/``.

A notice (``template="notice"``) lists its changes, each from ``templates/mail/changes/``. Text
a user chose is shown ``unlinked``: on one line, and never as a link, in either part (the HTML
part is autoescaped besides).
"""

import unicodedata
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
    "token_created": "A personal access token was made for your account",
    "goodbye": "Your account is deleted",
    # A notice that merges changes of several kinds.
    "notices": "Changes to your account",
}
# What never reaches a message from text a user chose: controls (newlines among them), line and
# paragraph separators, and the bidirectional overrides that make text read backwards.
NOT_SHOWN = {"Cc", "Zl", "Zp"}
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
REPLACEMENT = "\ufffd"
# A zero-width space after each of these (and their full-width and ideographic forms) breaks
# every URL, domain and address, so that no mail client makes a link of them.
LINK_JOINERS = set(".:/@\u3002\uff0e\uff61\uff1a\uff0f\uff20")
ZERO_WIDTH_SPACE = "\u200b"


def in_words(delta) -> str:
    """A lifetime as people say it: "1 hour", "3 days", "90 minutes"."""
    minutes = int(delta.total_seconds() // 60)
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        if minutes >= size and minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minutes"


def one_line(text: str) -> str:
    """``text`` with each control character (a newline, say), line or paragraph separator and
    bidirectional control replaced by U+FFFD: what a user chose stays on its line."""
    return "".join(
        REPLACEMENT if unicodedata.category(char) in NOT_SHOWN or char in BIDI_CONTROLS else char
        for char in text
    )


def unlinked(text: str) -> str:
    """``text`` as a message shows what a user chose: on one line, and with a zero-width space
    after every character that joins the parts of a URL, domain or address, so that it reads
    the same and no mail client makes a link of it."""
    return "".join(
        char + ZERO_WIDTH_SPACE if char in LINK_JOINERS else char for char in one_line(text)
    )


def compose(kind: str, to: str, template=None, **context) -> EmailMessage:
    """The message ``kind`` for the address ``to`` (from the templates ``template``, by default
    ``kind``'s), with a ``Message-ID`` of its own that every retry keeps, so that a receiver
    can tell a resent copy."""
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
    template = template or kind
    message.set_content(render_template(f"mail/{template}.txt", **context))
    message.add_alternative(render_template(f"mail/{template}.html", **context), subtype="html")
    return message
