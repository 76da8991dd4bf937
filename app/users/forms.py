"""WTForms validation for login and signup, with the contract's field rules."""

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from app.common import messages
from app.users import constants
from app.users.passwords import normalize
from app.users.policy import password_problem


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class EmailAddress:
    """A valid address (syntax only, at most 254 characters), in email-validator's normal form."""

    def __call__(self, form, field):
        try:
            field.data = validate_email(field.data, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise ValidationError(messages.EMAIL_INVALID) from exc


class PasswordLength:
    """A length in code points of the NFKC form, which is what gets hashed."""

    def __init__(self, min, max, message):
        self.min, self.max, self.message = min, max, message

    def __call__(self, form, field):
        if not self.min <= len(normalize(field.data or "")) <= self.max:
            raise ValidationError(self.message.format(min=self.min, max=self.max))


class StrongPassword:
    """The password rule (``app.users.policy``), against the form's ``personal_info()``.

    Skipped while the length is wrong: that error says enough, and a 5,000-character
    password is refused without being scored.
    """

    def __call__(self, form, field):
        length = len(normalize(field.data or ""))
        if not constants.MIN_PASSWORD_LEN <= length <= constants.MAX_PASSWORD_LEN:
            return
        problem = password_problem(field.data, **form.personal_info())
        if problem:
            raise ValidationError(problem)


class MatchesPassword:
    """Equal to the ``password`` field once both are normalised."""

    def __call__(self, form, field):
        if normalize(field.data or "") != normalize(form.password.data or ""):
            raise ValidationError(messages.PASSWORDS_MUST_MATCH)


class ApiForm(FlaskForm):
    """A form fed by ``app.api.payload``; CSRFProtect checks the header for every request."""

    class Meta:
        csrf = False


class LoginForm(ApiForm):
    login = StringField(
        "login",
        [
            DataRequired(messages.FIELD_REQUIRED),
            Length(
                max=constants.MAX_LOGIN_LEN,
                message=messages.LOGIN_TOO_LONG.format(max=constants.MAX_LOGIN_LEN),
            ),
        ],
        filters=[_strip],
    )
    password = PasswordField(
        "password",
        [
            InputRequired(messages.FIELD_REQUIRED),
            PasswordLength(0, constants.MAX_PASSWORD_LEN, messages.PASSWORD_TOO_LONG),
        ],
    )
    remember_me = BooleanField("remember_me", default=False)


def _new_password_fields():
    """The ``password`` and ``confirm`` fields of any form that sets a password."""
    password = PasswordField(
        "password",
        [
            InputRequired(messages.FIELD_REQUIRED),
            PasswordLength(
                constants.MIN_PASSWORD_LEN, constants.MAX_PASSWORD_LEN, messages.PASSWORD_LENGTH
            ),
            StrongPassword(),
        ],
    )
    confirm = PasswordField("confirm", [InputRequired(messages.FIELD_REQUIRED), MatchesPassword()])
    return password, confirm


def _name_field(label):
    return StringField(
        label,
        [
            DataRequired(messages.FIELD_REQUIRED),
            Length(
                max=constants.MAX_NAME_LEN,
                message=messages.NAME_TOO_LONG.format(max=constants.MAX_NAME_LEN),
            ),
        ],
        filters=[_strip],
    )


class SignupForm(ApiForm):
    user_name = StringField(
        "user_name",
        [
            DataRequired(messages.FIELD_REQUIRED),
            Length(
                min=constants.MIN_USERNAME_LEN,
                max=constants.MAX_USERNAME_LEN,
                message=messages.USER_NAME_LENGTH.format(
                    min=constants.MIN_USERNAME_LEN, max=constants.MAX_USERNAME_LEN
                ),
            ),
            Regexp(r"\A[A-Za-z0-9]*\Z", message=messages.USER_NAME_CHARACTERS),
        ],
        filters=[_strip],
    )
    first_name = _name_field("first_name")
    last_name = _name_field("last_name")
    email = StringField(
        "email",
        [DataRequired(messages.FIELD_REQUIRED), EmailAddress()],
        filters=[_strip],
    )
    password, confirm = _new_password_fields()

    def personal_info(self):
        return {
            "user_name": self.user_name.data or "",
            "email": self.email.data or "",
            "first_name": self.first_name.data or "",
            "last_name": self.last_name.data or "",
        }


class ChangePasswordForm(ApiForm):
    current_password = PasswordField(
        "current_password",
        [
            InputRequired(messages.FIELD_REQUIRED),
            PasswordLength(0, constants.MAX_PASSWORD_LEN, messages.PASSWORD_TOO_LONG),
        ],
    )
    password, confirm = _new_password_fields()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def personal_info(self):
        return {
            "user_name": self.user.user_name,
            "email": self.user.email,
            "first_name": self.user.first_name,
            "last_name": self.user.last_name,
        }
