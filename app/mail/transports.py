"""Where messages go, as ``MAIL_URL`` says: an SMTP server, ``.eml`` files, or the log only.

- ``smtp://user:password@host:port`` (port 25), ``smtp+starttls://…`` (port 587, STARTTLS
  required) and ``smtps://…`` (port 465, TLS from the start): an SMTP server. User and password
  are optional, and percent-encoded in the URL.
- ``file:///path/to/dir``: each message saved as an ``.eml`` file there (in UTF-8, so an
  address outside ASCII is kept as it is); its recipient, file and id are logged, never its text.
- ``log://``: no mail at all; each message's recipient, subject and id are logged, nothing else.

Every SMTP call runs under ``MAIL_TIMEOUT``: smtplib has no timeout unless given one. The log
shows every value of a message escaped (``app.log.escaped``): none can start a line of its own.
"""

import email.policy
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from app.log import MAIL_LOGGER, escaped

logger = logging.getLogger(MAIL_LOGGER)

SMTP_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailUrlError(RuntimeError):
    pass


def check_mail_url(url: str) -> str:
    """``url`` once it names a transport this module knows; a RuntimeError otherwise."""
    transport_for(url, timeout=1)
    return url


def transport_for(url: str, timeout: float):
    """The transport that ``url`` names."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in SMTP_PORTS and parts.hostname:
        try:
            port = parts.port or SMTP_PORTS[scheme]
        except ValueError as exc:
            raise MailUrlError(f"MAIL_URL has a bad port: {parts.netloc!r}") from exc
        return SmtpTransport(
            scheme,
            parts.hostname,
            port,
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else "",
            float(timeout),
        )
    if scheme == "file" and parts.path and not parts.netloc:
        return FileTransport(Path(unquote(parts.path)))
    if scheme == "log" and not parts.netloc.strip("/") and not parts.path.strip("/"):
        return LogTransport()
    raise MailUrlError(
        "MAIL_URL must be smtp://, smtp+starttls://, smtps:// (with a host), "
        f"file:///a/folder or log://; not {_without_password(url)!r}"
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@", 1)
    return url


@dataclass(frozen=True)
class SmtpTransport:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str
    timeout: float

    def send(self, message):
        """Hand ``message`` to the server; an ``OSError`` or ``SMTPException`` if it fails."""
        context = ssl.create_default_context()
        if self.scheme == "smtps":
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with connection as smtp:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)


@dataclass(frozen=True)
class FileTransport:
    folder: Path

    def send(self, message):
        """Save ``message`` as ``<folder>/<Message-ID>.eml``, whole or not at all, and log
        where: never its text, which holds its link."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("/", "_")
        path = self.folder / f"{name}.eml"
        partial = path.with_suffix(".eml.partial")
        # UTF-8 headers, as SMTPUTF8 sends them: the stored policy (ASCII only) cannot write
        # an address outside ASCII.
        partial.write_bytes(message.as_bytes(policy=email.policy.SMTPUTF8))
        os.replace(partial, path)
        logger.info(
            "Mail to %s saved as %s, %s",
            escaped(message["To"]),
            escaped(path),
            escaped(message["Message-ID"]),
        )


class LogTransport:
    def send(self, message):
        """Send nothing: log who the message was for."""
        logger.warning(
            "Mail not sent (MAIL_URL=log://): to %s, %s, %s",
            escaped(message["To"]),
            escaped(message["Subject"]),
            escaped(message["Message-ID"]),
        )
