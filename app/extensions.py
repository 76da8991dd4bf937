"""Extension objects, created unbound and attached to an app in ``create_app``."""

from flask import current_app, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_login.config import COOKIE_NAME
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.config import PLAIN_COOKIE_NAME
from app.security.client import rate_limit_key
from app.security.events import log_route_breach
from app.users.passwords import PasswordHasher

# Named constraints: Alembic's batch mode on SQLite needs names to alter them, and the
# IntegrityError mapper reads the violated name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


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


# expire_on_commit=False: views commit early (so no transaction stays open while a
# password is hashed) and keep using the loaded objects afterwards.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = RecordLoginManager()
csrf = CSRFProtect()
# Keyed by client IP (an IPv6 client by its /64); behind proxies, ProxyFix (TRUSTED_PROXIES)
# makes that the real client.
limiter = Limiter(key_func=rate_limit_key, on_breach=log_route_breach)
passwords = PasswordHasher()
