"""The second factor's keys: sealed secrets open under every listed key, and only those."""

import secrets

import pytest

from app.mfa import encryption
from tests.plugins.databases import make_app

OLD, NEW = secrets.token_hex(32), secrets.token_hex(32)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def sealed_under(database_url, mfa_key):
    with make_app(database_url, MFA_KEY=mfa_key).app_context():
        return encryption.seal(SECRET)


def opened_with(database_url, mfa_key, sealed):
    with make_app(database_url, MFA_KEY=mfa_key).app_context():
        return encryption.unseal(sealed)


def test_a_sealed_secret_is_not_the_secret_and_opens_again(database_url):
    sealed = sealed_under(database_url, OLD)
    assert "JBSWY3DP" not in sealed
    assert opened_with(database_url, OLD, sealed) == SECRET


def test_sealing_twice_gives_two_different_texts(app):
    with app.app_context():
        assert encryption.seal("A" * 32) != encryption.seal("A" * 32)


def test_an_old_key_listed_second_still_opens(database_url):
    sealed = sealed_under(database_url, OLD)
    assert opened_with(database_url, f"{NEW},{OLD}", sealed) == SECRET


def test_another_key_cannot_open_it(database_url):
    sealed = sealed_under(database_url, OLD)
    with pytest.raises(encryption.InvalidToken):
        opened_with(database_url, NEW, sealed)


def test_without_mfa_key_the_secret_key_is_used(database_url):
    key = secrets.token_hex(32)
    with make_app(database_url, SECRET_KEY=key).app_context():
        sealed = encryption.seal("B" * 32)
    with make_app(database_url, MFA_KEY=key).app_context():
        # The same source gives the same derived key, whichever setting names it.
        assert encryption.unseal(sealed) == "B" * 32


def test_without_mfa_key_the_fallbacks_of_the_secret_key_open_too(database_url):
    old = secrets.token_hex(32)
    with make_app(database_url, SECRET_KEY=old).app_context():
        sealed = encryption.seal("C" * 32)
    new_key = make_app(database_url, SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[old])
    with new_key.app_context():
        assert encryption.unseal(sealed) == "C" * 32
        # New secrets are sealed under the new key alone.
        resealed = encryption.reseal(sealed)
    with make_app(database_url, SECRET_KEY=NEW).app_context():
        assert encryption.unseal(resealed) == "C" * 32
        with pytest.raises(encryption.InvalidToken):
            encryption.unseal(sealed)


def test_mfa_key_wins_over_the_secret_key_and_its_fallbacks(database_url):
    with make_app(database_url, SECRET_KEY=OLD).app_context():
        sealed = encryption.seal("D" * 32)
    with make_app(database_url, SECRET_KEY=OLD, MFA_KEY=NEW).app_context():
        assert encryption.sources() == [NEW]
        with pytest.raises(encryption.InvalidToken):
            encryption.unseal(sealed)


def test_each_source_derives_its_own_key_for_each_purpose(database_url):
    with make_app(database_url, MFA_KEY=f"{NEW},{OLD}").app_context():
        both = encryption.derived_keys(encryption.CODE_HASH)
        assert len(set(both)) == 2
        assert set(both).isdisjoint(encryption.derived_keys(encryption.SEAL))
    with make_app(database_url, MFA_KEY=OLD).app_context():
        assert encryption.derived_keys(encryption.CODE_HASH) == both[1:]
