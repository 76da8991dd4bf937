"""Recovery codes: their shape, and how loosely they may be typed."""

import pytest

from app.mfa import recovery_codes


def test_a_code_has_fifty_bits():
    assert len(recovery_codes.ALPHABET) ** recovery_codes.LENGTH == 2**50


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("abcde-fghjk", "abcdefghjk"),
        ("ABCDE FGHJK", "abcdefghjk"),
        ("  abcdefghjk ", "abcdefghjk"),
        ("0O1il-23456", "0011123456"),
    ],
)
def test_a_code_is_read_as_typed(typed, stored):
    assert recovery_codes.normalise(typed) == stored


@pytest.mark.parametrize("typed", ["", "abcde", "abcde-fghjk-m", "abcde-fghju", "abcde_fghjk"])
def test_anything_else_is_no_code(typed):
    assert recovery_codes.normalise(typed) is None
