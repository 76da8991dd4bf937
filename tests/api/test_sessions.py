"""GET /api/auth/sessions, DELETE /api/auth/sessions/<id>, POST /api/auth/logout_all, expiry."""

import re
import secrets
from datetime import timedelta

import pytest
from limits import parse
from sqlalchemy import select, update

from app.common import messages
from app.common.time import as_utc, isoformat, utcnow
from app.extensions import db
from app.sessions.models import AuthSession, hash_token
from tests.helpers import (
    CSRF_MISMATCH,
    CSRF_MISSING,
    PASSWORD,
    AuthActions,
    age,
    assert_csrf_failure,
    assert_error,
    session_cookie,
)
from tests.plugins.accounts import add_user

SESSIONS = "/api/auth/sessions"
LOGOUT_ALL = "/api/auth/logout_all"
VERIFY = "/api/auth/verify_auth"
SESSION_KEYS = {"id", "created_at", "last_seen_at", "ip", "user_agent", "remember", "current"}
TIMESTAMP = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
POSITIVE = re.compile(r"\A[1-9][0-9]*\Z")


class Device:
    """One browser or API client of a user: its own cookie jar and CSRF token."""

    def __init__(self, app, ip="198.51.100.1", user_agent="TestAgent/1.0"):
        self.app = app
        self.client = app.test_client()
        self.client.environ_base.update(REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)
        self.auth = AuthActions(self.client)

    def login(self, login="alice", remember_me=False):
        assert self.auth.login(login, remember_me=remember_me).status_code == 200
        return self

    @property
    def sid(self):
        return session_cookie(self.app, self.client)["sid"]

    @property
    def public_id(self):
        """The public id of the record behind this device's cookie."""
        with self.app.app_context():
            return db.session.scalar(
                select(AuthSession.public_id).where(AuthSession.token_hash == hash_token(self.sid))
            )

    def sessions(self):
        response = self.client.get(SESSIONS)
        assert response.status_code == 200
        return response.get_json()["data"]

    def delete(self, public_id, token=True):
        headers = {"X-CSRFToken": self.auth.token} if token else {}
        response = self.client.delete(f"{SESSIONS}/{public_id}", headers=headers)
        body = response.get_json(silent=True) or {}
        if body.get("csrf_token"):
            self.auth.token = body["csrf_token"]
        return response

    def logout_all(self):
        return self.auth.post(LOGOUT_ALL)

    def verify(self):
        return self.client.get(VERIFY).status_code

    def cookie(self):
        return self.client.get_cookie(self.app.config["SESSION_COOKIE_NAME"]).value

    def replay(self, value):
        """Another client holding a copy of ``value``, a session cookie."""
        other = self.app.test_client()
        other.set_cookie(self.app.config["SESSION_COOKIE_NAME"], value)
        return other


def records(app, **where):
    with app.app_context():
        query = select(AuthSession).filter_by(**where).order_by(AuthSession.id)
        return db.session.scalars(query).all()


def record(app, public_id):
    (found,) = records(app, public_id=public_id)
    return found


@pytest.fixture
def alice(app, user):
    """Alice (``user``), logged in on her first device: the one session of her account, from
    an address and a user agent of its own."""
    return Device(app, ip="203.0.113.7", user_agent="Mozilla/5.0 (alice)").login(user.user_name)


@pytest.fixture
def bob(app):
    """Bob, another account, logged in on a device of his own."""
    account = add_user(app, "bobby", email="bob@example.com")
    return Device(app, ip="192.0.2.9").login(account.user_name)


# GET /api/auth/sessions


def test_list_needs_login(client):
    assert_error(client.get(SESSIONS), 401, messages.NOT_LOGGED_IN)


def test_list_after_logout_is_401(alice):
    assert alice.auth.logout().status_code == 200
    assert_error(alice.client.get(SESSIONS), 401, messages.NOT_LOGGED_IN)


def test_list_has_exactly_the_contract_keys(app, alice):
    response = alice.client.get(SESSIONS)
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["message"] == messages.SESSIONS_LISTED
    (item,) = body["data"]
    assert set(item) == SESSION_KEYS
    assert TIMESTAMP.match(item["created_at"])
    assert TIMESTAMP.match(item["last_seen_at"])
    assert item["ip"] == "203.0.113.7"
    assert item["user_agent"] == "Mozilla/5.0 (alice)"
    assert item["remember"] is False
    assert item["current"] is True
    stored = record(app, item["id"])
    assert item["created_at"] == isoformat(stored.created_at)
    assert item["last_seen_at"] == isoformat(stored.last_seen_at)


def test_list_id_is_neither_the_token_nor_its_hash(app, alice):
    sid = alice.sid
    (stored,) = records(app)
    assert stored.token_hash == hash_token(sid)
    response = alice.client.get(SESSIONS)
    (item,) = response.get_json()["data"]
    assert item["id"] == stored.public_id
    assert item["id"] not in {sid, stored.token_hash}
    text = response.get_data(as_text=True)
    assert sid not in text
    assert stored.token_hash not in text


def test_list_shows_only_the_users_own_live_sessions(app, alice, bob):
    phone = Device(app, ip="203.0.113.8", user_agent="Phone/2.0").login(remember_me=True)
    laptop = Device(app).login()
    mine = {alice.public_id, phone.public_id, laptop.public_id}

    listed = phone.sessions()
    assert {item["id"] for item in listed} == mine
    assert bob.public_id not in {item["id"] for item in listed}
    assert [item["id"] for item in listed if item["current"]] == [phone.public_id]
    by_id = {item["id"]: item for item in listed}
    assert by_id[phone.public_id]["remember"] is True
    assert by_id[phone.public_id]["user_agent"] == "Phone/2.0"
    assert by_id[phone.public_id]["ip"] == "203.0.113.8"
    assert by_id[laptop.public_id]["remember"] is False

    assert [item["id"] for item in bob.sessions()] == [bob.public_id]
    assert [item["current"] for item in bob.sessions()] == [True]


def test_each_device_sees_itself_as_current(app, alice):
    other = Device(app).login()
    assert [item["id"] for item in alice.sessions() if item["current"]] == [alice.public_id]
    assert [item["id"] for item in other.sessions() if item["current"]] == [other.public_id]


@pytest.mark.parametrize(
    ("remember", "created", "seen"),
    [
        (False, timedelta(hours=2), timedelta(hours=1, minutes=1)),
        (False, timedelta(hours=12, minutes=1), timedelta(minutes=2)),
        (True, timedelta(days=30, minutes=1), timedelta(minutes=2)),
    ],
    ids=["idle", "absolute", "remember-me lifetime"],
)
def test_list_leaves_out_expired_records(app, alice, remember, created, seen):
    expired = Device(app).login(remember_me=remember)
    kept = Device(app).login(remember_me=True)
    age(app, kept.public_id, created=timedelta(days=29), seen=timedelta(days=20))
    age(app, expired.public_id, created=created, seen=seen)
    listed = {item["id"] for item in alice.sessions()}
    assert listed == {alice.public_id, kept.public_id}


# DELETE /api/auth/sessions/<id>


@pytest.mark.parametrize("remember", [False, True])
def test_delete_ends_another_session(app, alice, remember):
    other = Device(app).login(remember_me=remember)
    token, cookie = alice.auth.token, alice.cookie()
    response = alice.delete(other.public_id)
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": messages.SESSION_ENDED}
    assert_error(other.client.get(VERIFY), 401, messages.NOT_LOGGED_IN)
    assert records(app, public_id=other.public_id) == []
    # This device goes on untouched: same cookie, same token.
    assert alice.verify() == 200
    assert alice.cookie() == cookie
    assert alice.auth.token == token
    assert [item["id"] for item in alice.sessions()] == [alice.public_id]


@pytest.mark.parametrize(
    "public_id",
    [
        "nope",
        secrets.token_urlsafe(16),
        "x" * 2000,
        "%C3%A9t%C3%A9",
        "%00",
        "..",
        "1",
    ],
    # Every worker of a parallel run must give each case the same name.
    ids=["nope", "random", "long", "escaped", "nul", "dots", "one"],
)
def test_delete_unknown_id_is_404(app, alice, public_id):
    before = [item.public_id for item in records(app)]
    assert_error(alice.delete(public_id), 404, messages.SESSION_NOT_FOUND)
    assert [item.public_id for item in records(app)] == before
    assert alice.verify() == 200


def test_delete_by_the_record_number_is_404(app, alice):
    other = Device(app).login()
    number = record(app, other.public_id).id
    assert_error(alice.delete(str(number)), 404, messages.SESSION_NOT_FOUND)
    assert other.verify() == 200


def test_delete_another_users_session_is_404_and_it_survives(app, alice, bob):
    assert_error(alice.delete(bob.public_id), 404, messages.SESSION_NOT_FOUND)
    assert bob.verify() == 200
    assert len(records(app, public_id=bob.public_id)) == 1


def test_delete_by_the_token_or_its_hash_is_404(app, alice):
    other = Device(app).login()
    for secret in (other.sid, hash_token(other.sid)):
        assert_error(alice.delete(secret), 404, messages.SESSION_NOT_FOUND)
    assert other.verify() == 200


def test_deleting_the_current_session_is_a_logout(app, alice):
    other = Device(app).login()
    old_token, public_id = alice.auth.token, alice.public_id
    response = alice.delete(public_id)
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == messages.LOGGED_OUT
    assert body["csrf_token"] not in {None, old_token}
    assert "sid" not in session_cookie(app, alice.client)
    assert records(app, public_id=public_id) == []
    assert_error(alice.client.get(VERIFY), 401, messages.NOT_LOGGED_IN)
    assert other.verify() == 200
    # The token handed back is the one the next POST needs.
    response = alice.client.post(
        "/api/auth/login",
        data={"login": "alice", "password": PASSWORD},
        headers={"X-CSRFToken": body["csrf_token"]},
    )
    assert response.status_code == 200


def test_deleted_current_session_cookie_copy_is_dead(app, alice):
    copy = alice.cookie()
    alice.delete(alice.public_id)
    assert_error(alice.replay(copy).get(VERIFY), 401, messages.NOT_LOGGED_IN)


def test_delete_needs_the_csrf_header(app, alice):
    other = Device(app).login()
    response = alice.delete(other.public_id, token=False)
    assert_csrf_failure(response, CSRF_MISSING)
    assert other.verify() == 200


def test_delete_with_another_clients_token_is_400(app, alice):
    other = Device(app).login()
    response = alice.client.delete(
        f"{SESSIONS}/{other.public_id}", headers={"X-CSRFToken": other.auth.token}
    )
    assert_csrf_failure(response, CSRF_MISMATCH)
    assert other.verify() == 200


def test_delete_needs_login(app, client, alice):
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.delete(f"{SESSIONS}/{alice.public_id}", headers={"X-CSRFToken": token})
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    assert alice.verify() == 200


@pytest.mark.parametrize(
    ("remember", "created", "seen"),
    [
        (False, timedelta(minutes=5), timedelta(hours=2)),
        (False, timedelta(hours=13), timedelta(minutes=5)),
        (True, timedelta(days=31), timedelta(minutes=5)),
    ],
)
def test_delete_own_expired_session_is_404_and_the_record_goes(app, alice, remember, created, seen):
    """Expired is not listed and never honoured: deleting it answers like an unknown id."""
    other = Device(app).login(remember_me=remember)
    age(app, other.public_id, created=created, seen=seen)
    assert [item["id"] for item in alice.sessions()] == [alice.public_id]
    assert_error(alice.delete(other.public_id), 404, messages.SESSION_NOT_FOUND)
    assert records(app, public_id=other.public_id) == []
    assert alice.verify() == 200


def test_expired_session_cannot_delete(app, alice):
    other = Device(app).login()
    age(app, alice.public_id, seen=timedelta(hours=2))
    assert_error(alice.delete(other.public_id), 401, messages.NOT_LOGGED_IN)
    assert other.verify() == 200


# POST /api/auth/logout_all


def test_logout_all_ends_every_other_session(app, alice, bob):
    plain = Device(app).login()
    remembered = Device(app).login(remember_me=True)
    old_token = alice.auth.token
    response = alice.logout_all()
    assert response.status_code == 200
    body = response.get_json()
    assert body["success"] is True
    assert body["message"] == messages.OTHER_SESSIONS_ENDED
    assert body["csrf_token"] not in {None, old_token}
    for device in (plain, remembered):
        assert_error(device.client.get(VERIFY), 401, messages.NOT_LOGGED_IN)
    assert alice.verify() == 200
    assert bob.verify() == 200
    assert [item["id"] for item in alice.sessions()] == [alice.public_id]
    assert [item["id"] for item in bob.sessions()] == [bob.public_id]


def test_logout_all_rotates_the_current_session(app, alice):
    copy, old_sid, old_token = alice.cookie(), alice.sid, alice.auth.token
    old_id = alice.public_id
    assert alice.logout_all().status_code == 200
    assert alice.sid != old_sid
    assert alice.public_id != old_id
    assert_error(alice.replay(copy).get(VERIFY), 401, messages.NOT_LOGGED_IN)
    assert alice.verify() == 200
    stale = alice.client.post("/api/auth/logout", headers={"X-CSRFToken": old_token})
    assert_csrf_failure(stale, CSRF_MISMATCH)
    assert alice.auth.logout().status_code == 200
    assert alice.verify() == 401


def test_logout_all_alone_keeps_the_user_logged_in(app, alice):
    assert alice.logout_all().status_code == 200
    assert alice.verify() == 200
    assert len(records(app)) == 1


@pytest.mark.parametrize("remember", [False, True])
def test_logout_all_keeps_remember_me_and_the_absolute_lifetime(app, alice, remember):
    alice.login(remember_me=remember)
    created = timedelta(hours=11) if not remember else timedelta(days=29)
    age(app, alice.public_id, created=created, seen=timedelta(minutes=5))
    before = record(app, alice.public_id)
    assert alice.logout_all().status_code == 200
    after = record(app, alice.public_id)
    assert after.remember is remember
    assert as_utc(after.created_at) == as_utc(before.created_at)
    assert ("_permanent" in session_cookie(app, alice.client)) is remember


def test_logout_all_needs_the_csrf_header(app, alice):
    other = Device(app).login()
    response = alice.client.post(LOGOUT_ALL)
    assert_csrf_failure(response, CSRF_MISSING)
    assert other.verify() == 200
    assert alice.verify() == 200


def test_logout_all_needs_login(client, alice):
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response = client.post(LOGOUT_ALL, headers={"X-CSRFToken": token})
    assert_error(response, 401, messages.NOT_LOGGED_IN)
    assert alice.verify() == 200


def test_logout_all_from_an_expired_session_is_401(app, alice):
    other = Device(app).login()
    age(app, alice.public_id, created=timedelta(hours=13))
    assert_error(alice.logout_all(), 401, messages.NOT_LOGGED_IN)
    assert other.verify() == 200


# Ending sessions is throttled per user: logout_all and DELETE together


def revoke_limit(app):
    return parse(app.config["SESSION_REVOKE_RATE_LIMIT"]).amount


def test_the_default_revoke_limit(app):
    assert app.config["SESSION_REVOKE_RATE_LIMIT"] == "10 per 10 minutes"


def test_logout_all_past_the_limit_is_429_and_ends_nothing(app, alice):
    for _ in range(revoke_limit(app)):
        assert alice.logout_all().status_code == 200
    other = Device(app).login()
    response = alice.logout_all()
    assert_error(response, 429, messages.TOO_MANY_REQUESTS)
    assert POSITIVE.match(response.headers["Retry-After"])
    assert other.verify() == 200
    assert alice.verify() == 200


def test_deleting_and_logout_all_share_the_count(app, alice):
    spare = [Device(app).login() for _ in range(revoke_limit(app) // 2)]
    for device in spare:
        assert alice.delete(device.public_id).status_code == 200
    for _ in range(revoke_limit(app) - len(spare)):
        assert alice.logout_all().status_code == 200
    survivor = Device(app).login()
    assert_error(alice.delete(survivor.public_id), 429, messages.TOO_MANY_REQUESTS)
    assert_error(alice.logout_all(), 429, messages.TOO_MANY_REQUESTS)
    assert survivor.verify() == 200


def test_the_revoke_limit_is_per_user_across_devices(app, alice, bob):
    devices = [Device(app, ip=f"198.51.100.{number}").login() for number in range(2)]
    for number in range(revoke_limit(app)):
        assert devices[number % 2].delete("no-such-session").status_code == 404
    assert_error(alice.logout_all(), 429, messages.TOO_MANY_REQUESTS)
    assert bob.logout_all().status_code == 200


def test_the_revoke_limit_is_configurable(configured):
    app = configured("SESSION_REVOKE_RATE_LIMIT", "1 per minute", '"1 per minute"')
    add_user(app, "carol")
    device = Device(app).login("carol")
    assert device.logout_all().status_code == 200
    assert device.logout_all().status_code == 429


# Expiry: defaults, configuration, the record decides


@pytest.mark.parametrize(
    ("remember", "created", "seen", "alive"),
    [
        (False, timedelta(minutes=59), timedelta(minutes=59), True),
        (False, timedelta(hours=1, seconds=1), timedelta(hours=1, seconds=1), False),
        (False, timedelta(hours=11, minutes=59), timedelta(minutes=59), True),
        (False, timedelta(hours=12, seconds=1), timedelta(minutes=1), False),
        (True, timedelta(hours=3), timedelta(hours=3), True),
        (True, timedelta(days=29, hours=23), timedelta(days=10), True),
        (True, timedelta(days=30, seconds=1), timedelta(minutes=1), False),
    ],
)
def test_default_lifetimes(app, alice, remember, created, seen, alive):
    alice.login(remember_me=remember)
    age(app, alice.public_id, created=created, seen=seen)
    assert alice.verify() == (200 if alive else 401)


def test_default_durations(app):
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(hours=1)
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(hours=12)
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(days=30)
    assert app.config["SESSION_TOUCH_INTERVAL"] == timedelta(minutes=1)


# Each key set to ten minutes: (key, remember-me, what to age).
TEN_MINUTE_LIMITS = [
    ("SESSION_IDLE_TIMEOUT", False, "seen"),
    ("SESSION_ABSOLUTE_LIFETIME", False, "created"),
    ("PERMANENT_SESSION_LIFETIME", True, "created"),
]


@pytest.mark.parametrize(("key", "remember", "moved"), TEN_MINUTE_LIMITS)
@pytest.mark.parametrize(
    ("ago", "alive"), [(timedelta(minutes=9), True), (timedelta(minutes=11), False)]
)
def test_lifetimes_are_configurable(configured, key, remember, moved, ago, alive):
    app = configured(key, timedelta(minutes=10), "600")
    add_user(app)
    device = Device(app).login(remember_me=remember)
    age(app, device.public_id, **{moved: ago})
    assert device.verify() == (200 if alive else 401)
    listed = Device(app).login().sessions()
    assert (device.public_id in {item["id"] for item in listed}) is alive


def test_expiry_ignores_the_cookie_lifetime(app, alice):
    """A remember-me cookie still has weeks to go; the record's one hour without it decides."""
    alice.login(remember_me=True)
    with app.app_context():
        db.session.execute(update(AuthSession).values(remember=False))
        db.session.commit()
    age(app, alice.public_id, seen=timedelta(hours=1, minutes=1))
    assert alice.client.get_cookie("session").expires is not None
    assert_error(alice.client.get(VERIFY), 401, messages.NOT_LOGGED_IN)


def test_expired_record_is_not_revived(app, alice):
    age(app, alice.public_id, seen=timedelta(hours=2))
    assert alice.verify() == 401
    stored = records(app)
    assert all(as_utc(item.last_seen_at) < utcnow() - timedelta(hours=1) for item in stored)
    assert alice.verify() == 401


# last_seen_at is written at most once per touch interval


def session_updates(statements):
    """The UPDATE statements on ``auth_session`` among ``statements``."""
    return [item for item in statements if item.upper().startswith("UPDATE AUTH_SESSION")]


def test_requests_within_a_minute_write_nothing(app, alice, statements):
    for _ in range(5):
        assert alice.verify() == 200
        alice.sessions()
    assert session_updates(statements) == []


def test_last_seen_is_written_once_after_a_minute(app, alice, statements):
    age(app, alice.public_id, seen=timedelta(minutes=1, seconds=5))
    statements.clear()
    before = utcnow()
    for _ in range(5):
        assert alice.verify() == 200
    assert len(session_updates(statements)) == 1
    seen = as_utc(record(app, alice.public_id).last_seen_at)
    assert seen >= before - timedelta(seconds=1)
    (item,) = alice.sessions()
    assert item["last_seen_at"] == isoformat(seen)


def test_last_seen_is_kept_below_a_minute(app, alice):
    age(app, alice.public_id, seen=timedelta(seconds=55))
    kept = record(app, alice.public_id).last_seen_at
    assert alice.verify() == 200
    assert record(app, alice.public_id).last_seen_at == kept


def test_touch_interval_is_configurable(configured):
    app = configured("SESSION_TOUCH_INTERVAL", timedelta(minutes=10), "600")
    add_user(app)
    device = Device(app).login()
    age(app, device.public_id, seen=timedelta(minutes=9))
    kept = record(app, device.public_id).last_seen_at
    assert device.verify() == 200
    assert record(app, device.public_id).last_seen_at == kept
    age(app, device.public_id, seen=timedelta(minutes=11))
    assert device.verify() == 200
    assert as_utc(record(app, device.public_id).last_seen_at) > utcnow() - timedelta(minutes=1)
