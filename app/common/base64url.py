"""Base64url without padding, as WebAuthn writes ids and challenges.

Kept here rather than imported from py_webauthn, so that storing a challenge or a handle
does not load the whole WebAuthn library into a worker that never runs a ceremony.
"""

from base64 import urlsafe_b64decode, urlsafe_b64encode


def base64url_to_bytes(text: str) -> bytes:
    # The decoder wants padding and ignores any excess, so the most ever needed is added.
    return urlsafe_b64decode(f"{text}===")


def bytes_to_base64url(data: bytes) -> str:
    return urlsafe_b64encode(data).decode("ascii").rstrip("=")
