"""The length rule of a new password, from ``PASSWORD_MIN_LENGTH``, and the setting's check."""

import pytest

from app.common import messages
from app.config import Config
from app.users import constants
from app.users.validators import check_password_min_length, new_password_length_problem

FFI = "\ufb03"


def length_message(minimum):
    return messages.PASSWORD_LENGTH.format(min=minimum, max=constants.MAX_PASSWORD_LEN)


def test_the_default_is_nist_s_fifteen():
    """NIST SP 800-63B-4 (2025): 15 for a password that is the only factor."""
    assert Config.PASSWORD_MIN_LENGTH == 15


@pytest.mark.parametrize(
    ("setting", "password", "problem"),
    [
        (15, "x" * 14, length_message(15)),
        (15, "x" * 15, None),
        (15, "x" * 128, None),
        (15, "x" * 129, length_message(15)),
        # Counted after NFKC: five code points typed, fifteen counted.
        (15, FFI * 5, None),
        (15, FFI * 4 + "x", length_message(15)),
        (8, "x" * 8, None),
        (8, "x" * 7, length_message(8)),
        (20, "x" * 19, length_message(20)),
        (128, "x" * 128, None),
    ],
)
def test_the_length_follows_the_setting(bare_config, setting, password, problem):
    bare_config(PASSWORD_MIN_LENGTH=setting)
    assert new_password_length_problem(password) == problem


@pytest.mark.parametrize("value", [1, 15, constants.MAX_PASSWORD_LEN])
def test_a_sound_minimum_is_taken(value):
    check_password_min_length(value)


@pytest.mark.parametrize("value", [0, -1, constants.MAX_PASSWORD_LEN + 1, "15", 15.0, True, None])
def test_an_unsound_minimum_stops_the_app(value):
    with pytest.raises(RuntimeError, match="PASSWORD_MIN_LENGTH must be a whole number"):
        check_password_min_length(value)
