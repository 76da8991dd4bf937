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


def test_recovery_code_hashes_are_keyed(database_url):
    with make_app(database_url, MFA_KEY=OLD).app_context():
        under_old = encryption.code_hashes("0123456789")
    with make_app(database_url, MFA_KEY=f"{NEW},{OLD}").app_context():
        both = encryption.code_hashes("0123456789")
    assert both[1] == under_old[0] != both[0]
