"""``PUBLIC_URL``: the one address that links in messages are built from, never the request's."""

from urllib.parse import urlencode, urlsplit

from flask import current_app


def check_public_url(url: str) -> str:
    """``url`` without its trailing slash, once it is an absolute http(s) address."""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        raise RuntimeError(
            f"PUBLIC_URL must be an http:// or https:// address such as "
            f"https://auth.example.com, with no user, query or fragment; not {url!r}"
        )
    return url.rstrip("/")


def trusted_hosts(url: str) -> list[str]:
    """The hosts a request may name: the public address's (Flask ignores the port)."""
    return [urlsplit(url).hostname]


def page_link(path: str, **fragment) -> str:
    """A link to the page at ``path``, the values in its fragment: a token in the fragment
    never reaches a server's log or a ``Referer``."""
    link = current_app.config["PUBLIC_URL"] + path
    return f"{link}#{urlencode(fragment)}" if fragment else link
