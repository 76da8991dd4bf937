"""Extension objects, created unbound and attached to an app in ``create_app``.

Only library objects and their settings live here; no app code is imported. The app's own
extensions sit next to what they serve: the password hasher in ``app.users.passwords``, the
Flask-Login manager in ``app.sessions.login``.
"""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

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


# expire_on_commit=False: flows commit early (so that no transaction stays open while a
# password is hashed) and keep using the loaded objects afterwards.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
csrf = CSRFProtect()
# Every limit names its own key and breach log (app.api.limits): this default is never used.
limiter = Limiter(key_func=get_remote_address)
