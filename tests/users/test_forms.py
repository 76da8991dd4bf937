"""The login and signup forms and their validators, fed directly with form data."""

import pytest
from werkzeug.datastructures import MultiDict

from app.common import messages
from app.config import Config
from app.users import constants
from app.users.forms import LoginForm, SignupForm
from tests.helpers import PASSWORD, SIGNUP_FIELDS, STRONG_128

PASSWORD_LENGTH = messages.PASSWORD_LENGTH.format(
    min=Config.PASSWORD_MIN_LENGTH, max=constants.MAX_PASSWORD_LEN
)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def signup(**changes):
    form = SignupForm(formdata=MultiDict({**SIGNUP_FIELDS, **changes}))
    form.validate()
    return form


def login(**fields):
    form = LoginForm(formdata=MultiDict(fields))
    form.validate()
    return form


def test_valid_signup(ctx):
    form = signup()
    assert form.errors == {}
    assert form.user_name.data == "alice"


def test_forms_carry_no_csrf_field(ctx):
    """CSRFProtect checks the header for every request; the forms need no token field."""
    assert "csrf_token" not in signup()._fields
    assert "csrf_token" not in login(login="alice", password="x")._fields


def test_text_fields_are_trimmed(ctx):
    form = signup(user_name="  alice ", first_name=" Alice\t", last_name=" Liddell ")
    assert form.errors == {}
    assert (form.user_name.data, form.first_name.data, form.last_name.data) == (
        "alice",
        "Alice",
        "Liddell",
    )


def test_passwords_are_not_trimmed(ctx):
    form = signup(password=f" {PASSWORD} ", confirm=f" {PASSWORD} ")
    assert form.errors == {}
    assert form.password.data == f" {PASSWORD} "


def test_email_is_replaced_by_its_normal_form(ctx):
    form = signup(email="  Alice@EXAMPLE.COM ")
    assert form.errors == {}
    assert form.email.data == "Alice@example.com"


def test_internationalised_email_is_accepted(ctx):
    form = signup(email="j\u00fcrgen@b\u00fccher.example")
    assert form.errors == {}
    assert form.email.data == "j\u00fcrgen@b\u00fccher.example"


FFI = "\ufb03"


@pytest.mark.parametrize(
    ("password", "outcome"),
    [
        # Strong, and one short of the default minimum of 15: the length refuses it.
        ("Zq8#vT2!x-ab3#", "length"),
        ("Zq8#vT2!x-ab3#L", "ok"),
        # Fifteen code points pass the length rule; the strength rule still applies.
        ("aaaaaaaaaaaaaaa", "weak"),
        (STRONG_128, "ok"),
        (STRONG_128 + "x", "length"),
        # U+FB03 (one code point typed) is three after NFKC.
        (FFI * 4 + "Zq", "length"),
        (FFI * 4 + "Zq8", "weak"),
        (FFI + "Zq8#vT2!x-ab", "ok"),
        (STRONG_128[:59] + FFI * 23, "ok"),
        (STRONG_128[:59] + FFI * 23 + "x", "length"),
        (FFI * 43, "length"),
        # A combining sequence composes to one code point: fourteen after NFKC.
        ("e\u0301" * 14, "length"),
    ],
)
def test_password_length_is_counted_after_nfkc(ctx, password, outcome):
    form = signup(password=password, confirm=password)
    if outcome == "length":
        assert form.errors == {"password": [PASSWORD_LENGTH]}
        return
    assert form.errors == {}
    if outcome == "ok":
        assert form.password_problem() is None
    else:
        assert form.password_problem().startswith(messages.PASSWORD_WEAK)


@pytest.mark.usefixtures("no_scoring")
def test_validation_never_scores_the_password(ctx):
    """Scoring is the dearest check: views ask for it once the cheap ones have passed."""
    assert signup(password="password" * 2, confirm="password" * 2).errors == {}


def test_confirm_is_compared_after_nfkc(ctx):
    """Both are hashed in their NFKC form, so they are the same password."""
    form = signup(password="caf\u00e9-au-lait-42", confirm="cafe\u0301-au-lait-42")
    assert form.errors == {}


def test_confirm_must_match(ctx):
    form = signup(confirm=PASSWORD + "!")
    assert form.errors == {"confirm": [messages.PASSWORDS_MUST_MATCH]}


def test_many_errors_at_once(ctx):
    form = signup(user_name="a!", first_name="", email="nope", password="short", confirm="")
    assert form.errors == {
        "user_name": [
            messages.USER_NAME_LENGTH.format(
                min=constants.MIN_USERNAME_LEN, max=constants.MAX_USERNAME_LEN
            ),
            messages.USER_NAME_CHARACTERS,
        ],
        "first_name": [messages.FIELD_REQUIRED],
        "email": [messages.EMAIL_INVALID],
        "password": [PASSWORD_LENGTH],
        "confirm": [messages.FIELD_REQUIRED],
    }


def test_user_name_rejects_control_characters(ctx):
    form = SignupForm(formdata=MultiDict({**SIGNUP_FIELDS, "user_name": "ali\nce"}))
    form.validate()
    assert form.errors == {"user_name": [messages.USER_NAME_CHARACTERS]}


def test_login_has_no_password_policy(ctx):
    assert login(login="alice", password="a").errors == {}


def test_login_remember_me_defaults_to_false(ctx):
    assert login(login="alice", password="x").remember_me.data is False
    assert login(login="alice", password="x", remember_me="y").remember_me.data is True


def test_login_is_trimmed(ctx):
    assert login(login="  alice ", password="x").login.data == "alice"


def test_login_limits(ctx):
    assert login(login="a" * constants.MAX_LOGIN_LEN, password="x" * 128).errors == {}
    assert login(login="a" * (constants.MAX_LOGIN_LEN + 1), password="x" * 129).errors == {
        "login": [messages.LOGIN_TOO_LONG.format(max=constants.MAX_LOGIN_LEN)],
        "password": [messages.PASSWORD_TOO_LONG.format(max=constants.MAX_PASSWORD_LEN)],
    }
