"""The /api/auth endpoints: every success and failure path, with JSON and form bodies."""

import json
import re

import email_validator.deliverability
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts import signup
from app.accounts.checks import conflict_from as _conflict_from
from app.common import messages
from app.common.time import utcnow
from app.config import Config
from app.extensions import db
from app.mail.compose import SUBJECTS
from app.sessions.models import AuthSession
from app.users import constants, policy
from app.users.models import User
from app.users.policy import password_problem
from tests.helpers import (
    CSRF_INVALID,
    CSRF_MISMATCH,
    CSRF_MISSING,
    CSRF_SESSION_MISSING,
    PASSWORD,
    SIGNUP_FIELDS,
    STRONG_128,
    AuthActions,
    assert_csrf_failure,
    assert_error,
    count_rows,
)
from tests.plugins.accounts import log_in
from tests.plugins.databases import make_app
from tests.plugins.mail import LINK_TOKEN, Mailbox, text_of, token_of

MISSING = object()
USER_KEYS = {
    "id",
    "user_name",
    "email",
    "first_name",
    "last_name",
    "role",
    "created_on",
    "email_confirmed",
}
ISO_Z = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
# U+FB03 LATIN SMALL LIGATURE FFI becomes "ffi" under NFKC: one code point typed, three counted.
FFI = "\ufb03"
# 128 code points after NFKC, 82 typed.
STRONG_FFI_128 = STRONG_128[:59] + FFI * 23
PERSONAL_INFO = {
    name: SIGNUP_FIELDS[name] for name in ("user_name", "email", "first_name", "last_name")
}
# A 254-character address that email-validator accepts (64-character local part).
EMAIL_254 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"

USER_NAME_LENGTH = messages.USER_NAME_LENGTH.format(
    min=constants.MIN_USERNAME_LEN, max=constants.MAX_USERNAME_LEN
)
NAME_TOO_LONG = messages.NAME_TOO_LONG.format(max=constants.MAX_NAME_LEN)
PASSWORD_LENGTH = messages.PASSWORD_LENGTH.format(
    min=Config.PASSWORD_MIN_LENGTH, max=constants.MAX_PASSWORD_LEN
)
PASSWORD_TOO_LONG = messages.PASSWORD_TOO_LONG.format(max=constants.MAX_PASSWORD_LEN)
LOGIN_TOO_LONG = messages.LOGIN_TOO_LONG.format(max=constants.MAX_LOGIN_LEN)


@pytest.fixture(params=["json", "form"])
def send(request, auth):
    """POST ``fields`` as a JSON object or as a form (as jQuery's ``$.post`` does)."""

    def send(path, fields):
        fields = {name: value for name, value in fields.items() if value is not MISSING}
        if request.param == "json":
            return auth.post(path, json=fields)
        form = {name: "y" for name, value in fields.items() if value is True}
        form.update({name: value for name, value in fields.items() if isinstance(value, str)})
        return auth.post(path, data=form)

    return send


def signup_fields(**changes):
    fields = {**SIGNUP_FIELDS, **changes}
    if "password" in changes and "confirm" not in changes:
        fields["confirm"] = changes["password"]
    return fields


def logged_in_user(client):
    response = client.get("/api/auth/verify_auth")
    return response.get_json()["data"]["user_name"] if response.status_code == 200 else None


# GET /api/auth/csrf


def test_csrf_hands_out_token_top_level_and_in_data(client):
    response = client.get("/api/auth/csrf")
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["message"] == messages.CSRF_ISSUED
    assert body["csrf_token"]
    assert body["data"] == {"csrf_token": body["csrf_token"]}


def test_csrf_token_from_endpoint_is_accepted(app, client):
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.post("/api/auth/signup", data=SIGNUP_FIELDS, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_token_from_before_signup_is_refused_after(auth, client):
    auth.fetch_token()
    api_token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    assert auth.signup().status_code == 201
    response = client.post("/api/auth/logout", headers={"X-CSRFToken": api_token})
    assert_csrf_failure(response, CSRF_MISMATCH)


# GET /api/auth/verify_auth


def test_verify_auth_when_logged_out(client):
    assert_error(client.get("/api/auth/verify_auth"), 401, messages.NOT_LOGGED_IN)


def test_verify_auth_returns_the_user(auth, client, user):
    logged_in = log_in(auth, user).get_json()["data"]
    assert (logged_in["id"], logged_in["user_name"]) == (user.id, user.user_name)
    response = client.get("/api/auth/verify_auth")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"success": True, "message": messages.AUTHENTICATED, "data": logged_in}


def test_verify_auth_sets_no_cookie(logged_in_client):
    assert logged_in_client.get("/api/auth/verify_auth").headers.getlist("Set-Cookie") == []


# POST /api/auth/signup


def test_signup_creates_and_logs_in(app, client, send):
    response = send("/api/auth/signup", SIGNUP_FIELDS)
    assert response.status_code == 201
    body = response.get_json()
    assert body["success"] is True
    assert body["message"] == messages.SIGNED_UP
    assert body["csrf_token"]
    assert body["data"] == client.get("/api/auth/verify_auth").get_json()["data"]
    assert count_rows(app, User) == 1
    assert count_rows(app, AuthSession) == 1


def test_signup_user_object(send):
    data = send("/api/auth/signup", SIGNUP_FIELDS).get_json()["data"]
    assert set(data) == USER_KEYS
    assert isinstance(data["id"], int)
    assert data["user_name"] == "alice"
    assert data["email"] == "alice@example.com"
    assert data["first_name"] == "Alice"
    assert data["last_name"] == "Liddell"
    assert data["role"] == "user"
    assert ISO_Z.match(data["created_on"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("user_name", "abc", USER_NAME_LENGTH),
        ("user_name", "a" * 31, USER_NAME_LENGTH),
        ("user_name", "  abc  ", USER_NAME_LENGTH),
        ("user_name", "j\u00fcrgen", messages.USER_NAME_CHARACTERS),
        ("user_name", "\u0430lice", messages.USER_NAME_CHARACTERS),
        ("user_name", "\uff41\uff4c\uff49\uff43\uff45", messages.USER_NAME_CHARACTERS),
        ("user_name", "alice!", messages.USER_NAME_CHARACTERS),
        ("user_name", "alice_b", messages.USER_NAME_CHARACTERS),
        ("user_name", "al ice", messages.USER_NAME_CHARACTERS),
        ("user_name", "", messages.FIELD_REQUIRED),
        ("user_name", "    ", messages.FIELD_REQUIRED),
        ("user_name", MISSING, messages.FIELD_REQUIRED),
        ("first_name", "", messages.FIELD_REQUIRED),
        ("first_name", " \t ", messages.FIELD_REQUIRED),
        ("first_name", "x" * 65, NAME_TOO_LONG),
        ("first_name", MISSING, messages.FIELD_REQUIRED),
        ("last_name", "", messages.FIELD_REQUIRED),
        ("last_name", "   ", messages.FIELD_REQUIRED),
        ("last_name", "x" * 65, NAME_TOO_LONG),
        ("last_name", MISSING, messages.FIELD_REQUIRED),
        ("email", "not-an-email", messages.EMAIL_INVALID),
        ("email", "alice@", messages.EMAIL_INVALID),
        ("email", "@example.com", messages.EMAIL_INVALID),
        ("email", "alice@@example.com", messages.EMAIL_INVALID),
        ("email", "alice@localhost", messages.EMAIL_INVALID),
        ("email", "alice example@example.com", messages.EMAIL_INVALID),
        ("email", "b" + EMAIL_254, messages.EMAIL_INVALID),
        ("email", "x" * 300 + "@example.com", messages.EMAIL_INVALID),
        ("email", "", messages.FIELD_REQUIRED),
        ("email", MISSING, messages.FIELD_REQUIRED),
        ("password", "1234567", PASSWORD_LENGTH),
        # Strong, but one short of the minimum of 15.
        ("password", "Zq8#vT2!x-ab3#", PASSWORD_LENGTH),
        ("password", "\u00e9" * 14, PASSWORD_LENGTH),
        # Fourteen code points after NFKC, twenty-eight typed.
        ("password", "e\u0301" * 14, PASSWORD_LENGTH),
        ("password", "x" * 129, PASSWORD_LENGTH),
        ("password", FFI * 43, PASSWORD_LENGTH),
        ("password", STRONG_FFI_128 + "a", PASSWORD_LENGTH),
        ("password", "x" * 30_000, PASSWORD_LENGTH),
        ("confirm", PASSWORD + " ", messages.PASSWORDS_MUST_MATCH),
        ("confirm", PASSWORD.upper(), messages.PASSWORDS_MUST_MATCH),
        ("confirm", "", messages.FIELD_REQUIRED),
        ("confirm", MISSING, messages.FIELD_REQUIRED),
    ],
)
def test_signup_field_rules(app, client, send, field, value, message):
    response = send("/api/auth/signup", signup_fields(**{field: value}))
    assert_error(response, 422, messages.VALIDATION_FAILED, {field: [message]})
    assert count_rows(app, User) == 0
    assert count_rows(app, AuthSession) == 0
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    ("field", "value", "kept"),
    [
        ("user_name", "abcd", "abcd"),
        ("user_name", "a" * 30, "a" * 30),
        ("user_name", "  Alice99  ", "Alice99"),
        ("first_name", "x" * 64, "x" * 64),
        ("first_name", "  " + "x" * 64 + "  ", "x" * 64),
        ("first_name", "  Zo\u00eb  ", "Zo\u00eb"),
        ("last_name", "O'Brien-Sm\u00edth", "O'Brien-Sm\u00edth"),
        ("email", EMAIL_254, EMAIL_254),
        ("email", "  alice@example.com ", "alice@example.com"),
        ("email", "Alice.Liddell@EXAMPLE.COM", "Alice.Liddell@example.com"),
    ],
)
def test_signup_accepts_and_stores(app, send, field, value, kept):
    response = send("/api/auth/signup", signup_fields(**{field: value}))
    assert response.status_code == 201
    assert response.get_json()["data"][field] == kept
    with app.app_context():
        assert getattr(db.session.scalar(select(User)), field) == kept


@pytest.mark.parametrize(
    "password",
    [
        "Zq8#vT2!x-ab3#L",
        STRONG_128,
        # Thirteen code points typed, fifteen counted: long enough only after NFKC.
        FFI + "Zq8#vT2!x-ab",
        STRONG_FFI_128,
        "\u043f\u0430\u0440\u043e\u043b\u044c \u5bc6\u7801 \U0001f511 \u043a\u043b\u044e\u0447",
        "\u5bc6\u7801\u5b89\u5168\u6d4b\u8bd5\u732b\u72d7\u26a1\u6708\u4eae\u8349\u8393\u9f99\u732b",
        "  spaces are kept  ",
    ],
)
def test_signup_password_any_unicode_up_to_128(auth, send, password):
    assert send("/api/auth/signup", signup_fields(password=password)).status_code == 201
    auth.logout()
    assert auth.login(password=password).status_code == 200


@pytest.mark.parametrize("password", ["Password1234567", FFI * 4 + "Zq8", "\u00e9" * 15])
def test_signup_password_of_15_code_points_passes_the_length_rule(app, send, password):
    """Fifteen code points after NFKC are long enough; the strength rule still applies."""
    response = send("/api/auth/signup", signup_fields(password=password))
    reason = password_problem(password, **PERSONAL_INFO)
    assert reason.startswith(messages.PASSWORD_WEAK)
    assert_error(response, 422, messages.VALIDATION_FAILED, {"password": [reason]})
    assert count_rows(app, User) == 0


@pytest.mark.parametrize(
    ("minimum", "password", "refused"),
    [
        (8, "Zq8#vT2!x", False),
        (20, "Zq8#vT2!x-ab3#L-9dW", True),
        (20, "Zq8#vT2!x-ab3#L-9dWq", False),
    ],
)
def test_the_minimum_length_is_the_app_s_setting(database_url, minimum, password, refused):
    app = make_app(database_url, PASSWORD_MIN_LENGTH=minimum)
    response = AuthActions(app.test_client()).signup(password=password)
    if refused:
        message = messages.PASSWORD_LENGTH.format(min=minimum, max=constants.MAX_PASSWORD_LEN)
        assert_error(response, 422, messages.VALIDATION_FAILED, {"password": [message]})
    else:
        assert response.status_code == 201


def test_signup_password_is_never_truncated(auth, send):
    password = STRONG_128
    assert send("/api/auth/signup", signup_fields(password=password)).status_code == 201
    auth.logout()
    for prefix in (password[:72], password[:-1]):
        assert auth.login(password=prefix).status_code == 401
    assert auth.login(password=password).status_code == 200


def test_signup_password_is_not_trimmed(auth, send):
    assert send("/api/auth/signup", signup_fields(password="  " + PASSWORD)).status_code == 201
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 401
    assert auth.login(password="  " + PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("changes", "password", "message"),
    [
        (
            {},
            "Password1234567",
            f"{messages.PASSWORD_WEAK} This is similar to a commonly used password.",
        ),
        (
            {},
            "monkeymonkey123",
            f'{messages.PASSWORD_WEAK} Repeats like "abcabcabc" are only slightly harder to'
            ' guess than "abc".',
        ),
        ({}, "ALICE#Zq8vT2!x7", messages.PASSWORD_PERSONAL),
        ({}, "Zq8#vT2!x-liddell", messages.PASSWORD_PERSONAL),
        ({}, "\uff41\uff4c\uff49\uff43\uff45Zq8#vT2!x-9", messages.PASSWORD_PERSONAL),
        # The names of this signup, not of any other.
        ({"first_name": "Dinah"}, "Dinah#Zq8vT2!x7", messages.PASSWORD_PERSONAL),
        ({"email": "cheshire@example.com"}, "Zq8#vT2!x-Cheshire", messages.PASSWORD_PERSONAL),
        # Strong for anyone else; reversed, the surname is still this user's word.
        ({"last_name": "Vrzqonkt"}, "tknoqzrv!9-Hd3#", messages.PASSWORD_PERSONAL),
        # The whole address counts, even with a local part too short to count.
        ({"email": "jo@quixwzorv.io"}, "jo@quixwzorv.io", messages.PASSWORD_PERSONAL),
        # A name typed decomposed matches the password's composed form.
        ({"first_name": "Chloe\u0301"}, "Chlo\u00e9#Zq8vT2!x7", messages.PASSWORD_PERSONAL),
    ],
)
def test_signup_applies_the_password_rule(app, client, send, changes, password, message):
    response = send("/api/auth/signup", signup_fields(**changes, password=password))
    assert_error(response, 422, messages.VALIDATION_FAILED, {"password": [message]})
    assert count_rows(app, User) == 0
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    "password", ["Dinah#Zq8vT2!x7", "tknoqzrv!9-Hd3#", "jo@quixwzorv.io", "Chlo\u00e9#Zq8vT2!x7"]
)
def test_signup_rule_is_about_this_user(send, password):
    """The passwords refused above for other names are fine for Alice."""
    assert send("/api/auth/signup", signup_fields(password=password)).status_code == 201


@pytest.mark.usefixtures("no_scoring")
def test_signup_huge_password_is_refused_without_scoring(app, send):
    password = (STRONG_128 * 40)[:5_000]
    response = send("/api/auth/signup", signup_fields(password=password))
    assert_error(response, 422, messages.VALIDATION_FAILED, {"password": [PASSWORD_LENGTH]})
    assert count_rows(app, User) == 0


@pytest.mark.parametrize("password", ["", MISSING])
def test_signup_password_required(app, send, password):
    response = send("/api/auth/signup", signup_fields(password=password, confirm=PASSWORD))
    fields = {
        "password": [messages.FIELD_REQUIRED],
        "confirm": [messages.PASSWORDS_MUST_MATCH],
    }
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)
    assert count_rows(app, User) == 0


def test_signup_missing_everything(app, send):
    response = send("/api/auth/signup", {})
    required = [messages.FIELD_REQUIRED]
    assert_error(response, 422, messages.VALIDATION_FAILED, dict.fromkeys(SIGNUP_FIELDS, required))
    assert count_rows(app, User) == 0


def test_signup_does_not_look_up_dns(monkeypatch, send):
    def no_dns(*args, **kwargs):
        raise AssertionError("signup must not query DNS")

    monkeypatch.setattr(email_validator.deliverability, "validate_email_deliverability", no_dns)
    email = "someone@no-such-domain-for-this-test.com"
    response = send("/api/auth/signup", signup_fields(email=email))
    assert response.status_code == 201
    assert response.get_json()["data"]["email"] == email


@pytest.mark.parametrize(
    ("user_name", "email", "fields"),
    [
        ("ALICE", "other@example.com", {"user_name": [messages.USER_NAME_TAKEN]}),
        ("aLiCe", "other@example.com", {"user_name": [messages.USER_NAME_TAKEN]}),
        ("bobby", "ALICE@example.com", {"email": [messages.EMAIL_TAKEN]}),
        ("bobby", "alice@EXAMPLE.COM", {"email": [messages.EMAIL_TAKEN]}),
        (
            "Alice",
            "Alice@Example.Com",
            {"user_name": [messages.USER_NAME_TAKEN], "email": [messages.EMAIL_TAKEN]},
        ),
    ],
)
def test_signup_conflict_ignores_case(app, logged_in_client, send, user_name, email, fields):
    response = send("/api/auth/signup", signup_fields(user_name=user_name, email=email))
    assert_error(response, 409, messages.CONFLICT, fields)
    assert count_rows(app, User) == 1
    assert count_rows(app, AuthSession) == 1
    assert logged_in_user(logged_in_client) == "alice"


@pytest.mark.parametrize(
    ("user_name", "email", "field"),
    [("ALICE", "other@example.com", "user_name"), ("bobby", "ALICE@example.com", "email")],
)
def test_a_taken_name_is_refused_before_the_password_is_scored(
    logged_in_client, send, monkeypatch, user_name, email, field
):
    """A 409 costs no scoring (nor a hash), whatever password the body carries."""
    monkeypatch.setattr(policy, "zxcvbn", no_zxcvbn)
    response = send("/api/auth/signup", signup_fields(user_name=user_name, email=email))
    assert response.status_code == 409
    assert list(response.get_json()["errors"]["fields"]) == [field]


def no_zxcvbn(*args, **kwargs):
    raise AssertionError("zxcvbn must not score this password")


# Addresses that case-folding would merge, or make longer than the column.
SHARP_S, DOUBLE_S = "stra\u00dfe@example.com", "strasse@example.com"
FF_LIGATURE, FF = "e\ufb00ort@example.com", "effort@example.com"
# 64 x U+0390 (two bytes each, three code points case-folded) and a domain: 254 bytes.
GREEK_254 = "\u0390" * 64 + "@" + ".".join(["d" * 63, "e" * 57, "com"])


@pytest.mark.parametrize(("first", "second"), [(SHARP_S, DOUBLE_S), (FF_LIGATURE, FF)])
def test_addresses_that_differ_beyond_letter_case_are_two_accounts(app, auth, send, first, second):
    assert auth.signup(email=first).status_code == 201
    auth.logout()
    response = send("/api/auth/signup", signup_fields(user_name="bobby", email=second))
    assert response.status_code == 201
    auth.logout()
    assert auth.login(login=second.upper()).get_json()["data"]["user_name"] == "bobby"
    auth.logout()
    assert auth.login(login=first).get_json()["data"]["user_name"] == "alice"
    assert count_rows(app, User) == 2


def test_an_address_whose_case_folding_outgrows_the_column_signs_up(app, auth):
    assert len(GREEK_254.encode()) == constants.MAX_EMAIL_LEN
    assert len(GREEK_254.casefold()) > constants.MAX_EMAIL_LEN
    response = auth.signup(email=GREEK_254)
    assert response.status_code == 201, response.get_json()
    auth.logout()
    assert auth.login(login=GREEK_254.replace("d", "D")).status_code == 200


def test_signup_conflict_lost_race_is_409(app, user, monkeypatch, send):
    """When a concurrent signup wins after the check, the database's unique key answers."""
    monkeypatch.setattr(User, "is_user_name_taken", classmethod(lambda cls, name: False))
    response = send("/api/auth/signup", signup_fields(user_name="ALICE", email="b@example.com"))
    assert_error(response, 409, messages.CONFLICT, {"user_name": [messages.USER_NAME_TAKEN]})
    monkeypatch.setattr(User, "is_email_taken", classmethod(lambda cls, email: False))
    response = send("/api/auth/signup", signup_fields(user_name="bobby", email="ALICE@example.com"))
    assert_error(response, 409, messages.CONFLICT, {"email": [messages.EMAIL_TAKEN]})
    assert count_rows(app, User) == 1
    assert count_rows(app, AuthSession) == 0


@pytest.mark.parametrize(
    ("driver_message", "fields"),
    [
        ("UNIQUE constraint failed: user.user_name_key", {"user_name": [messages.USER_NAME_TAKEN]}),
        ("UNIQUE constraint failed: user.email_key", {"email": [messages.EMAIL_TAKEN]}),
        (
            'duplicate key value violates unique constraint "uq_user_user_name_key"',
            {"user_name": [messages.USER_NAME_TAKEN]},
        ),
        (
            'duplicate key value violates unique constraint "uq_user_email_key"',
            {"email": [messages.EMAIL_TAKEN]},
        ),
        ("UNIQUE constraint failed: auth_session.token_hash", None),
        ("FOREIGN KEY constraint failed", None),
    ],
)
def test_conflict_from_integrity_error(driver_message, fields):
    """SQLite and PostgreSQL name the violated key differently; both map to the field."""
    conflict = _conflict_from(IntegrityError("INSERT", {}, Exception(driver_message)))
    if fields is None:
        assert conflict is None
    else:
        assert (conflict.status, conflict.message, conflict.fields) == (
            409,
            messages.CONFLICT,
            fields,
        )


# POST /api/auth/signup with REQUIRE_CONFIRMED_EMAIL: the same answer for any address

CHECK_MAIL = {"success": True, "message": messages.SIGNUP_CHECK_MAIL}
BOB = {"user_name": "bobby", "email": "bob@example.com"}


@pytest.fixture
def confirming(database_url, smtp_server):
    """An app that wants addresses confirmed, where Alice (confirmed) already has an account;
    a client that has its CSRF token, and the app's mailbox."""
    app = make_app(database_url, MAIL_URL=smtp_server.url, REQUIRE_CONFIRMED_EMAIL=True)
    with app.app_context():
        signup.add_user(SIGNUP_FIELDS).email_confirmed_at = utcnow()
        db.session.commit()
    auth = AuthActions(app.test_client())
    auth.fetch_token()
    return app, auth, Mailbox(app, smtp_server)


def users(app):
    with app.app_context():
        return sorted(db.session.scalars(select(User.user_name)))


def test_a_new_address_gets_its_account_and_link_but_no_session(confirming):
    app, auth, mailbox = confirming
    response = auth.signup(**BOB)
    assert response.status_code == 202
    assert response.get_json() == CHECK_MAIL
    assert response.headers.getlist("Set-Cookie") == []
    assert logged_in_user(auth._client) is None
    assert count_rows(app, AuthSession) == 0
    with app.app_context():
        bob = db.session.scalar(select(User).where(User.user_name == "bobby"))
        assert (bob.email_confirmed_at, bob.login_count, bob.last_login_at) == (None, 0, None)
    (message,) = mailbox.deliver()
    assert (message["To"], message["Subject"]) == (BOB["email"], SUBJECTS["confirm_email"])
    confirm = auth.post("/api/auth/confirm_email", json={"token": token_of(message)})
    assert confirm.status_code == 200
    assert auth.login("bobby").status_code == 200


def test_a_taken_address_creates_nothing_and_tells_its_owner(confirming):
    app, auth, mailbox = confirming
    response = auth.signup(user_name="bobby", email="ALICE@example.com")
    assert response.status_code == 202
    assert response.get_json() == CHECK_MAIL
    assert response.headers.getlist("Set-Cookie") == []
    assert users(app) == ["alice"]
    assert count_rows(app, AuthSession) == 0
    (notice,) = mailbox.deliver()
    # To the address as the account stores it, never as typed.
    assert (notice["To"], notice["Subject"]) == ("alice@example.com", SUBJECTS["signup_attempt"])
    text = text_of(notice)
    assert "Someone tried to sign up" in text
    assert f"{app.config['PUBLIC_URL']}/forgot" in text
    assert PASSWORD not in notice.as_string()
    assert LINK_TOKEN.search(text) is None


@pytest.mark.parametrize("email", ["alice@example.com", "bob@example.com"])
def test_a_taken_user_name_is_still_its_409_alone(confirming, email):
    """User names are public; with both taken, only the user name is named."""
    app, auth, mailbox = confirming
    response = auth.signup(user_name="ALICE", email=email)
    assert_error(response, 409, messages.CONFLICT, {"user_name": [messages.USER_NAME_TAKEN]})
    assert users(app) == ["alice"]
    assert mailbox.deliver() == []


@pytest.mark.parametrize("email", ["alice@example.com", "bob@example.com"])
def test_a_weak_password_is_the_same_422_for_any_address(confirming, email):
    app, auth, mailbox = confirming
    response = auth.signup(user_name="bobby", email=email, password="Password1234567")
    reason = f"{messages.PASSWORD_WEAK} This is similar to a commonly used password."
    assert_error(response, 422, messages.VALIDATION_FAILED, {"password": [reason]})
    assert users(app) == ["alice"]
    assert mailbox.deliver() == []


@pytest.mark.parametrize(
    "change",
    [{"email_confirmed_at": None}, {"is_active": False}],
    ids=["unconfirmed", "disabled"],
)
def test_an_owner_who_could_not_act_on_it_is_told_nothing(confirming, change):
    """An address never confirmed gets no mail but its confirmation; a disabled account can
    neither log in nor reset its password. The answer is the same."""
    app, auth, mailbox = confirming
    with app.app_context():
        db.session.execute(update(User).values(**change))
        db.session.commit()
    response = auth.signup(user_name="bobby", email="alice@example.com")
    assert response.status_code == 202
    assert response.get_json() == CHECK_MAIL
    assert users(app) == ["alice"]
    assert mailbox.deliver() == []


def test_an_address_taken_by_a_racing_signup_answers_the_same(confirming, monkeypatch):
    """The check said free, the unique key said taken: still the 202, and the owner is told."""
    app, auth, mailbox = confirming
    monkeypatch.setattr(User, "is_email_taken", classmethod(lambda cls, email: False))
    response = auth.signup(user_name="bobby", email="alice@example.com")
    assert response.status_code == 202
    assert response.get_json() == CHECK_MAIL
    assert users(app) == ["alice"]
    (notice,) = mailbox.deliver()
    assert notice["Subject"] == SUBJECTS["signup_attempt"]


def test_a_user_name_taken_by_a_racing_signup_is_its_409(confirming, monkeypatch):
    app, auth, _mailbox = confirming
    monkeypatch.setattr(User, "is_user_name_taken", classmethod(lambda cls, name: False))
    response = auth.signup(user_name="ALICE", email="bob@example.com")
    assert_error(response, 409, messages.CONFLICT, {"user_name": [messages.USER_NAME_TAKEN]})
    assert users(app) == ["alice"]


# POST /api/auth/login


@pytest.mark.parametrize(
    "login", ["alice", "ALICE", "Alice", "alice@example.com", "ALICE@EXAMPLE.COM", "  alice  "]
)
def test_login_by_user_name_or_email_any_case(user, client, send, login):
    response = send("/api/auth/login", {"login": login, "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["message"] == messages.LOGGED_IN
    assert (body["data"]["id"], body["data"]["user_name"]) == (user.id, "alice")
    assert body["data"] == client.get("/api/auth/verify_auth").get_json()["data"]
    assert body["csrf_token"]
    assert logged_in_user(client) == "alice"


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("nobody", PASSWORD),
        ("nobody@example.com", PASSWORD),
        ("alice", "wrong password"),
        ("alice@example.com", PASSWORD.upper()),
        ("alice", PASSWORD + " "),
        ("alice", "x"),
    ],
)
def test_login_bad_credentials(app, user, client, send, login, password):
    response = send("/api/auth/login", {"login": login, "password": password})
    assert_error(response, 401, messages.INVALID_CREDENTIALS)
    assert logged_in_user(client) is None
    assert count_rows(app, AuthSession) == 0


# Headers whose values differ from one request to the next, whoever logs in.
PER_REQUEST_HEADERS = {"x-request-id", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"}


def header_names(response):
    return sorted(name.lower() for name, _ in response.headers.items())


def steady_headers(response):
    """Every header but the per-request ones, with its value."""
    return sorted(
        (name.lower(), value)
        for name, value in response.headers.items()
        if name.lower() not in PER_REQUEST_HEADERS
    )


def test_unknown_user_and_wrong_password_look_the_same(app, user):
    answers = []
    for login in ("nobody", "alice"):
        client = app.test_client()
        token = client.get("/api/auth/csrf").get_json()["csrf_token"]
        response = client.post(
            "/api/auth/login",
            data={"login": login, "password": "wrong password"},
            headers={"X-CSRFToken": token},
        )
        assert_error(response, 401, messages.INVALID_CREDENTIALS)
        answers.append(response)
    unknown, wrong = answers
    assert unknown.status == wrong.status
    assert unknown.get_data() == wrong.get_data()
    assert unknown.headers.getlist("Set-Cookie") == wrong.headers.getlist("Set-Cookie") == []
    # Values like X-Request-ID differ per request by design; the set of headers must not.
    assert header_names(unknown) == header_names(wrong)
    assert steady_headers(unknown) == steady_headers(wrong)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("login", MISSING, messages.FIELD_REQUIRED),
        ("login", "", messages.FIELD_REQUIRED),
        ("login", "   ", messages.FIELD_REQUIRED),
        ("login", "a" * (constants.MAX_LOGIN_LEN + 1), LOGIN_TOO_LONG),
        ("password", MISSING, messages.FIELD_REQUIRED),
        ("password", "", messages.FIELD_REQUIRED),
        ("password", "x" * 129, PASSWORD_TOO_LONG),
        ("password", FFI * 43, PASSWORD_TOO_LONG),
        ("password", "x" * 30_000, PASSWORD_TOO_LONG),
    ],
)
def test_login_field_rules(app, send, field, value, message):
    fields = {"login": "alice", "password": PASSWORD, field: value}
    response = send("/api/auth/login", fields)
    assert_error(response, 422, messages.VALIDATION_FAILED, {field: [message]})
    assert count_rows(app, AuthSession) == 0


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("a" * constants.MAX_LOGIN_LEN, PASSWORD),
        ("alice", "x" * constants.MAX_PASSWORD_LEN),
        ("alice", FFI * 42),
        ("alice", "x"),
    ],
)
def test_login_limits_are_inclusive(send, login, password):
    response = send("/api/auth/login", {"login": login, "password": password})
    assert_error(response, 401, messages.INVALID_CREDENTIALS)


def test_login_missing_everything(send):
    response = send("/api/auth/login", {})
    required = [messages.FIELD_REQUIRED]
    fields = {"login": required, "password": required}
    assert_error(response, 422, messages.VALIDATION_FAILED, fields)


@pytest.mark.usefixtures("no_scoring")
def test_login_has_no_password_policy(app, send):
    """An account made under an older, weaker rule still gets in, and is never scored."""
    with app.app_context():
        db.session.add(
            User(
                user_name="oldtimer",
                email="old@example.com",
                first_name="Old",
                last_name="Timer",
                password="abc",
            )
        )
        db.session.commit()
    response = send("/api/auth/login", {"login": "oldtimer", "password": "abc"})
    assert response.status_code == 200
    assert response.get_json()["data"]["user_name"] == "oldtimer"


@pytest.mark.parametrize("remember_me", [True, False])
def test_login_remember_me(app, user, send, remember_me):
    fields = {"login": "alice", "password": PASSWORD, "remember_me": remember_me}
    assert send("/api/auth/login", fields).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AuthSession)).remember is remember_me


# POST /api/auth/logout


def test_logout(app, auth, logged_in_client):
    response = auth.logout()
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["message"] == messages.LOGGED_OUT
    assert body["csrf_token"]
    assert "data" not in body
    assert logged_in_user(logged_in_client) is None
    assert count_rows(app, AuthSession) == 0
    assert count_rows(app, User) == 1


def test_logout_when_logged_out(auth):
    assert_error(auth.logout(), 401, messages.NOT_LOGGED_IN)


def test_logout_twice(auth, logged_in_client):
    assert auth.logout().status_code == 200
    assert_error(auth.logout(), 401, messages.NOT_LOGGED_IN)


def test_logout_ignores_a_body(auth, logged_in_client):
    assert (
        auth.post("/api/auth/logout", data="anything", content_type="text/plain").status_code == 200
    )


# CSRF on every POST

POSTS = {
    "/api/auth/login": {"login": "alice", "password": PASSWORD},
    "/api/auth/signup": SIGNUP_FIELDS,
    "/api/auth/logout": {},
}


@pytest.mark.parametrize("path", POSTS)
def test_post_without_csrf_token(app, logged_in_client, path):
    response = logged_in_client.post(path, data=POSTS[path])
    assert_csrf_failure(response, CSRF_MISSING)
    assert logged_in_user(logged_in_client) == "alice"
    assert count_rows(app, User) == 1


@pytest.mark.parametrize("path", POSTS)
def test_post_with_invalid_csrf_token(app, logged_in_client, path):
    response = logged_in_client.post(path, data=POSTS[path], headers={"X-CSRFToken": "forged"})
    assert_csrf_failure(response, CSRF_INVALID)
    assert logged_in_user(logged_in_client) == "alice"


@pytest.mark.parametrize("path", POSTS)
def test_post_with_json_and_no_csrf_token(client, path):
    response = client.post(path, json=POSTS[path])
    assert_csrf_failure(response, CSRF_MISSING)


@pytest.mark.parametrize("path", POSTS)
def test_post_with_token_of_another_session(app, auth, path):
    token = auth.fetch_token()
    other = app.test_client()
    response = other.post(path, data=POSTS[path], headers={"X-CSRFToken": token})
    assert_csrf_failure(response, CSRF_SESSION_MISSING)
    other.get("/api/auth/csrf")
    response = other.post(path, data=POSTS[path], headers={"X-CSRFToken": token})
    assert_csrf_failure(response, CSRF_MISMATCH)


@pytest.mark.parametrize("referer", [None, "https://elsewhere.example/"])
def test_https_post_needs_no_same_host_referer(app, referer):
    """curl sends no Referer; WTF_CSRF_SSL_STRICT would refuse it over HTTPS."""
    client = app.test_client()
    token = client.get("/api/auth/csrf", base_url="https://localhost").get_json()["csrf_token"]
    headers = {"X-CSRFToken": token, **({"Referer": referer} if referer else {})}
    response = client.post(
        "/api/auth/signup", data=SIGNUP_FIELDS, headers=headers, base_url="https://localhost"
    )
    assert response.status_code == 201


# Body size and type, per endpoint


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/signup"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "text/json"])
def test_fields_in_unsupported_type(app, auth, path, content_type):
    response = auth.post(path, data="login=alice", content_type=content_type)
    assert_error(response, 415, messages.UNSUPPORTED_MEDIA_TYPE)
    assert count_rows(app, User) == 0


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/signup"])
@pytest.mark.parametrize("encoding", ["json", "data"])
def test_body_too_large(app, auth, path, encoding):
    body = {**signup_fields(), "login": "alice", "padding": "x" * (64 * 1024)}
    response = auth.post(path, **{encoding: body})
    assert_error(response, 413, messages.BODY_TOO_LARGE)
    assert count_rows(app, User) == 0


def test_body_just_under_the_limit_is_read(app, auth):
    body = signup_fields(padding="")
    size = len(json.dumps(body).encode())
    body["padding"] = "x" * (app.config["MAX_CONTENT_LENGTH"] - size)
    raw = json.dumps(body)
    assert len(raw.encode()) == app.config["MAX_CONTENT_LENGTH"]
    assert (
        auth.post("/api/auth/signup", data=raw, content_type="application/json").status_code == 201
    )
