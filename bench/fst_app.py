"""The yardstick: a minimal Flask-Security-Too app with session auth and argon2id.

Flask-Security-Too's documented SQLAlchemy quick start (fsqla_v3 models, CSRFProtect with
``SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS`` for a JSON client), hashing with argon2id at the
app's parameters, and one view that answers verify_auth's JSON for the session's user.

    FST_DATABASE_URL=sqlite:////tmp/fst.db python bench/fst_app.py init EMAIL USER_NAME
        (password from FST_INIT_PASSWORD) creates the tables and the one user;
    gunicorn --chdir bench 'fst_app:create_app()' serves it.

Configured from the environment: FST_DATABASE_URL, SECRET_KEY, FST_PASSWORD_SALT.
"""

import os
import sys
from datetime import UTC

from flask import Flask, jsonify
from flask_security import (
    Security,
    SQLAlchemyUserDatastore,
    auth_required,
    current_user,
    hash_password,
)
from flask_security.models import fsqla_v3 as fsqla
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

# The app's argon2id parameters: m=19456 KiB, t=2, p=1 (app/config.py).
ARGON2_OPTIONS = {
    "argon2__type": "ID",
    "argon2__memory_cost": 19 * 1024,
    "argon2__rounds": 2,
    "argon2__parallelism": 1,
}
MESSAGE = "You are logged in"

db = SQLAlchemy()
fsqla.FsModels.set_db_info(db)


class Role(db.Model, fsqla.FsRoleMixin):
    pass


class User(db.Model, fsqla.FsUserMixin):
    first_name = db.Column(db.String(64))
    last_name = db.Column(db.String(64))


# The quick start's third model: with py_webauthn installed (the app's passkeys pin it),
# fsqla_v3's User has a relationship to it.
class WebAuthn(db.Model, fsqla.FsWebAuthnMixin):
    pass


def database_url(url: str) -> str:
    """The psycopg 3 driver for plain PostgreSQL URLs, as the app does."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def user_json(user) -> dict:
    """The app's user object, from Flask-Security-Too's columns."""
    created = user.create_datetime.replace(tzinfo=user.create_datetime.tzinfo or UTC)
    return {
        "id": user.id,
        "user_name": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": "user",
        "created_on": created.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z",
        "email_confirmed": user.confirmed_at is not None,
    }


def create_app():
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ["SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=database_url(os.environ["FST_DATABASE_URL"]),
        SECURITY_PASSWORD_SALT=os.environ["FST_PASSWORD_SALT"],
        SECURITY_PASSWORD_HASH="argon2",  # noqa: S106 (the scheme's name, not a password)
        SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS=ARGON2_OPTIONS,
        # JSON clients log in without a token; every authenticated POST still needs one.
        SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS=True,
        WTF_CSRF_CHECK_DEFAULT=False,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    db.init_app(app)
    CSRFProtect(app)
    app.security = Security(app, SQLAlchemyUserDatastore(db, User, Role))

    @app.get("/api/auth/verify_auth")
    @auth_required("session")
    def verify_auth():
        """Return the logged-in user."""
        return jsonify({"success": True, "message": MESSAGE, "data": user_json(current_user)})

    return app


def init(email: str, user_name: str, password: str) -> None:
    """Create the tables and the one user."""
    app = create_app()
    with app.app_context():
        db.create_all()
        app.security.datastore.create_user(
            email=email,
            username=user_name,
            password=hash_password(password),
            first_name="Bench",
            last_name="FST",
            active=True,
        )
        db.session.commit()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "init":
        sys.exit("usage: fst_app.py init EMAIL USER_NAME  (password in FST_INIT_PASSWORD)")
    init(sys.argv[2], sys.argv[3], os.environ["FST_INIT_PASSWORD"])
