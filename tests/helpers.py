"""Constants and assertion helpers shared by the test modules."""

import json
import re
import time
from pathlib import Path

import pyotp
from sqlalchemy import func, select, update

from app.api.responses import ERROR_TYPES
from app.common import messages
from app.common.time import utcnow
from app.extensions import db
from app.sessions.models import AuthSession
from app.users import constants
from app.users.models import User

ROOT = Path(__file__).resolve().parent.parent
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# Where the page sends a login back to (forward auth's ``?next=``), escaped.
RETURN_META = re.compile(r'<meta name="return-to" content="([^"]*)">')
PASSWORD = "correct horse battery staple"
# 128 code points in no pattern zxcvbn knows: strong, and unlike any of its own prefixes.
STRONG_128 = (
    "P&+}5J]<f&i>ry$:Vu7L3ohD4rcqH>@B;uuT;^,H-s:u>hiG(a=aAKYHD_e>t,js2I0{2"
    "RH&-Y*?P[d!MqK4*f*1x*D=93dh?_nNc;sFFn[*-7_v99K}aVoS9V#fgV}V"
)
# A complete, valid signup body.
SIGNUP_FIELDS = {
    "user_name": "alice",
    "first_name": "Alice",
    "last_name": "Liddell",
    "email": "alice@example.com",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def json_of_size(size, **fields):
    """A JSON object of exactly ``size`` bytes: ``fields`` plus a ``pad`` field, which no form
    declares."""
    body = {**fields, "pad": ""}
    missing = size - len(json.dumps(body).encode())
    assert missing >= 0
    return json.dumps({**body, "pad": "x" * missing}).encode()


def form_of_size(size, **fields):
    """An urlencoded form of exactly ``size`` bytes: ``fields`` plus a ``pad`` field."""
    body = "&".join(f"{name}={value}" for name, value in {**fields, "pad": ""}.items())
    assert len(body) <= size
    return (body + "x" * (size - len(body))).encode()


# A signup body with fields no form declares, some of them ones an attacker would want stored.
SIGNUP_WITH_UNDECLARED_FIELDS = {
    **SIGNUP_FIELDS,
    "id": 999,
    "role": "admin",
    "role_code": 0,
    "created_on": "2000-01-01T00:00:00Z",
    "nested": {"deep": [1, 2, None]},
    "csrf_token": None,
}


class AuthActions:
    """Signs up, logs in and out the way the page does: form posts with the CSRF header."""

    def __init__(self, client):
        self._client = client
        self.token = None

    def fetch_token(self):
        """Read the token from the page's meta tag, as the page's script does."""
        page = self._client.get("/")
        self.token = CSRF_META.search(page.get_data(as_text=True)).group(1)
        return self.token

    def post(self, path, data=None, **kwargs):
        """POST with the current token; adopt the token a successful answer hands back."""
        if self.token is None:
            self.fetch_token()
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        response = self._client.post(path, data=data, headers=headers, **kwargs)
        body = response.get_json(silent=True) or {}
        if body.get("csrf_token"):
            self.token = body["csrf_token"]
        return response

    def delete(self, path, **kwargs):
        """DELETE with the current token."""
        if self.token is None:
            self.fetch_token()
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        return self._client.delete(path, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self._client.get(path, **kwargs)

    def signup(self, user_name="alice", email="alice@example.com", password=PASSWORD, **extra):
        fields = {
            "user_name": user_name,
            "first_name": "Alice",
            "last_name": "Liddell",
            "email": email,
            "password": password,
            "confirm": password,
            **extra,
        }
        return self.post("/api/auth/signup", data=fields)

    def login(self, login="alice", password=PASSWORD, remember_me=False):
        fields = {"login": login, "password": password}
        if remember_me:
            fields["remember_me"] = "y"
        return self.post("/api/auth/login", data=fields)

    def logout(self):
        return self.post("/api/auth/logout")


def assert_error(response, status, message, fields=None, error_type=None):
    """Assert that ``response`` is exactly the contract's error envelope (of ``error_type``,
    where a refusal has a type of its own)."""
    errors = {"type": error_type or ERROR_TYPES[status], "message": message}
    if fields is not None:
        errors["fields"] = fields
    assert response.status_code == status
    assert response.is_json
    assert response.get_json() == {"success": False, "errors": errors}


# Flask-WTF's reasons for refusing a request's CSRF token, which start the message of its 403.
CSRF_MISSING = "The CSRF token is missing."
CSRF_SESSION_MISSING = "The CSRF session token is missing."
CSRF_INVALID = "The CSRF token is invalid."
CSRF_MISMATCH = "The CSRF tokens do not match."
CSRF_EXPIRED = "The CSRF token has expired."
CSRF_NO_REFERRER = "The referrer header is missing."
CSRF_BAD_REFERRER = "The referrer does not match the host."


def assert_csrf_failure(response, reason):
    """The 403 of a CSRF failure: its own type, Flask-WTF's ``reason``, and where to get a
    token."""
    assert_error(
        response,
        403,
        messages.CSRF_FAILED.format(reason=reason),
        error_type=messages.CSRF_FAILED_TYPE,
    )


def assert_reauthentication_required(response):
    """The 403 of a sensitive action whose session proved who it is too long ago."""
    assert_error(
        response,
        403,
        messages.REAUTHENTICATION_REQUIRED,
        error_type=messages.REAUTHENTICATION_REQUIRED_TYPE,
    )


def assert_confirm_email_first(response):
    """The 403 of adding a second factor or a passkey to an address not confirmed yet."""
    assert_error(
        response, 403, messages.CONFIRM_EMAIL_FIRST, error_type=messages.EMAIL_NOT_CONFIRMED_TYPE
    )


PURGED = re.compile(
    r"Deleted (\d+) expired session\(s\) and (\d+) pending login\(s\) in \d+\.\d\d s\.\n"
)


def purged(output) -> tuple[int, int]:
    """The session records and pending logins that ``purge-sessions`` says it deleted."""
    match = PURGED.fullmatch(output)
    assert match, output
    return int(match[1]), int(match[2])


def count_rows(app, model):
    """How many rows the table of ``model`` holds now."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def set_role(app, user_name, role):
    """Give the account ``user_name`` the role named ``role`` (admin, staff, user, test), as
    an operator's ``users set-role`` would, without an event: for a test's setting up."""
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.user_name_key == user_name.lower())
            .values(role_code=constants.ROLE_BY_NAME[role])
        )
        db.session.commit()


def confirm_email(app, user_name="alice"):
    """Mark the address of the account ``user_name`` confirmed, as its link would, without the
    mail: second factors and passkeys are only added to a confirmed address."""
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.user_name_key == user_name.lower())
            .values(email_confirmed_at=utcnow())
        )
        db.session.commit()


def age(app, public_id=None, created=None, seen=None, verified=None, user_name=None):
    """Move session records' timestamps back (one record, those of the account ``user_name``,
    or every one), as if time had passed."""
    now = utcnow()
    values = {}
    if created is not None:
        values["created_at"] = now - created
    if seen is not None:
        values["last_seen_at"] = now - seen
    if verified is not None:
        values["verified_at"] = now - verified
    statement = update(AuthSession).values(**values)
    if public_id is not None:
        statement = statement.where(AuthSession.public_id == public_id)
    if user_name is not None:
        owner = select(User.id).where(User.user_name_key == user_name.lower())
        statement = statement.where(AuthSession.user_id == owner.scalar_subquery())
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def session_cookie(app, client):
    """The decoded content of ``client``'s signed session cookie, or None without one."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return None
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


# What production refuses to start without, besides a secret key.
PRODUCTION_NEEDS = {"PUBLIC_URL": "http://localhost", "MAIL_URL": "log://"}


def use_production(monkeypatch, **environment):
    """Make the apps of this test production ones, with a public address and a mail URL."""
    monkeypatch.setenv("APP_CONFIG", "production")
    for name, value in {**PRODUCTION_NEEDS, **environment}.items():
        monkeypatch.setenv(name, value)


# The tables of the second factor (revision 0007), of passkeys (0008), of the keys the app
# seals itself (0010), of personal access tokens (0011), and of a database at the head
# revision.
SECOND_FACTOR_TABLES = {"totp_credential", "recovery_code", "pending_login"}
PASSKEY_TABLES = {"passkey", "passkey_challenge"}
SEALED_KEY_TABLES = {"sealed_key"}
TOKEN_TABLES = {"personal_token"}
HEAD_TABLES = {
    "alembic_version",
    "user",
    "auth_session",
    "account_token",
    "outbox",
    *SECOND_FACTOR_TABLES,
    *PASSKEY_TABLES,
    *SEALED_KEY_TABLES,
    *TOKEN_TABLES,
}


def totp_code(secret, steps=0):
    """The TOTP code of ``secret`` for the time step ``steps`` away from now."""
    return pyotp.TOTP(secret).at(time.time() + steps * pyotp.TOTP(secret).interval)


def steady_step(margin=1.5):
    """Wait, if need be, until the current TOTP time step has ``margin`` seconds left, so that
    the step a test computed a code for is still the server's when the code arrives."""
    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.05)


def stored_password_is(app, password, user_name="alice") -> bool:
    """True when ``user_name``'s stored hash matches ``password``, checked straight: a login
    attempt would itself count for the throttle. The read ends first: no hash runs inside a
    transaction."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.user_name == user_name))
        db.session.commit()
        return user.check_password(password)
