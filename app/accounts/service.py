"""Logging in, signing up and changing the password: each flow, in its one order.

A flow counts the attempt (the failed-login throttle), checks the password, rehashes it,
writes the account trail, starts the session and logs the event, in that order. Each says
where its transactions end: it commits its reads before a hash (the hasher refuses to run
inside a transaction, ``app.users.passwords``), and commits its writes once, with the
messages that announce them. A refusal (``app.common.refusals``) leaves its writes
uncommitted, for the request's end to throw away.
"""

from dataclasses import dataclass

from flask import current_app

from app.accounts import mailings
from app.accounts.checks import (
    account_password_checked,
    password_checked,
    require_strong_password,
    unique_keys,
)
from app.accounts.logins import admit, finish_login
from app.common import messages
from app.common.refusals import FieldErrors, Refusal, not_logged_in, taken
from app.extensions import db
from app.mfa import login as pending_login
from app.security import throttle
from app.security.client import client_ip
from app.security.events import (
    LOGIN_FAILED,
    PASSWORD_CHANGE_FAILED,
    PASSWORD_CHANGED,
    SIGNUP,
    SIGNUP_EMAIL_TAKEN,
    security_event,
)
from app.sessions import cookie
from app.users import constants
from app.users.models import User
from app.users.passwords import normalize, passwords


@dataclass(frozen=True)
class Login:
    """What a login answers: the user and the new CSRF token, and the second factors its
    pending login waits for (none: the session has begun)."""

    user: User
    csrf_token: str
    methods: tuple[str, ...] = ()


def log_in(login, password, remember) -> Login:
    """Log ``login`` in with ``password``, or, for an account with a second factor, begin its
    pending login."""
    user = User.find_by_login(login)
    # End the read: the password is checked next.
    db.session.commit()
    # The right password clears its counts, second factor or not: the codes that follow
    # count on a limit of their own (app.security.throttle), which bounds code guessing.
    if not password_checked([throttle.login_key(login)], user, password, login=login):
        security_event(LOGIN_FAILED, login=login)
        raise Refusal(401, messages.INVALID_CREDENTIALS)
    admit(user)
    new_hash = passwords.hash(password) if passwords.needs_rehash(user.password) else None
    methods = pending_login.methods_of(user)
    if methods:
        return Login(user, pending_login.begin(user, remember, new_hash), tuple(methods))
    return Login(user, finish_login(user, remember, new_hash))


def sign_up(form) -> tuple[User, str] | None:
    """Sign up with a validated signup form: the new user, logged in, and the CSRF token; or,
    with ``REQUIRE_CONFIRMED_EMAIL`` on, None, whatever became of it (``sign_up_to_confirm``).
    """
    if current_app.config["REQUIRE_CONFIRMED_EMAIL"]:
        sign_up_to_confirm(form)
        return None
    user = new_account(form)
    # Signing up logs the new user in: the account trail counts it as the first login.
    user.start_trail(client_ip())
    with unique_keys():
        _register(user)
        change = cookie.start(user, remember=False)
        db.session.commit()
    token = change.hand_over()
    security_event(SIGNUP, user=user)
    return user, token


def sign_up_to_confirm(form):
    """A signup that tells no one whether its address has an account (django-allauth's
    ``ACCOUNT_PREVENT_ENUMERATION``): no session starts, and a new address and a taken one
    cost and answer the same. A new address gets its account and the confirmation link; a
    taken one creates nothing, and its owner is told of the attempt. User names are public:
    a taken one is still its 409.
    """
    if User.is_user_name_taken(form.user_name.data):
        raise taken({"user_name": [messages.USER_NAME_TAKEN]})
    email_taken = User.is_email_taken(form.email.data)
    # End the read transaction: the password is scored next.
    db.session.commit()
    require_strong_password(form)
    if email_taken:
        # The hash a new account would cost.
        passwords.hash(form.password.data)
        _tell_owner(form.email.data)
        return
    user = add_user(form.data)
    try:
        with unique_keys():
            _register(user)
            db.session.commit()
    except FieldErrors as conflict:
        # A racing signup took the address after the check: its owner is told, as above.
        if "email" not in conflict.fields:
            raise
        db.session.rollback()
        _tell_owner(form.email.data)
        return
    security_event(SIGNUP, user=user)


def _tell_owner(email):
    """Mail the owner of ``email`` that someone tried to sign up with it, unless the account is
    disabled (it can neither log in nor reset). Like every notice, it goes only to an address
    that was confirmed (``mailings``): whoever signed up with an unconfirmed one may not own it,
    and chose the user name the notice would show."""
    owner = User.find_by_email(email)
    if owner is None:
        return
    if owner.is_active:
        mailings.send_signup_attempt(owner)
    db.session.commit()
    security_event(SIGNUP_EMAIL_TAKEN, user=owner)


def create_account(form, role) -> User:
    """Create the account of a validated signup form with ``role``, without a session."""
    user = new_account(form, role)
    with unique_keys():
        _register(user)
        db.session.commit()
    return user


def _register(user):
    """Write the new ``user``, and queue the link that confirms its address."""
    db.session.flush()
    mailings.send_confirmation(user)


def new_account(form, role=constants.USER) -> User:
    """The user of a validated signup form, added to the database session: refused first for a
    taken name or email (409), then for a weak password (422); hashed last."""
    in_use = {}
    if User.is_user_name_taken(form.user_name.data):
        in_use["user_name"] = [messages.USER_NAME_TAKEN]
    if User.is_email_taken(form.email.data):
        in_use["email"] = [messages.EMAIL_TAKEN]
    # End the read transaction: the password is scored next.
    db.session.commit()
    if in_use:
        raise taken(in_use)
    require_strong_password(form)
    return add_user(form.data, role)


def add_user(fields, role=constants.USER) -> User:
    """A new user of ``fields`` (names, email and the password to hash), added to the database
    session, with no rule checked: the flows above check them first."""
    names = ("user_name", "first_name", "last_name", "email", "password")
    user = User(**{name: fields[name] for name in names}, role_code=role)
    db.session.add(user)
    return user


def change_password(user, form) -> str:
    """Set the validated new password of ``form`` for ``user``; the rotated session's token.

    Every session made with the old password ends; so does this request's, if another request
    changed the password or ended the session first (a 401, and nothing changes). A notice
    goes to the account's address.
    """
    # End the reads: the password is checked next.
    db.session.commit()
    # A wrong current password is a failed login: it counts for both names of the account.
    if not account_password_checked(user, form.current_password.data):
        security_event(PASSWORD_CHANGE_FAILED, user=user)
        raise Refusal(403, messages.WRONG_CURRENT_PASSWORD)
    # The two fields, compared as they are hashed: no hash needed to tell.
    if normalize(form.password.data) == normalize(form.current_password.data):
        raise FieldErrors({"password": [messages.PASSWORD_UNCHANGED]})
    require_strong_password(form)
    if not user.replace_password(passwords.hash(form.password.data)):
        raise not_logged_in()
    mailings.send_password_changed(user)
    change = cookie.restart_alone(user, verified=True)
    db.session.commit()
    token = change.hand_over()
    security_event(PASSWORD_CHANGED, user=user)
    return token
