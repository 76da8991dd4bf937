"""Forward auth, beside the view (``app/api/forward.py``): the headers that tell a protected
app who is asking, and the return addresses the page may send a person back to.

A return address is followed only to a host the operator lists in
``FORWARD_AUTH_ALLOWED_HOSTS`` (host names, each with an optional port: ``app.example.com``
matches an address that names no port, ``app.example.com:8443`` that port), over http or https,
with no user name or password in it: anything else (another host, ``//evil.example``,
``\\\\evil.example``, ``javascript:``) is dropped, so the login page is no open redirect.
"""

from urllib.parse import urlsplit

from flask import current_app

HEADERS = ("X-Auth-User", "X-Auth-Email", "X-Auth-Role", "X-Auth-Id")
SCHEMES = ("http", "https")
MAX_LEN = 2048


def identity_headers(user) -> dict:
    """Who ``user`` is, for the protected app: the user name, address, role and id (a
    stable number, never the name)."""
    return dict(zip(HEADERS, (user.user_name, user.email, user.role, str(user.id)), strict=True))


def allowed_hosts() -> frozenset:
    """The operator's list, lowercased: each ``host`` or ``host:port``."""
    listed = current_app.config["FORWARD_AUTH_ALLOWED_HOSTS"] or ""
    if isinstance(listed, str):
        listed = listed.split(",")
    return frozenset(host.strip().lower() for host in listed if host.strip())


def return_address(address) -> str | None:
    """``address`` when the page may send a person back to it after logging in; else None."""
    if not isinstance(address, str) or not address or len(address) > MAX_LEN:
        return None
    # Browsers read a backslash as a slash, and drop tabs and newlines: refuse them outright.
    if any(char in address for char in "\\\t\r\n") or address != address.strip():
        return None
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in SCHEMES or not parts.hostname or "@" in parts.netloc:
        return None
    host = parts.hostname.lower()
    return address if (host if port is None else f"{host}:{port}") in allowed_hosts() else None
