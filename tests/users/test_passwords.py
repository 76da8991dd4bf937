"""Password hashing: argon2id over NFKC, with the app's parameters, rehashed when they change."""

import secrets

import pytest
from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type, extract_parameters
from sqlalchemy import select, update

from app.config import Config, DevelopmentConfig, ProductionConfig, TestingConfig
from app.extensions import db
from app.users import passwords as password_module
from app.users.models import User
from app.users.passwords import normalize, passwords
from tests.helpers import PASSWORD, AuthActions, use_production
from tests.plugins.accounts import add_user
from tests.plugins.databases import make_app

# A strong password and its fullwidth form (U+FF01 to U+FF5E), which NFKC maps back to it.
ASCII_FORM = "Kx9#mQ2!vLp7-Rw4"
FULLWIDTH = (
    "\uff2b\uff58\uff19\uff03\uff4d\uff31\uff12\uff01"
    "\uff56\uff2c\uff50\uff17\uff0d\uff32\uff57\uff14"
)
# OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
OWASP_MEMORY_KIB = 19 * 1024
OWASP_TIME_COST = 2


def stored_hash(app):
    with app.app_context():
        return db.session.scalar(select(User.__table__.c.password))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


# The hash


def test_hash_is_argon2id_with_the_app_parameters(app, ctx):
    hashed = passwords.hash(PASSWORD)
    assert hashed.startswith("$argon2id$")
    parameters = extract_parameters(hashed)
    assert parameters.time_cost == app.config["ARGON2_TIME_COST"]
    assert parameters.memory_cost == app.config["ARGON2_MEMORY_COST"]
    assert parameters.parallelism == app.config["ARGON2_PARALLELISM"]


def test_hash_is_salted(ctx):
    assert passwords.hash(PASSWORD) != passwords.hash(PASSWORD)


def test_verify(ctx):
    hashed = passwords.hash(PASSWORD)
    assert passwords.verify(hashed, PASSWORD) is True
    assert passwords.verify(hashed, PASSWORD + "x") is False
    assert passwords.verify(hashed, PASSWORD[:-1]) is False


@pytest.mark.parametrize(
    "stored", ["", "not a hash", "$argon2id$v=19$m=64,t=1,p=1$broken", "pbkdf2:sha1:1000$ab$cd"]
)
def test_malformed_hash_is_a_mismatch(ctx, stored):
    assert passwords.verify(stored, PASSWORD) is False
    assert passwords.needs_rehash(stored) is True


def test_dummy_verify_is_always_false(ctx):
    assert passwords.dummy_verify(PASSWORD) is False
    assert passwords.dummy_verify("dummy password used for timing equalisation") is False


def test_dummy_hash_uses_the_app_parameters(app, ctx):
    dummy = app.extensions["passwords"].dummy_hash
    assert passwords.needs_rehash(dummy) is False
    assert extract_parameters(dummy) == extract_parameters(passwords.hash(PASSWORD))


def test_each_app_keeps_its_own_parameters(app, database_url):
    other = make_app(database_url, ARGON2_TIME_COST=3)
    with app.app_context():
        cheap = passwords.hash(PASSWORD)
    with other.app_context():
        dearer = passwords.hash(PASSWORD)
        assert passwords.verify(cheap, PASSWORD) is True
        db.engine.dispose()
    assert extract_parameters(cheap).time_cost == app.config["ARGON2_TIME_COST"]
    assert extract_parameters(dearer).time_cost == 3


# NFKC


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        (FULLWIDTH, ASCII_FORM),
        ("\ufb03", "ffi"),
        ("\u00bd", "1\u20442"),
        ("e\u0301", "\u00e9"),
        ("\u212b", "\u00c5"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_normalize_is_nfkc(typed, normal):
    assert normalize(typed) == normal


def test_verify_normalises(ctx):
    hashed = passwords.hash(FULLWIDTH)
    assert passwords.verify(hashed, ASCII_FORM) is True
    assert passwords.verify(passwords.hash("caf\u00e9 au lait"), "cafe\u0301 au lait") is True


def test_fullwidth_signup_ascii_login(app, auth):
    assert auth.signup(password=FULLWIDTH).status_code == 201
    auth.logout()
    assert auth.login(password=ASCII_FORM).status_code == 200
    auth.logout()
    assert auth.login(password=FULLWIDTH).status_code == 200


@pytest.mark.parametrize(
    "use",
    [
        lambda stored: passwords.hash(PASSWORD),
        lambda stored: passwords.verify(stored, PASSWORD),
        lambda stored: passwords.dummy_verify(PASSWORD),
    ],
    ids=["hash", "verify", "dummy_verify"],
)
def test_no_hash_runs_inside_an_open_transaction(app, ctx, use):
    """The hasher touches no database: a flow that left its transaction open is told, and
    nothing of it is committed behind its back."""
    add_user(app, "bob")
    stored = db.session.scalar(select(User._password).where(User.user_name == "bob"))
    db.session.execute(update(User).values(first_name="Changed"))
    with pytest.raises(password_module.HashInTransaction):
        use(stored)
    db.session.rollback()
    assert db.session.scalar(select(User.first_name)) != "Changed"
    db.session.commit()
    use(stored)


def test_model_hashes_the_normal_form(ctx):
    user = User(user_name="alice", email="a@example.com", first_name="A", last_name="L")
    user.password = FULLWIDTH
    assert user.check_password(ASCII_FORM) is True


# Rehash at login when the parameters changed


def login_on(app, password=PASSWORD):
    return AuthActions(app.test_client()).login(password=password)


def test_login_rehashes_when_parameters_changed(app, user, database_url):
    old = stored_hash(app)
    stronger = make_app(database_url, ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=128)
    assert login_on(stronger).status_code == 200
    new = stored_hash(app)
    assert new != old
    parameters = extract_parameters(new)
    assert (parameters.time_cost, parameters.memory_cost) == (2, 128)
    with stronger.app_context():
        assert passwords.verify(new, PASSWORD) is True
        db.engine.dispose()
    assert login_on(app).status_code == 200


def test_login_does_not_rehash_when_parameters_are_the_same(app, auth, user):
    old = stored_hash(app)
    assert auth.login().status_code == 200
    assert stored_hash(app) == old


def test_failed_login_does_not_rehash(app, user, database_url):
    old = stored_hash(app)
    stronger = make_app(database_url, ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=128)
    assert login_on(stronger, password="wrong password").status_code == 401
    assert stored_hash(app) == old
    with stronger.app_context():
        db.engine.dispose()


def test_login_rehashes_a_weaker_hash_downwards_too(app, database_url):
    """Any change of parameters counts, so an operator can also tune them down."""
    dear = make_app(database_url, ARGON2_TIME_COST=3, ARGON2_MEMORY_COST=256)
    add_user(dear)
    assert login_on(app).status_code == 200
    assert extract_parameters(stored_hash(app)).time_cost == app.config["ARGON2_TIME_COST"]
    with dear.app_context():
        db.engine.dispose()


# Parameters per configuration


@pytest.mark.parametrize("config", [Config, DevelopmentConfig, ProductionConfig])
def test_real_configs_meet_the_owasp_minimum(config):
    assert config.ARGON2_MEMORY_COST >= OWASP_MEMORY_KIB
    assert config.ARGON2_TIME_COST >= OWASP_TIME_COST
    assert config.ARGON2_PARALLELISM >= 1


def test_testing_config_is_cheap_but_still_argon2id(app, ctx):
    assert TestingConfig.ARGON2_MEMORY_COST < OWASP_MEMORY_KIB
    assert passwords.hash(PASSWORD).startswith("$argon2id$")


def test_production_app_hashes_at_the_owasp_minimum(database_url, monkeypatch):
    use_production(monkeypatch)
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    app = make_app(database_url)
    with app.app_context():
        parameters = extract_parameters(passwords.hash(PASSWORD))
        db.engine.dispose()
    assert parameters.memory_cost >= OWASP_MEMORY_KIB
    assert parameters.time_cost >= OWASP_TIME_COST
    assert parameters.parallelism >= 1


# Padding: a hash made before the parameters were raised costs the current price to check


def hash_with(time_cost, memory_cost):
    return Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1).hash(PASSWORD)


@pytest.fixture
def raised(database_url):
    """An app at t=2, m=512 KiB, in its context."""
    app = make_app(database_url, ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=512)
    with app.app_context():
        yield app.extensions["passwords"]


@pytest.mark.parametrize(
    ("stored", "padding"),
    [
        ((2, 128), (2, 384)),
        ((1, 512), (2, 256)),
        ((1, 256), (2, 384)),
    ],
)
def test_an_older_hash_is_padded_up_to_the_current_cost(raised, stored, padding):
    assert raised.padding_for(hash_with(*stored)) == padding
    time_cost, memory_cost = stored
    padding_time, padding_memory = padding
    assert time_cost * memory_cost + padding_time * padding_memory == 2 * 512


@pytest.mark.parametrize("stored", [(2, 512), (2, 500), (3, 512), (2, 1024)])
def test_a_hash_at_or_near_the_current_cost_is_not_padded(raised, stored):
    assert raised.padding_for(hash_with(*stored)) is None


@pytest.mark.parametrize("stored", ["", "not a hash", "pbkdf2:sha1:1000$ab$cd"])
def test_a_malformed_hash_is_not_padded(raised, stored):
    assert raised.padding_for(stored) is None


def spy(monkeypatch, owner, name):
    """The calls of ``owner.name`` from now on, each still made."""
    calls = []
    real = getattr(owner, name)

    def record(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, record)
    return calls


def test_checking_an_older_hash_also_runs_its_padding(raised, monkeypatch):
    stored = hash_with(2, 128)
    checked = spy(monkeypatch, passwords, "_check")
    padded = spy(monkeypatch, raised, "pad")
    assert passwords.verify(stored, PASSWORD) is True
    assert [args[1] for args, _ in checked] == [stored]
    assert [args[0] for args, _ in padded] == [(2, 384)]
    checked.clear()
    padded.clear()
    current = passwords.hash(PASSWORD)
    assert passwords.verify(current, "wrong") is False
    assert [args[1] for args, _ in checked] == [current]
    assert padded == []


def test_the_padding_costs_what_checking_its_parameters_does(raised, monkeypatch):
    """One argon2id run of the padding's passes and memory, in the app's lanes."""
    runs = spy(monkeypatch, password_module, "hash_secret_raw")
    raised.pad((2, 384), PASSWORD)
    [(_args, options)] = runs
    assert (options["time_cost"], options["memory_cost"], options["parallelism"]) == (2, 384, 1)
    assert options["type"] is Type.ID


def test_no_hash_is_made_when_the_app_first_meets_an_older_hash(raised, monkeypatch):
    """The first login of a dormant account costs what every later one does: its check and the
    padding run, with nothing made for its parameters then (which would be a hash more)."""
    stored = [hash_with(2, 128), hash_with(1, 512)]
    made = spy(monkeypatch, Argon2Hasher, "hash")
    for _ in range(2):
        for older in stored:
            assert passwords.verify(older, "wrong") is False
    assert made == []


def test_the_dummy_hash_is_made_when_the_app_starts(database_url, monkeypatch):
    made = spy(monkeypatch, Argon2Hasher, "hash")
    app = make_app(database_url, ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=512)
    assert len(made) == 1
    with app.app_context():
        assert passwords.dummy_verify(PASSWORD) is False
        assert passwords.verify(hash_with(2, 128), PASSWORD) is True
    # Only hash_with's own hash: neither an unknown login nor a dormant account made one.
    assert len(made) == 2
