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


class NewPasswordForm(ApiForm):
    """A form that sets a password: ``password`` and ``confirm``, and the password rule.

    The rule is not among the validators: scoring is the dearest check, so views ask for it
    (``password_problem``) only once the cheap ones (a taken name, the current password) pass.
    Each subclass says whose words the password must not contain (``personal_info``).
    """

    password = PasswordField(
        "password",
        [
            InputRequired(messages.FIELD_REQUIRED),
            PasswordLength(
                constants.MIN_PASSWORD_LEN, constants.MAX_PASSWORD_LEN, messages.PASSWORD_LENGTH
            ),
        ],
    )
    confirm = PasswordField("confirm", [InputRequired(messages.FIELD_REQUIRED), MatchesPassword()])

    def password_problem(self) -> str | None:
        """Why the validated new password breaks the password rule, or None."""
        return password_problem(self.password.data, **self.personal_info())


class SignupForm(NewPasswordForm):
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

    def personal_info(self):
        return {
            "user_name": self.user_name.data or "",
            "email": self.email.data or "",
            "first_name": self.first_name.data or "",
            "last_name": self.last_name.data or "",
        }


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        "current_password",
        [
            InputRequired(messages.FIELD_REQUIRED),
            PasswordLength(0, constants.MAX_PASSWORD_LEN, messages.PASSWORD_TOO_LONG),
        ],
    )

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
