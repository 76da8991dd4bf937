"""The form that makes a token: its name, its scopes and its lifetime in days."""

from flask import current_app
from wtforms import Field, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.common import messages
from app.passkeys.forms import one_line
from app.personal_tokens import scopes
from app.personal_tokens.models import MAX_NAME_LEN
from app.users.forms import ApiForm

# What ``expires_in_days`` holds for "no expiry": JSON null (in a form, the text ``null``).
NO_EXPIRY = "never"


class WordListField(Field):
    """A list of words: a JSON list of strings, or one string of words parted by spaces
    (``app.api.payload`` checks the type and joins a list with spaces)."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0].split()


class DaysField(Field):
    """A whole number of days, or None for no expiry: a JSON integer or null (in a form, its
    JSON text); ``app.api.payload`` checks the type. Absent, the operator's default."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = NO_EXPIRY if valuelist[0] is None else valuelist[0]

    def _value(self):
        return "" if self.data is None else str(self.data)


class TokenForm(ApiForm):
    name = StringField(
        "name",
        [
            DataRequired(messages.TOKEN_NAME_REQUIRED),
            one_line,
            Length(max=MAX_NAME_LEN, message=messages.NAME_TOO_LONG.format(max=MAX_NAME_LEN)),
        ],
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
    )
    scopes = WordListField("scopes")
    expires_in_days = DaysField("expires_in_days")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_scopes(self, field):
        asked = field.data or []
        if not asked:
            raise ValidationError(messages.TOKEN_SCOPES_REQUIRED)
        for scope in asked:
            if scope not in scopes.SCOPES:
                known = ", ".join(scopes.SCOPES)
                raise ValidationError(
                    messages.TOKEN_SCOPE_UNKNOWN.format(scope=scope, scopes=known)
                )
            if scope not in scopes.grantable(self.user.role_code):
                raise ValidationError(messages.TOKEN_SCOPE_NOT_YOURS.format(scope=scope))

    def validate_expires_in_days(self, field):
        config = current_app.config
        if field.data is None:
            field.data = int(config["TOKEN_DEFAULT_DAYS"])
            return
        no_expiry = bool(config["TOKEN_ALLOW_NO_EXPIRY"])
        if field.data == NO_EXPIRY and no_expiry:
            return
        most = int(config["TOKEN_MAX_DAYS"])
        if isinstance(field.data, int) and 1 <= field.data <= most:
            return
        message = messages.TOKEN_DAYS_NO_EXPIRY if no_expiry else messages.TOKEN_DAYS_RANGE
        raise ValidationError(message.format(most=most))

    def days(self) -> int | None:
        """The lifetime asked for, in days; None for no expiry."""
        return None if self.expires_in_days.data == NO_EXPIRY else self.expires_in_days.data

    def scope_list(self) -> list[str]:
        """The scopes asked for, once each, in the order of ``scopes.SCOPES``."""
        return [scope for scope in scopes.SCOPES if scope in self.scopes.data]
