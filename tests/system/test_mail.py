"""Mail as deployed: gunicorn's in-process senders and ``manage.py deliver-mail`` processes,
against a real SMTP server that goes away and comes back."""

import http.client
import json
import subprocess
import sys
import time
from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select

from app.extensions import db
from app.mail.compose import compose
from app.mail.outbox import PENDING, OutboxMessage, enqueue
from devtools.processes import HOST
from tests.contract import check_answer
from tests.helpers import ROOT
from tests.plugins.databases import make_app
from tests.plugins.mail import token_of
from tests.plugins.servers import start_server
from tests.system.client import Client, signup_body

SENDERS = 2
MESSAGES = 60
# Known and unknown reset requests, in pairs, each followed by one timed request.
PAIRS = 50


@pytest.fixture
def server_env(smtp_server):
    """The live server mails the test's SMTP server, runs reset jobs at once, and retries
    within a second."""
    return {
        "MAIL_URL": smtp_server.url,
        "FLASK_MAIL_RETRY_DELAY": "0.3",
        "FLASK_MAIL_POLL_INTERVAL": "0.2",
        "FLASK_RESET_JOB_DELAY": "0",
    }


def outbox_rows(database_url):
    app = make_app(database_url)
    with app.app_context():
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def wait_until(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_an_outage_delays_the_mail_and_loses_none_of_it(live_server, smtp_server, database_url):
    smtp_server.stop()
    alice = Client(live_server.url).fetch_token()
    assert (
        alice.call("POST", "/api/auth/signup", signup_body("alice", "alice@example.com"))[0] == 201
    )
    status, _ = alice.call(
        "POST", "/api/auth/reset_password/request", {"email": "alice@example.com"}
    )
    assert status == 202
    # Both were tried, and wait in the outbox with their error (a claim alone counts an
    # attempt: wait for the outcome).
    wait_until(
        lambda: all(row.status == PENDING and row.last_error for row in outbox_rows(database_url))
    )
    smtp_server.start()
    messages = smtp_server.wait_for(2)
    time.sleep(1.5)  # more retries would have come by now
    assert len(smtp_server.messages) == 2
    ids = {message["Message-ID"] for message in messages}
    assert ids == {row.message_id for row in outbox_rows(database_url)}
    assert {message["Subject"] for message in messages} == {
        "Confirm your email address",
        "Reset your password",
    }


def test_the_link_in_the_mail_resets_the_password_on_the_server(live_server, smtp_server):
    alice = Client(live_server.url).fetch_token()
    assert (
        alice.call("POST", "/api/auth/signup", signup_body("alice", "alice@example.com"))[0] == 201
    )
    alice.call("POST", "/api/auth/reset_password/request", {"email": "ALICE@example.com"})
    reset = smtp_server.wait_for(2)[-1]
    assert f"{live_server.url}/reset#token=" in reset.get_body(("plain",)).get_content()
    body = {"token": token_of(reset), "password": "Tulip-Orbit-Canyon-71"}
    status, _ = (
        Client(live_server.url)
        .fetch_token()
        .call("POST", "/api/auth/reset_password", {**body, "confirm": body["password"]})
    )
    assert status == 200
    assert alice.call("GET", "/api/auth/verify_auth")[0] == 401


def forged_host_request(server, host):
    connection = http.client.HTTPConnection(HOST, server.port, timeout=30)
    try:
        connection.request("GET", "/api/auth/csrf", headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.2"])
def test_a_forged_host_is_refused_in_production(live_server, host):
    status, body = forged_host_request(live_server, host)
    assert status == 400
    assert b'"success":false' in body


def queue(app, count):
    with app.test_request_context():
        for number in range(count):
            message = compose("goodbye", f"user{number}@example.com", user_name=f"user{number}")
            enqueue(message, "goodbye")
        db.session.commit()


def deliver_mail_process(database_url, smtp_url, *args):
    environment = {
        "PATH": "/usr/bin:/bin",
        "APP_CONFIG": "testing",
        "DATABASE_URL": database_url,
        "MAIL_URL": smtp_url,
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "deliver-mail", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_deliver_mail_processes_send_every_message_once(database_url, smtp_server):
    queue(make_app(database_url), MESSAGES)
    senders = [
        deliver_mail_process(database_url, smtp_server.url, "--once") for _ in range(SENDERS)
    ]
    outputs = [sender.communicate(timeout=120)[0] for sender in senders]
    assert [sender.returncode for sender in senders] == [0] * SENDERS, outputs
    ids = [message["Message-ID"] for message in smtp_server.messages]
    assert len(ids) == len(set(ids)) == MESSAGES
    counts = [int(output.split("Sent ")[1].split()[0]) for output in outputs]
    assert sum(counts) == MESSAGES


def test_deliver_mail_sends_as_messages_come_and_stops_on_sigterm(database_url, smtp_server):
    app = make_app(database_url)
    sender = deliver_mail_process(database_url, smtp_server.url)
    try:
        time.sleep(1)
        queue(app, 1)
        smtp_server.wait_for(1, timeout=30)  # within the poll interval, 5 s by default
    finally:
        sender.terminate()
        output = sender.communicate(timeout=30)[0]
    assert sender.returncode == 0, output
    assert "Stopped." in output


class Connection:
    """One keep-alive HTTP connection with a session cookie and its CSRF token, as an attacker
    holds it to time one answer after another."""

    def __init__(self, server):
        self.http = http.client.HTTPConnection(HOST, server.port, timeout=30)
        self.headers = {}
        status, body, headers = self.call("GET", "/api/auth/csrf")
        assert status == 200
        cookie = SimpleCookie(headers["Set-Cookie"])["session"].value
        self.headers = {"Cookie": f"session={cookie}", "X-CSRFToken": body["csrf_token"]}

    def close(self):
        self.http.close()

    def call(self, method, path, body=None):
        headers = dict(self.headers)
        if body is not None:
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self.http.request(method, path, body=body, headers=headers)
        response = self.http.getresponse()
        raw = response.read()
        check_answer(method, path, response.status, response.headers, raw)
        return response.status, json.loads(raw), response.headers

    def next_request_after_reset(self, email) -> float:
        """Ask for a reset of ``email``; the seconds the very next request then takes."""
        assert self.call("POST", "/api/auth/reset_password/request", {"email": email})[0] == 202
        started = time.perf_counter()
        self.http.request("GET", "/api/auth/csrf", headers=self.headers)
        response = self.http.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        assert response.status == 200
        return elapsed


@pytest.mark.timing
def test_the_request_after_a_reset_request_does_not_tell_a_known_address(database_url, tmp_path):
    """An attacker's way to tell whether an address has an account: the work done for a known
    one, right after its answer, slows the worker's next answer. One worker with one thread
    and its sender, as a small deployment runs; pairs of a known and an unknown address,
    taken in turns; the slower next answer is the attacker's guess of the known one. Before
    the reset work ran at a random later time, and cost the same for both, that guess was
    right 36 to 40 times in 50 on a busy test machine (46 in the review); it must now be close
    to chance (25)."""
    env = {
        "MAIL_URL": f"file://{tmp_path / 'outbox'}",
        "FLASK_RATELIMIT_ENABLED": "false",
        # gthread keeps the connection alive (the sync worker closes it after each answer).
        "GUNICORN_CMD_ARGS": "--worker-class gthread",
    }
    server = start_server(database_url, tmp_path / "gunicorn.log", workers=1, threads=1, env=env)
    try:
        alice = Client(server.url).fetch_token()
        assert (
            alice.call("POST", "/api/auth/signup", signup_body("alice", "a@example.com"))[0] == 201
        )
        attacker = Connection(server)
        right = 0
        for pair in range(PAIRS):
            times = {}
            for known in (True, False) if pair % 2 else (False, True):
                email = "a@example.com" if known else f"nobody{pair}@example.com"
                times[known] = attacker.next_request_after_reset(email)
                time.sleep(0.05)  # the work of the one before is done by now
            right += times[True] > times[False]
        attacker.close()
        print(f"the slower next answer followed the known address {right} times in {PAIRS}")
        assert right <= 0.7 * PAIRS, right
    finally:
        server.stop()
