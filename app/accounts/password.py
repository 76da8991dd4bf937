"""The flows that check the account's password: logging in with it, and changing it.

Each counts the attempt (the failed-login count), checks the password, rehashes it, writes the
account trail, starts or rotates the session and logs the event, in that order. Each says
where its transactions end: it commits its reads before a hash (the hasher refuses to run
inside a transaction, ``app.users.passwords``), and commits its writes once, with the messages
that announce them. A refusal (``app.common.refusals``) leaves its writes uncommitted, for the
request's end to throw away.
"""

from dataclasses import dataclass

from app.accounts import mailings
from app.accounts.checks import account_password_checked, password_checked, require_strong_password
from app.accounts.logins import admit, finish_login
from app.common import messages
from app.common.refusals import FieldErrors, Refusal, not_logged_in
from app.extensions import db
from app.mfa import login as pending_login
from app.personal_tokens import flows as personal_tokens
from app.security import throttle
from app.security.events import (
    LOGIN_FAILED,
    PASSWORD_CHANGE_FAILED,
    PASSWORD_CHANGED,
    security_event,
)
from app.sessions import cookie
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
    personal_tokens.end_all(user)
    db.session.commit()
    token = change.hand_over()
    security_event(PASSWORD_CHANGED, user=user)
    return token
