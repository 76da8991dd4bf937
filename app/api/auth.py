"""The ``/api/auth`` endpoints of the contract."""

from flask import Blueprint, abort
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from app.api.payload import validated
from app.common import messages
from app.common.response import FieldErrors, success
from app.extensions import db, passwords
from app.sessions import service as sessions
from app.users.forms import LoginForm, SignupForm
from app.users.models import User

auth = Blueprint("auth", __name__, url_prefix="/api/auth")

# The unique key columns, as SQLite and PostgreSQL both name them in an IntegrityError.
CONFLICT_FIELDS = {
    "user_name_key": ("user_name", messages.USER_NAME_TAKEN),
    "email_key": ("email", messages.EMAIL_TAKEN),
}


def _conflict(fields):
    return FieldErrors(fields, messages.CONFLICT, code=409)


def _conflict_from(exc: IntegrityError):
    """The 409 for a unique key that a racing insert won, or None for any other violation."""
    text = str(exc.orig)
    fields = {field: [msg] for key, (field, msg) in CONFLICT_FIELDS.items() if key in text}
    return _conflict(fields) if fields else None


@auth.get("/csrf")
def csrf():
    """Hand out the CSRF token of this session, for API clients."""
    token = generate_csrf()
    return success(messages.CSRF_ISSUED, data={"csrf_token": token}, csrf_token=token)


@auth.get("/verify_auth")
@login_required
def verify_auth():
    """Return the logged-in user."""
    return success(messages.AUTHENTICATED, data=current_user.to_json())


@auth.post("/login")
def login():
    """Log in with a user name or email, starting a new session."""
    form = validated(LoginForm)
    user, ok = User.authenticate(form.login.data, form.password.data)
    if not ok:
        abort(401, messages.INVALID_CREDENTIALS)
    if passwords.needs_rehash(user.password):
        user.password = form.password.data
    token = sessions.start(user, remember=form.remember_me.data)
    return success(messages.LOGGED_IN, data=user.to_json(), csrf_token=token)


@auth.post("/logout")
@login_required
def logout():
    """End the current session on the server."""
    token = sessions.end()
    return success(messages.LOGGED_OUT, csrf_token=token)


@auth.post("/signup")
def signup():
    """Create an account and log it in."""
    form = validated(SignupForm)
    # Hashing happens here, before the first query opens a transaction.
    user = User(
        user_name=form.user_name.data,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        password=form.password.data,
    )
    taken = {}
    if User.is_user_name_taken(user.user_name):
        taken["user_name"] = [messages.USER_NAME_TAKEN]
    if User.is_email_taken(user.email):
        taken["email"] = [messages.EMAIL_TAKEN]
    if taken:
        db.session.rollback()
        raise _conflict(taken)
    db.session.add(user)
    try:
        token = sessions.start(user, remember=False)
    except IntegrityError as exc:
        db.session.rollback()
        conflict = _conflict_from(exc)
        if conflict is None:
            raise
        raise conflict from exc
    return success(messages.SIGNED_UP, data=user.to_json(), status=201, csrf_token=token)
