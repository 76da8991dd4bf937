"""The second factor's forms: a code, a code or a recovery code, a code or the password."""

from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp, StopValidation

from app.common import messages
from app.mfa import recovery_codes
from app.mfa.totp import CODE_SHAPE, normalise_code
from app.users import constants
from app.users.forms import ApiForm
from app.users.validators import PasswordLength


def _without_spaces(value):
    return normalise_code(value) if isinstance(value, str) else value


class EitherOf:
    """Exactly one of this field and the field ``other`` is given; checked no further when
    this one is not."""

    def __init__(self, other, message):
        self.other, self.message = other, message

    def __call__(self, form, field):
        given, other = bool(field.data), bool(form[self.other].data)
        if given and other:
            raise StopValidation(self.message)
        if not given:
            raise StopValidation(None if other else messages.FIELD_REQUIRED)


def _code(*first):
    """A TOTP code: six digits, spaces allowed between them."""
    shape = Regexp(rf"\A{CODE_SHAPE.pattern}\Z", message=messages.MFA_CODE_FORMAT)
    return StringField("code", [*first, shape], filters=[_without_spaces])


class CodeForm(ApiForm):
    code = _code(InputRequired(messages.FIELD_REQUIRED))


class SecondFactorForm(ApiForm):
    """The second step of a login: ``code`` or ``recovery_code``."""

    code = _code(EitherOf("recovery_code", messages.MFA_CODE_OR_RECOVERY))
    # Any string of a sane length: a wrong one is simply not found.
    recovery_code = StringField(
        "recovery_code",
        [Optional(), Length(max=recovery_codes.MAX_INPUT_LEN, message=messages.MFA_CODE_WRONG)],
    )


class ProofForm(ApiForm):
    """A proof of identity: the ``password``, or for a user with TOTP a ``code``."""

    password = PasswordField(
        "password",
        [
            EitherOf("code", messages.MFA_CODE_OR_PASSWORD),
            PasswordLength(0, constants.MAX_PASSWORD_LEN, messages.PASSWORD_TOO_LONG),
        ],
    )
    code = _code(Optional())
