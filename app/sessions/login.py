"""Flask-Login, asked only about the server-side session record."""

from flask import current_app, request
from flask_login import LoginManager
from flask_login.config import COOKIE_NAME

from app.common.refusals import not_logged_in
from app.config import PLAIN_COOKIE_NAME
from app.personal_tokens.guard import current_token
from app.sessions.cookie import current_record


class RecordLoginManager(LoginManager):
    """Flask-Login that asks only the request loader, that is the server-side record.

    Stock Flask-Login reads a ``remember_token`` cookie first and then skips the request
    loader: a stale one (the tutorial set it for a year) would hide a live session and
    write ``_user_id`` into the cookie.
    """

    def _load_user(self):
        return self._update_request_context_with_user(self._load_user_from_request(request))

    def _update_remember_cookie(self, response):
        """Never set the remember cookie. Delete the cookies of the tutorial's that a browser
        still sends: its remember cookie, and its ``session`` where ours has another name."""
        if current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
            self._clear_cookie(response)
        name = current_app.config["SESSION_COOKIE_NAME"]
        if name != PLAIN_COOKIE_NAME and PLAIN_COOKIE_NAME in request.cookies:
            response.delete_cookie(PLAIN_COOKIE_NAME)
        return response


login_manager = RecordLoginManager()


def load_user(_request):
    """Flask-Login's request loader: the owner of the request's bearer token
    (``app.personal_tokens.guard``), or the user of the live session record, if any."""
    token = current_token()
    if token is not None:
        return token.user
    record = current_record()
    return record.user if record is not None else None


def _refuse_anonymous():
    raise not_logged_in()


def register(app):
    """Attach Flask-Login. The record is the session's identity: Flask-Login's own session
    keys, remember cookie and session protection stay unused."""
    login_manager.init_app(app)
    login_manager.session_protection = None
    login_manager.request_loader(load_user)
    login_manager.unauthorized_handler(_refuse_anonymous)
