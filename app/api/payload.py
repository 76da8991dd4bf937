"""Reading request bodies: a JSON object or a form, type-checked before any form sees it.

Flask-WTF would take a JSON list in a field as its first item and crash on a number, so
every field is checked against the form's declared type here first.
"""

import json
from collections import Counter

from flask import request
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField
from wtforms.fields.core import UnboundField

from app.common import messages
from app.common.refusals import FieldErrors, Refusal
from app.passkeys.forms import JsonObjectField
from app.personal_tokens.forms import DaysField, WordListField
from app.users.forms import TokenField

JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
TRUE_WORDS = frozenset({"y", "on", "true", "1"})
# Werkzeug decodes multipart fields with errors="replace": U+FFFD is all that is left of
# bytes that were not UTF-8, so a form value holding it is refused rather than stored.
REPLACEMENT_CHARACTER = "\ufffd"


BOOLEAN, TOKEN, TEXT, OBJECT = "boolean", "token", "text", "object"
WORDS, DAYS = "words", "days"


def _kind(field_class) -> str:
    if issubclass(field_class, BooleanField):
        return BOOLEAN
    if issubclass(field_class, JsonObjectField):
        return OBJECT
    if issubclass(field_class, WordListField):
        return WORDS
    if issubclass(field_class, DaysField):
        return DAYS
    # Any string: the token store answers a bad one like a wrong one.
    return TOKEN if issubclass(field_class, TokenField) else TEXT


def _field_kinds(form_class):
    """``{name: kind}`` for each field the form declares."""
    return {
        name: _kind(value.field_class)
        for name in dir(form_class)
        if isinstance(value := getattr(form_class, name), UnboundField)
    }


def _bad_characters(value: str) -> bool:
    # NUL is refused by PostgreSQL; lone surrogates cannot be encoded for any database.
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _refuse_cut_off_body():
    """413 when a streamed body went past ``MAX_CONTENT_LENGTH``.

    Without a Content-Length (a chunked body), Werkzeug stops reading at the limit and
    hands over what it has, so the rest of the fields would be lost without a word. Asking
    for one more byte makes it raise the 413. A streamed body of exactly the limit is
    refused too: nothing tells it apart from a longer one.
    """
    if request.content_length is None:
        request.stream.read(1)


class JsonObject(dict):
    """A decoded JSON object that remembers which keys it was given more than once."""

    def __init__(self, pairs):
        super().__init__(pairs)
        counts = Counter(key for key, _ in pairs)
        self.repeated = {key for key, count in counts.items() if count > 1}


def _json_body():
    data = request.get_data()
    _refuse_cut_off_body()
    try:
        # The last of two equal keys would win silently; a repeated form field is a 422, and
        # so is a repeated JSON key (``_read``).
        body = json.loads(data, object_pairs_hook=JsonObject)
    except (ValueError, RecursionError):
        raise Refusal(400, messages.BODY_MALFORMED) from None
    if not isinstance(body, JsonObject):
        raise Refusal(400, messages.BODY_NOT_OBJECT)
    return body


def _check(value, kind):
    """``(value, None)`` when ``value`` has the field's JSON type, else ``(None, error)``."""
    if kind == BOOLEAN:
        return (value, None) if isinstance(value, bool) else (None, messages.FIELD_NOT_BOOLEAN)
    if kind == OBJECT:
        return (value, None) if isinstance(value, dict) else (None, messages.FIELD_NOT_OBJECT)
    if kind == DAYS:
        whole = value is None or (isinstance(value, int) and not isinstance(value, bool))
        return (value, None) if whole else (None, messages.FIELD_NOT_WHOLE_NUMBER)
    if kind == WORDS and isinstance(value, list):
        if not all(isinstance(word, str) and not _bad_characters(word) for word in value):
            return None, messages.FIELD_NOT_STRING_LIST
        return " ".join(value), None
    if kind == WORDS and not isinstance(value, str):
        return None, messages.FIELD_NOT_STRING_LIST
    if not isinstance(value, str):
        return None, messages.FIELD_NOT_STRING
    if kind == TEXT and _bad_characters(value):
        return None, messages.FIELD_BAD_CHARACTERS
    return value, None


def _parsed(text):
    """A form field's JSON text as a value, or None when it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _read(kinds):
    """Yield ``(name, value, error)`` for each declared field that the body holds."""
    if request.mimetype in JSON_TYPES or request.is_json:
        body = _json_body()
        for name, kind in kinds.items():
            if name in body.repeated:
                yield name, None, messages.FIELD_REPEATED
            elif name in body:
                yield name, *_check(body[name], kind)
    elif request.mimetype in FORM_TYPES or not (request.mimetype or request.content_length):
        form = request.form
        _refuse_cut_off_body()
        for name, kind in kinds.items():
            values = form.getlist(name)
            if len(values) > 1:
                yield name, None, messages.FIELD_REPEATED
            elif kind == BOOLEAN:
                yield name, bool(values) and values[0].strip().lower() in TRUE_WORDS, None
            elif values and kind == TEXT and REPLACEMENT_CHARACTER in values[0]:
                yield name, None, messages.FIELD_BAD_CHARACTERS
            elif values and kind == OBJECT:
                yield name, *_check(_parsed(values[0]), kind)
            elif values and kind == DAYS:
                parsed = _parsed(values[0])
                # Text that is no JSON at all is as wrong as JSON of another type.
                yield (
                    name,
                    *_check(parsed if parsed is not None or values[0] == "null" else "", kind),
                )
            elif values:
                yield name, *_check(values[0], kind)
    else:
        raise Refusal(415, messages.UNSUPPORTED_MEDIA_TYPE)


def validated(form_class, **form_args):
    """The bound, validated form for this request; a 400, 415 or 422 otherwise."""
    kinds = _field_kinds(form_class)
    data, errors = MultiDict(), {}
    for name, value, error in _read(kinds):
        if error is not None:
            errors[name] = [error]
        elif value is True:
            data[name] = "y"
        elif value is not False:
            data[name] = value
    if errors:
        raise FieldErrors(errors)
    form = form_class(formdata=data, **form_args)
    if not form.validate():
        raise FieldErrors(form.errors)
    return form
