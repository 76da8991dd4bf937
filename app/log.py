"""The app's logs: the security events and the mail sender's lines, and the request id that
joins a request's lines.

Every answer carries its request id as ``X-Request-ID``. A trusted proxy's id is kept when it
is short and plain, so that the proxy's log and ours can be joined; from anyone else it is
ignored, since a client could reuse another request's id.
"""

import json
import logging
import re
import uuid

from flask import current_app, g, request

SECURITY_LOGGER = "app.security"
MAIL_LOGGER = "app.mail"
REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._-]{1,64}\Z")


def request_id() -> str:
    """This request's id: the trusted proxy's, or a new one."""
    if "request_id" not in g:
        incoming = ""
        if int(current_app.config["TRUSTED_PROXIES"]) > 0:
            incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


def escaped(value) -> str:
    """``value`` as a JSON string, for a log line: quoted, its newlines, control characters and
    anything outside ASCII escaped, so that it stays on its line and says where it ends."""
    return json.dumps(str(value))


class MailFormatter(logging.Formatter):
    """The mail sender's lines: each begins with ``[mail]``, a traceback's lines too, so that
    none of them, whatever text an error carries, can pass for a security event's JSON."""

    PREFIX = "[mail] "

    def __init__(self):
        super().__init__(self.PREFIX + "%(levelname)s %(message)s")

    def format(self, record):
        return super().format(record).replace("\n", "\n" + self.PREFIX)


def _to_stderr(name, level, formatter):
    logger = logging.getLogger(name)
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter)
        logger.addHandler(handler)
        logger.propagate = False


def register(app):
    """Send the security events (one JSON line each) and the mail sender's lines to stderr,
    and put the request id on every answer."""
    _to_stderr(SECURITY_LOGGER, app.config["SECURITY_LOG_LEVEL"], logging.Formatter())
    _to_stderr(MAIL_LOGGER, logging.INFO, MailFormatter())

    @app.after_request
    def add_request_id(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        return response
