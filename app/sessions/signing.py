"""Flask's signed session cookie, with its serializer built once rather than per request."""

from flask.sessions import SecureCookieSessionInterface

EXTENSION = "session_serializer"


class SigningOnce(SecureCookieSessionInterface):
    """The stock signed cookie: the same keys, salt and format, so every cookie it reads or
    writes is the one Flask's own interface would. Flask builds the serializer again for
    each request; here it is kept per app, and rebuilt only when the keys change."""

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = app.extensions.get(EXTENSION)
        if kept is None or kept[0] != keys:
            kept = app.extensions[EXTENSION] = (keys, super().get_signing_serializer(app))
        return kept[1]


def register(app):
    app.session_interface = SigningOnce()
