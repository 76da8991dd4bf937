"""The passkey forms: a browser's answer (a JSON object), with a name or alone."""

from wtforms import BooleanField, Field, StringField
from wtforms.validators import InputRequired, Length

from app.common import messages
from app.passkeys.models import MAX_NAME_LEN
from app.users.forms import ApiForm


class JsonObjectField(Field):
    """A JSON object, as it comes: in a JSON body an object, in a form its JSON text
    (``app.api.payload`` checks the type); py_webauthn reads what is inside."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = valuelist[0]


def _credential():
    return JsonObjectField("credential", [InputRequired(messages.FIELD_REQUIRED)])


def _name():
    limit = Length(max=MAX_NAME_LEN, message=messages.NAME_TOO_LONG.format(max=MAX_NAME_LEN))
    return StringField("name", [limit], filters=[lambda v: v.strip() if isinstance(v, str) else v])


class CredentialForm(ApiForm):
    credential = _credential()


class SignInForm(CredentialForm):
    remember_me = BooleanField("remember_me", default=False)


class NewPasskeyForm(CredentialForm):
    name = _name()


class NameForm(ApiForm):
    name = _name()
