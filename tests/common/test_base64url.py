"""Base64url without padding (``app.common.base64url``), as py_webauthn writes it."""

import os

import pytest
from webauthn.helpers import base64url_to_bytes as webauthn_decode
from webauthn.helpers import bytes_to_base64url as webauthn_encode

from app.common.base64url import base64url_to_bytes, bytes_to_base64url


@pytest.mark.parametrize("length", [0, 1, 2, 3, 16, 32, 33, 64, 65])
def test_the_encoding_is_py_webauthns_both_ways(length):
    data = os.urandom(length)
    text = bytes_to_base64url(data)
    assert text == webauthn_encode(data)
    assert "=" not in text
    assert base64url_to_bytes(text) == webauthn_decode(text) == data
