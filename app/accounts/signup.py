"""Signing up, and the accounts an operator creates, under the same rules.

A new account is refused first for a taken name or address (409), then for a weak password
(422), and hashed last, once its reads have ended. Its confirmation link is queued in the
transaction that writes it. With ``REQUIRE_CONFIRMED_EMAIL`` on, signup tells no one whether an
address has an account (``sign_up_to_confirm``).
"""

from flask import current_app

from app.accounts import mailings
from app.accounts.checks import require_strong_password, unique_keys
from app.common import messages
from app.common.refusals import FieldErrors, taken
from app.extensions import db
from app.security.client import client_ip
from app.security.events import SIGNUP, SIGNUP_EMAIL_TAKEN, security_event
from app.sessions import cookie
from app.users import constants
from app.users.models import User
from app.users.passwords import passwords


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
