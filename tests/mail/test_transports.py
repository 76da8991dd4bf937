"""MAIL_URL's transports: SMTP (plain, STARTTLS, TLS, with a login), files, and the log."""

import email
import email.policy
import json
import logging
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.log import MailFormatter
from app.mail.transports import (
    FileTransport,
    LogTransport,
    MailUrlError,
    SmtpTransport,
    check_mail_url,
    transport_for,
)
from devtools.processes import HOST, free_port
from tests.plugins.mail import Inbox, SmtpServer


def a_message(to="alice@example.com", message_id="<1.2.3@localhost>"):
    message = email.message.EmailMessage()
    message["From"] = "Flask auth <no-reply@localhost>"
    message["To"] = to
    message["Subject"] = "Hello"
    message["Message-ID"] = message_id
    message.set_content("The text part.")
    message.add_alternative("<p>The HTML part.</p>", subtype="html")
    return message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpTransport("smtp", "mail.example.com", 25, None, "", 3)),
        (
            "smtp://us%40er:p%3Ass@mail.example.com:2525",
            SmtpTransport("smtp", "mail.example.com", 2525, "us@er", "p:ss", 3),
        ),
        ("smtps://mail.example.com", SmtpTransport("smtps", "mail.example.com", 465, None, "", 3)),
        (
            "smtp+starttls://u:p@mail.example.com",
            SmtpTransport("smtp+starttls", "mail.example.com", 587, "u", "p", 3),
        ),
        ("file:///var/mail/out", FileTransport(__import__("pathlib").Path("/var/mail/out"))),
    ],
)
def test_a_mail_url_names_its_transport(url, expected):
    assert transport_for(url, timeout=3) == expected


def test_log_url():
    assert isinstance(transport_for("log://", timeout=3), LogTransport)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://mail.example.com",
        "smtp://",
        "smtp://mail.example.com:port",
        "smtp://mail.example.com:99999",
        "file://relative/folder",
        "file://",
        "log://somewhere",
        "mailto:alice@example.com",
    ],
)
def test_a_bad_mail_url_is_refused_at_start(url):
    with pytest.raises(MailUrlError, match="MAIL_URL"):
        check_mail_url(url)


def test_the_refusal_does_not_repeat_the_password():
    with pytest.raises(MailUrlError) as refused:
        check_mail_url("http://user:s3cret-pass@mail.example.com")
    assert "s3cret-pass" not in str(refused.value)


def test_smtp_delivers_the_message_as_it_is(smtp_server):
    transport = transport_for(smtp_server.url, timeout=5)
    transport.send(a_message())
    (received,) = smtp_server.wait_for(1)
    assert received["Message-ID"] == "<1.2.3@localhost>"
    assert received.get_body(("plain",)).get_content().strip() == "The text part."
    assert smtp_server.inbox.envelopes == [("no-reply@localhost", ["alice@example.com"])]


def test_an_address_outside_ascii_is_sent_with_smtputf8(smtp_server):
    transport_for(smtp_server.url, timeout=5).send(a_message(to="jos\u00e9@example.com"))
    (received,) = smtp_server.wait_for(1)
    assert received["To"] == "jos\u00e9@example.com"


def test_the_fixture_server_listens_on_the_ipv4_loopback_and_its_own_port(smtp_server):
    # aiosmtpd binds ::1 unless told a host, and fails with port=0: the fixture avoids both.
    with socket.create_connection((HOST, smtp_server.port), timeout=5) as connection:
        assert connection.recv(100).startswith(b"220")


class Logins:
    def __init__(self):
        self.seen = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"right password")


@pytest.fixture
def login_server():
    inbox, logins, port = Inbox(), Logins(), free_port()
    controller = Controller(
        inbox, hostname=HOST, port=port, authenticator=logins, auth_require_tls=False
    )
    controller.start()
    yield port, inbox, logins
    controller.stop()


def test_smtp_logs_in_with_the_url_s_user_and_password(login_server):
    port, inbox, logins = login_server
    transport_for(f"smtp://mailer:right%20password@{HOST}:{port}", timeout=5).send(a_message())
    assert logins.seen == [(b"mailer", b"right password")]
    assert len(inbox.messages) == 1


def test_a_refused_login_sends_nothing(login_server):
    port, inbox, _logins = login_server
    transport = transport_for(f"smtp://mailer:wrong@{HOST}:{port}", timeout=5)
    with pytest.raises(OSError):
        transport.send(a_message())
    assert inbox.messages == []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=IP:{HOST}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def tls_server(certificate, **options):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    if options.pop("implicit", False):
        options["ssl_context"] = context
    else:
        options.update(tls_context=context, require_starttls=True)
    controller = Controller(inbox, hostname=HOST, port=port, **options)
    controller.start()
    return controller, inbox, port


@pytest.mark.parametrize(("scheme", "implicit"), [("smtps", True), ("smtp+starttls", False)])
def test_tls_is_used_and_the_certificate_checked(certificate, monkeypatch, scheme, implicit):
    controller, inbox, port = tls_server(certificate, implicit=implicit)
    try:
        transport = transport_for(f"{scheme}://{HOST}:{port}", timeout=5)
        # Not trusted: refused, and nothing is sent.
        with pytest.raises(ssl.SSLCertVerificationError):
            transport.send(a_message())
        assert inbox.messages == []
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        transport.send(a_message())
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_plain_smtp_to_a_server_that_demands_starttls_is_refused(certificate):
    controller, inbox, port = tls_server(certificate)
    try:
        with pytest.raises(OSError):
            transport_for(f"smtp://{HOST}:{port}", timeout=5).send(a_message())
        assert inbox.messages == []
    finally:
        controller.stop()


@pytest.fixture
def silent_server():
    """A server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen()
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_every_smtp_call_has_a_timeout(silent_server):
    # Without one, smtplib waits forever for the greeting of a stalled server.
    transport = transport_for(f"smtp://{HOST}:{silent_server}", timeout=0.5)
    started = time.monotonic()
    # smtplib reports the timed-out read as a lost connection.
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        transport.send(a_message())
    assert time.monotonic() - started < 10


def test_files_hold_the_whole_message_named_by_its_id_and_the_log_no_body(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="app.mail")
    transport = transport_for(f"file://{tmp_path}/outbox", timeout=5)
    transport.send(a_message())
    (path,) = (tmp_path / "outbox").iterdir()
    assert path.name == "1.2.3@localhost.eml"
    saved = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert saved["Message-ID"] == "<1.2.3@localhost>"
    assert saved.get_body(("plain",)).get_content().strip() == "The text part."
    # The log names the file, the recipient and the id; the message, with its link, is in
    # the file only.
    (record,) = caplog.records
    assert json.dumps(str(path)) in record.getMessage()
    assert '"alice@example.com"' in record.getMessage()
    assert '"<1.2.3@localhost>"' in record.getMessage()
    assert "The text part." not in caplog.text


FORGED_EVENT = '{"event": "login_ok", "user_name": "admin", "ip": "10.0.0.1"}'


def assert_no_event_in(lines):
    """No line of the formatted ``lines`` parses as JSON: none can pass for a security event."""
    for line in "\n".join(lines).splitlines():
        with pytest.raises(ValueError):
            json.loads(line)


def test_no_text_of_a_message_can_write_a_line_that_passes_for_an_event(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="app.mail")
    message = a_message()
    message.get_body(("plain",)).set_content(f"A passkey named \u201cx\n{FORGED_EVENT}\u201d")
    transport_for(f"file://{tmp_path}", timeout=5).send(message)
    LogTransport().send(message)
    lines = [MailFormatter().format(record) for record in caplog.records]
    assert len(lines) == 2
    assert_no_event_in(lines)
    assert "login_ok" not in caplog.text


def test_a_traceback_s_lines_cannot_pass_for_an_event_either():
    try:
        raise ValueError(f"a reply\n{FORGED_EVENT}")
    except ValueError:
        record = logging.LogRecord(
            "app.mail", logging.ERROR, __file__, 1, "failed", None, exc_info=sys.exc_info()
        )
    assert_no_event_in([MailFormatter().format(record)])


def test_the_log_transport_sends_nothing_and_logs_no_body(caplog):
    caplog.set_level(logging.INFO, logger="app.mail")
    LogTransport().send(a_message())
    assert "alice@example.com" in caplog.text
    assert "<1.2.3@localhost>" in caplog.text
    assert "The text part." not in caplog.text


def test_a_stopped_server_refuses_the_connection():
    server = SmtpServer()
    with pytest.raises(ConnectionRefusedError):
        transport_for(server.url, timeout=2).send(a_message())
