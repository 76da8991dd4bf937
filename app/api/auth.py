"""The `/api/auth` endpoints: csrf, verify_auth, login, logout, signup, change_password,
reauthenticate."""

from flask import Blueprint
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from app.accounts import password as password_flows
from app.accounts import reauthentication
from app.accounts import signup as signup_flows
from app.accounts.sessions import log_out
from app.api.limits import per_client, per_user
from app.api.payload import validated
from app.api.responses import success
from app.common import messages
from app.common.paths import API_PREFIX
from app.mfa.forms import ProofForm
from app.personal_tokens.scopes import ACCOUNT_READ, bearer
from app.sessions.cookie import current_account
from app.users.forms import ChangePasswordForm, LoginForm, SignupForm

auth = Blueprint("auth", __name__, url_prefix=f"{API_PREFIX}/auth")


@auth.get("/csrf")
def csrf():
    """Hand out the CSRF token of this session, for API clients."""
    token = generate_csrf()
    return success(messages.CSRF_ISSUED, data={"csrf_token": token}, csrf_token=token)


@auth.get("/verify_auth")
@bearer(ACCOUNT_READ)
@login_required
def verify_auth():
    """Return the logged-in user."""
    return success(messages.AUTHENTICATED, data=current_user.to_json())


@auth.post("/login")
@per_client("LOGIN_RATE_LIMIT")
def login():
    """Log in with a user name or email, starting a new session."""
    form = validated(LoginForm)
    login = password_flows.log_in(form.login.data, form.password.data, form.remember_me.data)
    if login.methods:
        data = {"mfa_required": True, "methods": list(login.methods)}
        return success(messages.MFA_REQUIRED, data=data, status=202, csrf_token=login.csrf_token)
    return success(messages.LOGGED_IN, data=login.user.to_json(), csrf_token=login.csrf_token)


@auth.post("/logout")
@login_required
def logout():
    """End the current session on the server."""
    return success(messages.LOGGED_OUT, csrf_token=log_out())


@auth.post("/signup")
@per_client("SIGNUP_RATE_LIMIT")
def signup():
    """Create an account and log it in; or, where addresses must be confirmed first, answer
    "check your mail" alike for a new address and a taken one."""
    signed_up = signup_flows.sign_up(validated(SignupForm))
    if signed_up is None:
        return success(messages.SIGNUP_CHECK_MAIL, status=202)
    user, token = signed_up
    return success(messages.SIGNED_UP, data=user.to_json(), status=201, csrf_token=token)


@auth.post("/change_password")
@login_required
@per_user("CHANGE_PASSWORD_RATE_LIMIT")
def change_password():
    """Set a new password; every other session of the user ends."""
    user = current_account()
    token = password_flows.change_password(user, validated(ChangePasswordForm, user=user))
    return success(messages.PASSWORD_CHANGED, csrf_token=token)


@auth.post("/reauthenticate")
@login_required
def reauthenticate():
    """Confirm it is still the user, with the password or a code, before a sensitive action."""
    form = validated(ProofForm)
    reauthentication.reauthenticate(current_account(), form.password.data, form.code.data)
    return success(messages.REAUTHENTICATED)
