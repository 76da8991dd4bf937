"""The app's own keys (``app.mfa.sealed_keys``): made once, sealed under MFA_KEY, the same for
every worker, resealed by a rotation, and opened once per app."""

import secrets
import threading
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mfa import encryption, sealed_keys
from app.mfa.models import SealedKey
from tests.helpers import count_rows
from tests.plugins.databases import make_app

OLD, NEW = secrets.token_hex(32), secrets.token_hex(32)
PURPOSE = "test"
FIRST, SECOND = [b"1" * 32, b"2" * 32], [b"3" * 32]


def stored(app):
    with app.app_context():
        return db.session.scalar(select(SealedKey.sealed).where(SealedKey.purpose == PURPOSE))


def keys_of(app, initial=lambda: FIRST):
    with app.app_context():
        keys = sealed_keys.keys(PURPOSE, initial)
        db.session.commit()
        return keys


def test_the_row_is_made_on_first_need_and_sealed(database_url):
    app = make_app(database_url, MFA_KEY=OLD)
    assert keys_of(app) == FIRST
    sealed = stored(app)
    assert all(key.decode() not in sealed for key in FIRST)
    # Later needs read the row: what ``initial`` would give now does not matter.
    assert keys_of(app, lambda: SECOND) == FIRST
    assert count_rows(app, SealedKey) == 1


def test_the_row_opens_only_under_a_key_of_mfa_key(database_url):
    assert keys_of(make_app(database_url, MFA_KEY=OLD)) == FIRST
    with pytest.raises(encryption.InvalidToken):
        keys_of(make_app(database_url, MFA_KEY=NEW))


def test_a_rolled_back_row_is_not_kept(database_url):
    app = make_app(database_url, MFA_KEY=OLD)
    with app.app_context():
        assert sealed_keys.keys(PURPOSE, lambda: FIRST) == FIRST
        db.session.rollback()
    assert stored(app) is None
    assert keys_of(app, lambda: SECOND) == SECOND


def test_two_workers_making_the_row_at_once_agree_on_it(database_url):
    """The second insert waits for the first to commit, then does nothing, and reads it."""
    first, second = make_app(database_url, MFA_KEY=OLD), make_app(database_url, MFA_KEY=OLD)
    inserted, release = threading.Event(), threading.Event()
    got, errors = {}, []

    def work(app, name, initial, hold):
        try:
            with app.app_context():
                got[name] = sealed_keys.keys(PURPOSE, initial)
                if hold:
                    inserted.set()
                    release.wait(10)
                db.session.commit()
        except Exception as exc:  # reported by the main thread
            errors.append(exc)
            inserted.set()

    holder = threading.Thread(target=work, args=(first, "first", lambda: FIRST, True))
    holder.start()
    assert inserted.wait(10)
    waiter = threading.Thread(target=work, args=(second, "second", lambda: SECOND, False))
    waiter.start()
    # The second one is now blocked on the first one's uncommitted row.
    time.sleep(0.3)
    assert "second" not in got
    release.set()
    holder.join(10)
    waiter.join(10)
    assert errors == []
    assert got == {"first": FIRST, "second": FIRST}
    assert count_rows(first, SealedKey) == 1


def test_reseal_all_seals_the_same_keys_under_the_newest_key(database_url):
    assert keys_of(make_app(database_url, MFA_KEY=OLD)) == FIRST
    rotating = make_app(database_url, MFA_KEY=f"{NEW},{OLD}")
    with rotating.app_context():
        assert sealed_keys.reseal_all() == 1
        db.session.commit()
    assert keys_of(make_app(database_url, MFA_KEY=NEW)) == FIRST


def test_a_use_after_the_first_costs_one_select_and_no_unsealing(app, statements, monkeypatch):
    assert keys_of(app) == FIRST
    opened = []
    unseal = encryption.unseal
    monkeypatch.setattr(encryption, "unseal", lambda sealed: opened.append(1) or unseal(sealed))
    statements.clear()
    assert keys_of(app) == FIRST
    assert opened == []
    [statement] = [s for s in statements if "sealed_key" in s]
    assert statement.upper().startswith("SELECT")


def test_a_resealed_row_is_opened_again(database_url):
    app = make_app(database_url, MFA_KEY=f"{NEW},{OLD}")
    assert keys_of(app) == FIRST
    before = stored(app)
    with app.app_context():
        sealed_keys.reseal_all()
        db.session.commit()
    assert stored(app) != before
    assert keys_of(app) == FIRST
