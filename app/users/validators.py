"""WTForms validators for the contract's field rules that WTForms itself lacks, and the length
rule of a new password."""

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from wtforms.validators import ValidationError

from app.common import messages
from app.users import constants
from app.users.passwords import normalize


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


def check_password_min_length(value):
    """Refuse to start with a ``PASSWORD_MIN_LENGTH`` that is no whole number of code points
    from 1 to the longest password taken."""
    if type(value) is not int or not 1 <= value <= constants.MAX_PASSWORD_LEN:
        raise RuntimeError(
            f"PASSWORD_MIN_LENGTH must be a whole number from 1 to {constants.MAX_PASSWORD_LEN},"
            f" not {value!r}"
        )


def new_password_length_problem(password: str) -> str | None:
    """Why ``password`` is too short or too long to be set, or None: from the app's
    ``PASSWORD_MIN_LENGTH`` up to 128 code points after NFKC. The one place of the length rule,
    for the forms that set a password and for any other caller (the CLI)."""
    low, high = current_app.config["PASSWORD_MIN_LENGTH"], constants.MAX_PASSWORD_LEN
    if not low <= len(normalize(password)) <= high:
        return messages.PASSWORD_LENGTH.format(min=low, max=high)
    return None


class NewPasswordLength:
    """The length rule of a new password (``new_password_length_problem``)."""

    def __call__(self, form, field):
        problem = new_password_length_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class MatchesPassword:
    """Equal to the ``password`` field once both are normalised."""

    def __call__(self, form, field):
        if normalize(field.data or "") != normalize(form.password.data or ""):
            raise ValidationError(messages.PASSWORDS_MUST_MATCH)
