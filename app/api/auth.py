"""The `/api/auth` endpoints: csrf, verify_auth, login, logout, signup, change_password."""

from flask import Blueprint, abort
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from app.api.limits import per_client, per_user
from app.api.payload import validated
from app.common import messages
from app.common.response import FieldErrors, success
from app.extensions import db, passwords
from app.security import throttle
from app.security.client import client_ip
from app.security.events import (
    LOGIN_FAILED,
    LOGIN_OK,
    LOGOUT,
    PASSWORD_CHANGE_FAILED,
    PASSWORD_CHANGED,
    SIGNUP,
    security_event,
)
from app.sessions import service as sessions
from app.users.forms import ChangePasswordForm, LoginForm, SignupForm
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


def require_strong_password(form):
    """A 422 when the new password breaks the password rule, scored only after cheap checks."""
    problem = form.password_problem()
    if problem:
        raise FieldErrors({"password": [problem]})


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
@per_client("LOGIN_RATE_LIMIT")
def login():
    """Log in with a user name or email, starting a new session."""
    form = validated(LoginForm)
    user = User.find_by_login(form.login.data)
    # End the read transaction: a hash must never be computed while one is open.
    db.session.commit()
    keys = [throttle.login_key(form.login.data)]
    throttle.count_attempt(keys, login=form.login.data)
    if not User.password_matches(user, form.password.data):
        security_event(LOGIN_FAILED, login=form.login.data)
        abort(401, messages.INVALID_CREDENTIALS)
    throttle.clear(keys)
    new_hash = passwords.hash(form.password.data) if passwords.needs_rehash(user.password) else None
    # The trail, the rehash and the new session commit together, and only while the password
    # just checked is still the stored one: a login racing a password change loses.
    if not user.record_login(client_ip(), new_hash):
        db.session.rollback()
        security_event(LOGIN_FAILED, login=form.login.data, reason="password_changed")
        abort(401, messages.INVALID_CREDENTIALS)
    token = sessions.start(user, remember=form.remember_me.data)
    security_event(LOGIN_OK, user=user, remember=form.remember_me.data)
    return success(messages.LOGGED_IN, data=user.to_json(), csrf_token=token)


@auth.post("/logout")
@login_required
def logout():
    """End the current session on the server."""
    user = current_user._get_current_object()
    token = sessions.end()
    security_event(LOGOUT, user=user)
    return success(messages.LOGGED_OUT, csrf_token=token)


@auth.post("/signup")
@per_client("SIGNUP_RATE_LIMIT")
def signup():
    """Create an account and log it in."""
    form = validated(SignupForm)
    # The cheap refusals first: a taken name never costs a scoring or a hash.
    taken = {}
    if User.is_user_name_taken(form.user_name.data):
        taken["user_name"] = [messages.USER_NAME_TAKEN]
    if User.is_email_taken(form.email.data):
        taken["email"] = [messages.EMAIL_TAKEN]
    # End the read transaction: the password is scored and hashed next.
    db.session.commit()
    if taken:
        raise _conflict(taken)
    require_strong_password(form)
    user = User(
        user_name=form.user_name.data,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        password=form.password.data,
    )
    # Signing up logs the new user in: the account trail counts it as the first login.
    user.start_trail(client_ip())
    db.session.add(user)
    try:
        token = sessions.start(user, remember=False)
    except IntegrityError as exc:
        db.session.rollback()
        conflict = _conflict_from(exc)
        if conflict is None:
            raise
        raise conflict from exc
    security_event(SIGNUP, user=user)
    return success(messages.SIGNED_UP, data=user.to_json(), status=201, csrf_token=token)


@auth.post("/change_password")
@login_required
@per_user("CHANGE_PASSWORD_RATE_LIMIT")
def change_password():
    """Set a new password; every other session of the user ends."""
    user = sessions.current_account()
    form = validated(ChangePasswordForm, user=user)
    # A wrong current password is a failed login: it counts for both names of the account.
    keys = throttle.account_keys(user)
    throttle.count_attempt(keys, user=user)
    if not user.check_password(form.current_password.data):
        security_event(PASSWORD_CHANGE_FAILED, user=user)
        abort(403, messages.WRONG_CURRENT_PASSWORD)
    throttle.clear(keys)
    require_strong_password(form)
    # Only while the checked password is still the stored one, and this session still lives:
    # of two racing changes, or a change and a logout_all, one loses with a 401.
    if not user.replace_password(passwords.hash(form.password.data)):
        db.session.rollback()
        abort(401, messages.NOT_LOGGED_IN)
    token = sessions.restart_alone(user)
    security_event(PASSWORD_CHANGED, user=user)
    return success(messages.PASSWORD_CHANGED, csrf_token=token)
