"""The account forms (login, signup, passwords, tokens, addresses), with the contract's rules.

They are fed by ``app.api.payload`` (or the CLI), never by WTForms' own request reading.
"""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from app.common import messages
from app.users import constants
from app.users.validators import (
    EmailAddress,
    MatchesPassword,
    NewPasswordLength,
    PasswordLength,
)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label, max_len, message, min_len=-1, *rules):
    """A required text field, trimmed, of at most ``max_len`` characters."""
    length = Length(min=min_len, max=max_len, message=message)
    return StringField(
        label, [DataRequired(messages.FIELD_REQUIRED), length, *rules], filters=[_strip]
    )


def _password(label):
    """A required password field of at most 128 code points after NFKC; never trimmed."""
    length = PasswordLength(0, constants.MAX_PASSWORD_LEN, messages.PASSWORD_TOO_LONG)
    return PasswordField(label, [InputRequired(messages.FIELD_REQUIRED), length])


def _name(label):
    limit = constants.MAX_NAME_LEN
    return _text(label, limit, messages.NAME_TOO_LONG.format(max=limit))


class TokenField(StringField):
    """A token from a link, taken as it comes: any string, even one holding NUL or 10 KB.

    Its shape is checked by the token store, so that every bad token gets the one answer
    that a wrong one gets (``app.accounts.tokens``); only a missing one is a field error.
    """


def _token():
    return TokenField("token", [InputRequired(messages.FIELD_REQUIRED)])


def _email():
    return StringField(
        "email", [DataRequired(messages.FIELD_REQUIRED), EmailAddress()], filters=[_strip]
    )


def _personal_info_of(user):
    return {
        "user_name": user.user_name,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


class ApiForm(FlaskForm):
    """A form fed by ``app.api.payload``; CSRFProtect checks the header for every request."""

    class Meta:
        csrf = False


class LoginForm(ApiForm):
    login = _text(
        "login",
        constants.MAX_LOGIN_LEN,
        messages.LOGIN_TOO_LONG.format(max=constants.MAX_LOGIN_LEN),
    )
    password = _password("password")
    remember_me = BooleanField("remember_me", default=False)


class NewPasswordForm(ApiForm):
    """A form that sets a password: ``password`` and ``confirm``, and the password rule.

    The rule's length is a validator; its strength is not: scoring is the dearest check, so
    the flows ask for the whole rule (``password_problem``) only once the cheap checks (a taken
    name, the current password) pass. Each subclass says whose words the password must not
    contain (``personal_info``).
    """

    # From PASSWORD_MIN_LENGTH to 128 code points: the setting is read at each validation.
    password = PasswordField(
        "password", [InputRequired(messages.FIELD_REQUIRED), NewPasswordLength()]
    )
    confirm = PasswordField("confirm", [InputRequired(messages.FIELD_REQUIRED), MatchesPassword()])

    def password_problem(self) -> str | None:
        """Why the validated new password breaks the password rule, or None."""
        # Imported here: zxcvbn's dictionaries cost a worker megabytes that only a worker
        # that sets passwords needs; the first such request pays for the load.
        from app.users.policy import new_password_problem

        return new_password_problem(self.password.data, **self.personal_info())


class SignupForm(NewPasswordForm):
    user_name = _text(
        "user_name",
        constants.MAX_USERNAME_LEN,
        messages.USER_NAME_LENGTH.format(
            min=constants.MIN_USERNAME_LEN, max=constants.MAX_USERNAME_LEN
        ),
        constants.MIN_USERNAME_LEN,
        Regexp(r"\A[A-Za-z0-9]*\Z", message=messages.USER_NAME_CHARACTERS),
    )
    first_name = _name("first_name")
    last_name = _name("last_name")
    email = _email()

    def personal_info(self):
        return {
            "user_name": self.user_name.data or "",
            "email": self.email.data or "",
            "first_name": self.first_name.data or "",
            "last_name": self.last_name.data or "",
        }


class TokenForm(ApiForm):
    token = _token()


class EmailForm(ApiForm):
    email = _email()


class ResetPasswordForm(NewPasswordForm):
    """A new password for the account a reset token names (``user``, once it is known)."""

    token = _token()
    user = None

    def personal_info(self):
        return _personal_info_of(self.user)


class PasswordForm(ApiForm):
    password = _password("password")


class DeleteAccountForm(ApiForm):
    """The ``password``, which an account with no password (passkeys only) need not give."""

    password = PasswordField(
        "password", [PasswordLength(0, constants.MAX_PASSWORD_LEN, messages.PASSWORD_TOO_LONG)]
    )


class ChangeEmailForm(PasswordForm):
    email = _email()


class ChangePasswordForm(NewPasswordForm):
    current_password = _password("current_password")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def personal_info(self):
        return _personal_info_of(self.user)
