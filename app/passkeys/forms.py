"""The passkey forms: a browser's answer (a JSON object), with a name or alone."""

import unicodedata

from wtforms import BooleanField, Field, StringField
from wtforms.validators import InputRequired, Length, ValidationError

from app.common import messages
from app.passkeys.models import MAX_NAME_LEN
from app.users.forms import ApiForm


class JsonObjectField(Field):
    """A JSON object, as it comes: in a JSON body an object, in a form its JSON text
    (``app.api.payload`` checks the type); py_webauthn reads what is inside."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0]


# Controls (Cc: NUL, tab, CR, LF, ...), format characters (Cf: bidi overrides, zero-width
# spaces, ...) and the line and paragraph separators (Zl, Zp): what can break a line, or make
# text read otherwise than it is, wherever a name is shown (a list, a mail, a log).
NOT_PLAIN_TEXT = frozenset({"Cc", "Cf", "Zl", "Zp"})
# The one format character kept: emoji sequences (a person at a laptop) are joined with it.
ZERO_WIDTH_JOINER = "\u200d"


def one_line(_form, field):
    """A name is one line of plain text."""
    if isinstance(field.data, str) and any(
        unicodedata.category(char) in NOT_PLAIN_TEXT and char != ZERO_WIDTH_JOINER
        for char in field.data
    ):
        raise ValidationError(messages.PASSKEY_NAME_ONE_LINE)


def _credential():
    return JsonObjectField("credential", [InputRequired(messages.FIELD_REQUIRED)])


def _name():
    limit = Length(max=MAX_NAME_LEN, message=messages.NAME_TOO_LONG.format(max=MAX_NAME_LEN))
    return StringField(
        "name", [one_line, limit], filters=[lambda v: v.strip() if isinstance(v, str) else v]
    )


class CredentialForm(ApiForm):
    credential = _credential()


class SignInForm(CredentialForm):
    remember_me = BooleanField("remember_me", default=False)


class NewPasskeyForm(CredentialForm):
    name = _name()


class NameForm(ApiForm):
    name = _name()
