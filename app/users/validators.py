"""WTForms validators for the contract's field rules that WTForms itself lacks."""

from email_validator import EmailNotValidError, validate_email
from wtforms.validators import ValidationError

from app.common import messages
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


class MatchesPassword:
    """Equal to the ``password`` field once both are normalised."""

    def __call__(self, form, field):
        if normalize(field.data or "") != normalize(form.password.data or ""):
            raise ValidationError(messages.PASSWORDS_MUST_MATCH)
