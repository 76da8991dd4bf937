"""The checks every flow makes in the same way: the password and second-factor codes with
their throttles, the password rule, tokens from links, and unique names and addresses.

None of them commits or rolls back. A password check hashes, so the flow ends its transaction
before it asks for one (``app.users.passwords`` refuses to hash inside one).
"""

from contextlib import contextmanager
from functools import partial

from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.accounts import tokens
from app.common import messages
from app.common.refusals import FieldErrors, Refusal, taken
from app.extensions import db
from app.security import throttle
from app.security.events import TOKEN_REFUSED, security_event
from app.users.models import User

# The unique key columns, as SQLite and PostgreSQL both name them in an IntegrityError.
CONFLICT_FIELDS = {
    "user_name_key": ("user_name", messages.USER_NAME_TAKEN),
    "email_key": ("email", messages.EMAIL_TAKEN),
}


def password_checked(keys, user, password, login=None) -> bool:
    """Count one attempt against the failed-login counts ``keys`` (a 429 over the limit), check
    ``password`` for ``user`` (for None, the dummy check that costs the same), and forget the
    attempts when it is right. The one place a password attempt is counted; a 429's event
    names the ``login`` typed, or else the user."""
    check = partial(User.password_matches, user, password)
    who = {"login": login} if login is not None else {"user": user}
    return _counted(keys, check, throttle.SCOPE, throttle.LIMIT, **who)


def account_password_checked(user, password) -> bool:
    """``password_checked`` for a known account, whose failure counts for both its names: a
    password change, an email change, a re-authentication, a deletion."""
    return password_checked(throttle.account_keys(user), user, password)


def code_checked(user, check) -> bool:
    """Count one code tried for ``user``'s account (a 429 over ``MFA_FAILURE_LIMIT``), run
    ``check``, and forget the codes tried when it passes. Apart from the password counts:
    password guesses never lock the owner out of their second factor."""
    keys = throttle.code_keys(user)
    return _counted(keys, check, throttle.CODE_SCOPE, throttle.CODE_LIMIT, user=user)


def _counted(keys, check, scope, limit, **who) -> bool:
    # Counted before the check, as one step of the storage: parallel guesses cannot overshoot.
    throttle.count_attempt(keys, scope=scope, limit=limit, **who)
    if not check():
        return False
    throttle.clear(keys, scope, limit)
    return True


def require_strong_password(form):
    """A 422 when the new password breaks the password rule, scored only after cheap checks."""
    problem = form.password_problem()
    if problem:
        raise FieldErrors({"password": [problem]})


def email_conflict():
    return taken({"email": [messages.EMAIL_TAKEN]})


def conflict_from(exc: IntegrityError):
    """The 409 for a unique key that a racing insert won, or None for any other violation."""
    text = str(exc.orig)
    fields = {field: [msg] for key, (field, msg) in CONFLICT_FIELDS.items() if key in text}
    return taken(fields) if fields else None


@contextmanager
def unique_keys():
    """Turn a lost race for a user name or email into its 409."""
    try:
        yield
    except IntegrityError as exc:
        conflict = conflict_from(exc)
        if conflict is None:
            raise
        raise conflict from exc


def refuse_token(purpose):
    """The one 400 of every token that is not good, whatever is wrong with it."""
    security_event(TOKEN_REFUSED, purpose=purpose)
    raise Refusal(400, messages.INVALID_TOKEN)


def _session_user_id():
    """Whose a token must be: a link is for its own account, so a browser logged in as
    another account is refused it; an anonymous one may use any."""
    return current_user.id if current_user.is_authenticated else None


def peeked_token(token, purpose) -> tokens.Redeemed:
    """What a good ``token`` names, left unused; the one 400 if it is not good."""
    peeked = tokens.peek(token, purpose, _session_user_id())
    if peeked is None:
        refuse_token(purpose)
    return peeked


def confirmed_by_token(token):
    """The user whose address a used confirmation ``token`` confirmed, if the address is
    still theirs and confirmed (and a logged-in browser is theirs); else None."""
    user_id = tokens.confirmed_by(token, _session_user_id())
    return None if user_id is None else db.session.get(User, user_id)


def redeemed_token(token, purpose) -> tokens.Redeemed:
    """Use ``token`` up, in this transaction: what it names; the one 400 if it is not good."""
    redeemed = tokens.redeem(token, purpose, _session_user_id())
    if redeemed is None:
        refuse_token(purpose)
    return redeemed
