"""The admin API's forms: the query string of the user list, and the body of a role change.

An empty query parameter is the same as none: ``?q=&role=`` lists everyone.
"""

import re

from wtforms import IntegerField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from app.admin.directory import DEFAULT_PER_PAGE, MAX_PER_PAGE, Filters
from app.common import messages
from app.users import constants
from app.users.forms import ApiForm

DIGITS = re.compile(r"[0-9]{1,9}")
# Nine digits: any page's offset stays far inside a 64-bit integer.
MAX_PAGE = 10**9 - 1
ACTIVE = {"true": True, "false": False}
MAX_QUERY_LEN = constants.MAX_LOGIN_LEN


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _no_nul(_form, field):
    # PostgreSQL refuses a NUL in a statement's text: a 500 rather than a search.
    if "\x00" in field.data:
        raise ValidationError(messages.FIELD_BAD_CHARACTERS)


class WholeNumberField(IntegerField):
    """A whole number from ``1`` to ``maximum`` in ASCII digits; empty or absent: the default.

    IntegerField would take ``+1`` or Arabic-Indic digits, and answer in its own words.
    """

    def __init__(self, label, maximum, message, **kwargs):
        super().__init__(label, **kwargs)
        self.maximum, self.message = maximum, message

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            return
        text = valuelist[0].strip()
        number = int(text) if DIGITS.fullmatch(text) else 0
        if not 1 <= number <= self.maximum:
            self.data = None
            raise ValueError(self.message)
        self.data = number


def _choice(label, choices, message):
    """One of ``choices``, or nothing."""
    return StringField(label, [Optional(), AnyOf(list(choices), message=message)], filters=[_strip])


class UserQueryForm(ApiForm):
    """``GET /api/admin/users``: what to search for, and which page; unknown names are ignored."""

    q = StringField(
        "q",
        [
            Optional(),
            Length(max=MAX_QUERY_LEN, message=messages.NAME_TOO_LONG.format(max=MAX_QUERY_LEN)),
            _no_nul,
        ],
        filters=[_strip],
    )
    role = _choice("role", constants.ROLE_BY_NAME, messages.ROLE_UNKNOWN)
    active = _choice("active", ACTIVE, messages.FIELD_NOT_BOOLEAN)
    page = WholeNumberField("page", MAX_PAGE, messages.PAGE_NUMBER, default=1)
    per_page = WholeNumberField(
        "per_page", MAX_PER_PAGE, messages.PER_PAGE_NUMBER, default=DEFAULT_PER_PAGE
    )

    def filters(self) -> Filters:
        """The search that the parameters ask for."""
        return Filters(
            q=self.q.data or None,
            role=constants.ROLE_BY_NAME.get(self.role.data),
            active=ACTIVE.get(self.active.data),
        )


class RoleForm(ApiForm):
    """``POST /api/admin/users/<id>/role``: the new role, by name."""

    role = StringField(
        "role",
        [
            DataRequired(messages.FIELD_REQUIRED),
            AnyOf(list(constants.ROLE_BY_NAME), messages.ROLE_UNKNOWN),
        ],
        filters=[_strip],
    )

    @property
    def role_code(self) -> int:
        """The code of the role named."""
        return constants.ROLE_BY_NAME[self.role.data]
