"""The app's request class: a form body that is not UTF-8, or that has a part with no name, is
refused, never mangled."""

from urllib.parse import parse_qsl

from flask import Request
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser

from app.common import messages


class StrictFormDataParser(FormDataParser):
    """Werkzeug keeps ``%FF`` as the literal text "%FF" and silently drops a form holding raw
    non-UTF-8 bytes; either way a mangled value would reach the view. Refuse both with 400."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        try:
            text = stream.read().decode("utf-8")
            items = parse_qsl(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as exc:
            raise BadRequest(messages.BODY_NOT_UTF8) from exc
        return stream, self.cls(items), self.cls()

    def _parse_multipart(self, stream, mimetype, content_length, options):
        """A part with no ``name`` (RFC 7578 requires one) would be keyed ``None``, and
        Flask-WTF, looking among the fields for a CSRF token, raises on that key: a 500 for
        every POST. Refuse it with 400."""
        stream, form, files = super()._parse_multipart(stream, mimetype, content_length, options)
        if None in form or None in files:
            for _name, upload in files.items(multi=True):
                upload.close()
            raise BadRequest(messages.FORM_PART_UNNAMED)
        return stream, form, files


class ApiRequest(Request):
    form_data_parser_class = StrictFormDataParser
