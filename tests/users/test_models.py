"""The User model: case-insensitive unique keys in the database, authentication, the public view."""

import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.common.time import as_utc
from app.extensions import db
from app.users import constants
from app.users.keys import email_key, user_name_key
from app.users.models import User
from tests.helpers import PASSWORD, count_rows


def new_user(user_name="alice", email="alice@example.com", **extra):
    fields = {"first_name": "Alice", "last_name": "Liddell", "password": PASSWORD, **extra}
    return User(user_name=user_name, email=email, **fields)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def alice(ctx):
    user = new_user()
    db.session.add(user)
    db.session.commit()
    return user


# Uniqueness ignoring case, enforced by the database


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"user_name": "alice"}, {"user_name": "ALICE", "email": "other@example.com"}),
        ({"user_name": "Alice"}, {"user_name": "aLIce ", "email": "other@example.com"}),
        ({"email": "alice@example.com"}, {"user_name": "bobby", "email": "ALICE@EXAMPLE.COM"}),
        ({"email": "Alice@Example.com"}, {"user_name": "bobby", "email": "alice@example.COM"}),
    ],
)
def test_database_refuses_names_that_differ_only_in_case(app, ctx, first, second):
    db.session.add(new_user(**first))
    db.session.commit()
    db.session.add(new_user(**second))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert count_rows(app, User) == 1


def test_database_refuses_case_twins_in_one_flush(ctx):
    db.session.add_all([new_user("Bobby", "b1@example.com"), new_user("bobby", "b2@example.com")])
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_unique_keys_are_unique_constraints(app):
    indexes = {
        constraint.name: [column.name for column in constraint.columns]
        for constraint in User.__table__.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    }
    assert indexes == {
        "uq_user_user_name_key": ["user_name_key"],
        "uq_user_email_key": ["email_key"],
        # Not a login key: the random WebAuthn user handle of a user with passkeys.
        "uq_user_passkey_handle": ["passkey_handle"],
    }


def test_keys_ignore_letter_case(alice):
    assert alice.user_name_key == "alice"
    assert alice.email_key == "alice@example.com"
    alice.user_name = "ALICE"
    alice.email = "ALICE@Example.COM"
    assert alice.user_name_key == "alice"
    assert alice.email_key == "alice@example.com"


@pytest.mark.parametrize(
    ("value", "key"),
    [("Alice", "alice"), ("  ALICE ", "alice"), ("Stra\u00dfe", "strasse")],
)
def test_user_name_key(value, key):
    assert user_name_key(value) == key


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("Alice@Example.COM", "alice@example.com"),
        (" alice@example.com ", "alice@example.com"),
        ("not an email", "not an email"),
        # Lower-cased, never case-folded: these are other mailboxes than "ss" and "ff".
        ("Stra\u00dfe@example.com", "stra\u00dfe@example.com"),
        ("STRA\u1e9eE@example.com", "stra\u00dfe@example.com"),
        ("E\ufb00ort@example.com", "e\ufb00ort@example.com"),
        # Upper-cased, U+0390 is three code points; the key composes them again.
        ("\u0390@example.com".upper(), "\u0390@example.com"),
    ],
)
def test_email_key(value, key):
    assert email_key(value) == key


def test_no_character_grows_past_its_utf8_length_when_lower_cased():
    """So a key never outgrows the 254 bytes that email-validator allows an address."""
    for code_point in range(sys.maxunicode + 1):
        if 0xD800 <= code_point <= 0xDFFF:
            continue
        char = chr(code_point)
        assert len(char.lower()) <= len(char.encode()), hex(code_point)


def test_is_user_name_taken_ignores_case(alice):
    assert User.is_user_name_taken("alice") is True
    assert User.is_user_name_taken("ALICE") is True
    assert User.is_user_name_taken(" Alice ") is True
    assert User.is_user_name_taken("alicia") is False


def test_is_email_taken_ignores_case(alice):
    assert User.is_email_taken("alice@example.com") is True
    assert User.is_email_taken("ALICE@EXAMPLE.COM") is True
    assert User.is_email_taken("alice@example.org") is False


# Authentication


@pytest.mark.parametrize(
    "login", ["alice", "ALICE", " alice ", "alice@example.com", "Alice@EXAMPLE.com"]
)
def test_authenticate_by_user_name_or_email(alice, login):
    user, ok = User.authenticate(login, PASSWORD)
    assert ok is True
    assert user.id == alice.id


def test_authenticate_wrong_password(alice):
    user, ok = User.authenticate("alice", "not the password")
    assert ok is False
    assert user.id == alice.id


@pytest.mark.parametrize("login", ["nobody", "nobody@example.com", ""])
def test_authenticate_unknown_login(alice, login):
    assert User.authenticate(login, PASSWORD) == (None, False)


def test_authenticate_leaves_no_transaction_open(alice):
    User.authenticate("alice", PASSWORD)
    assert not db.session().in_transaction()


def test_find_by_login(alice):
    assert User.find_by_login("ALICE") is alice
    assert User.find_by_login("alice@example.com") is alice
    assert User.find_by_login("nobody") is None


def test_check_password(alice):
    assert alice.check_password(PASSWORD) is True
    assert alice.check_password(PASSWORD.upper()) is False
    assert alice.check_password("") is False


def test_check_password_without_a_hash(ctx):
    user = User(user_name="ghost", email="ghost@example.com", first_name="G", last_name="H")
    assert user.check_password("") is False
    assert user.check_password("anything") is False


def test_password_property_is_the_hash(alice):
    assert alice.password.startswith("$argon2id$")
    assert PASSWORD not in alice.password
    stored = db.session.execute(select(User.__table__.c.password)).scalar_one()
    assert stored == alice.password


# The public view


def test_repr(alice):
    assert repr(alice) == "<User 'alice'>"
    assert alice.password not in repr(alice)


def test_to_json(alice):
    assert alice.to_json() == {
        "id": alice.id,
        "user_name": "alice",
        "email": "alice@example.com",
        "first_name": "Alice",
        "last_name": "Liddell",
        "role": "user",
        "created_on": alice.created_on.replace(microsecond=0, tzinfo=None).isoformat() + "Z",
        "email_confirmed": False,
    }


def test_to_json_holds_no_secret(alice):
    text = str(alice.to_json())
    assert alice.password not in text
    assert "argon2" not in text
    assert "password" not in alice.to_json()
    assert "key" not in "".join(alice.to_json())


def test_created_on_is_aware_utc(alice):
    assert alice.created_on.tzinfo is not None
    assert alice.created_on.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - alice.created_on).total_seconds()) < 60


def test_created_on_reloaded_from_the_database_serialises_the_same(alice):
    before = alice.to_json()["created_on"]
    db.session.expunge_all()
    reloaded = db.session.get(User, alice.id)
    assert reloaded is not alice
    assert reloaded.to_json()["created_on"] == before
    assert as_utc(reloaded.created_on) == alice.created_on


def test_created_on_is_set_per_row(ctx):
    first = new_user()
    db.session.add(first)
    db.session.commit()
    second = new_user("bobby", "bob@example.com")
    db.session.add(second)
    db.session.commit()
    assert second.created_on > first.created_on


def test_created_on_serialises_with_z(ctx):
    moment = datetime(2026, 11, 28, 21, 38, 42, 123456, tzinfo=UTC)
    user = new_user(created_on=moment, role_code=constants.USER)
    assert user.to_json()["created_on"] == "2026-11-28T21:38:42Z"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (constants.ADMIN, "admin"),
        (constants.STAFF, "staff"),
        (constants.USER, "user"),
        (constants.TEST, "test"),
    ],
)
def test_role_by_name(ctx, code, name):
    user = new_user(role_code=code)
    db.session.add(user)
    db.session.commit()
    assert user.role == name
    assert user.to_json()["role"] == name


def test_role_constants_are_the_tutorials():
    assert (constants.ADMIN, constants.STAFF, constants.USER, constants.TEST) == (0, 1, 2, 3)
    assert constants.ROLE_BY_NAME == {"admin": 0, "staff": 1, "user": 2, "test": 3}


def test_default_role_is_user(alice):
    assert alice.role_code == constants.USER
    assert alice.role == "user"


def test_default_role_is_known_before_the_first_flush(ctx):
    user = User(user_name="bob1", first_name="Bob", last_name="B", email="b@example.com")
    assert user.role == "user"


def test_columns_are_wide_enough(alice):
    """PostgreSQL enforces widths: an argon2id hash and a 254-character email must fit."""
    columns = User.__table__.c
    assert columns.email.type.length >= constants.MAX_EMAIL_LEN
    assert columns.email_key.type.length >= constants.MAX_EMAIL_LEN
    assert columns.user_name.type.length >= constants.MAX_USERNAME_LEN
    assert columns.first_name.type.length >= constants.MAX_NAME_LEN
    assert columns.password.type.length >= len(alice.password)
