"""Recovery codes: their shape, how loosely they may be typed, and the keys of their hashes."""

import hashlib
import hmac
import secrets

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mfa import encryption, recovery_codes
from app.mfa.models import RecoveryCode
from tests.plugins.accounts import add_user
from tests.plugins.databases import make_app

OLD, NEW = secrets.token_hex(32), secrets.token_hex(32)
CODE = "abcdefghjk"


def test_a_code_has_fifty_bits():
    assert len(recovery_codes.ALPHABET) ** recovery_codes.LENGTH == 2**50


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("abcde-fghjk", "abcdefghjk"),
        ("ABCDE FGHJK", "abcdefghjk"),
        ("  abcdefghjk ", "abcdefghjk"),
        ("0O1il-23456", "0011123456"),
    ],
)
def test_a_code_is_read_as_typed(typed, stored):
    assert recovery_codes.normalise(typed) == stored


@pytest.mark.parametrize("typed", ["", "abcde", "abcde-fghjk-m", "abcde-fghju", "abcde_fghjk"])
def test_anything_else_is_no_code(typed):
    assert recovery_codes.normalise(typed) is None


# Their keys


def stored_code(app, user_id, code_hash):
    with app.app_context():
        db.session.add(RecoveryCode(user_id=user_id, code_hash=code_hash))
        db.session.commit()


def used(app, user_id, code):
    with app.app_context():
        done = recovery_codes.use(user_id, code)
        db.session.commit()
        return done


@pytest.mark.parametrize("mfa_key", [OLD, f"{NEW},{OLD}"], ids=["old", "new-and-old"])
def test_a_code_hashed_before_the_keys_were_kept_still_works(database_url, mfa_key):
    """A code made by an earlier version, its hash keyed straight from MFA_KEY (or from the
    key before it, mid-rotation): the first need makes the row from those very keys."""
    app = make_app(database_url, MFA_KEY=mfa_key)
    user_id = add_user(app).id
    with app.app_context():
        old_key = encryption.derived_keys(encryption.CODE_HASH)[-1]
    stored_code(app, user_id, hmac.new(old_key, CODE.encode(), hashlib.sha256).hexdigest())
    assert used(app, user_id, recovery_codes.shown(CODE))
    assert not used(app, user_id, recovery_codes.shown(CODE))


def test_new_codes_are_hashed_under_the_first_kept_key(app):
    user_id = add_user(app).id
    with app.app_context():
        codes = recovery_codes.replace_all(user_id)
        db.session.commit()
        first = recovery_codes.keys()[0]
        stored = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert stored == {
        hmac.new(first, recovery_codes.normalise(code).encode(), hashlib.sha256).hexdigest()
        for code in codes
    }


def test_the_keys_do_not_follow_mfa_key_once_kept(database_url):
    with make_app(database_url, MFA_KEY=OLD).app_context():
        kept = recovery_codes.keys()
        db.session.commit()
    rotating = make_app(database_url, MFA_KEY=f"{NEW},{OLD}")
    with rotating.app_context():
        assert recovery_codes.keys() == kept
        assert encryption.derived_keys(encryption.CODE_HASH)[0] not in kept


def test_keys_no_key_of_mfa_key_opens_refuse_every_code_and_say_so(database_url, caplog):
    app = make_app(database_url, MFA_KEY=OLD)
    user_id = add_user(app).id
    with app.app_context():
        [code, *_] = recovery_codes.replace_all(user_id)
        db.session.commit()
    assert not used(make_app(database_url, MFA_KEY=NEW), user_id, code)
    assert "The recovery codes' keys open under no key of MFA_KEY" in caplog.text
    assert used(app, user_id, code)
