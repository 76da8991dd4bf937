"""The messages themselves: their parts, their links, and what they never hold."""

from datetime import timedelta

import pytest

from app.mail.compose import SUBJECTS, compose, in_words, unlinked
from tests.helpers import PASSWORD, SIGNUP_FIELDS
from tests.plugins.mail import LINK_TOKEN, html_of, text_of

NEW_PASSWORD = "Tulip-Orbit-Canyon-71"
CHANGED_PASSWORD = "Zq8#vT2!x-renewed"


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(hours=1), "1 hour"),
        (timedelta(days=3), "3 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(seconds=30), "0 minutes"),
    ],
)
def test_lifetimes_in_words(delta, words):
    assert in_words(delta) == words


def every_flow(auth, mailbox):
    """Sign up, ask for a reset, use it, log in, ask for an email change: every message."""
    assert auth.signup().status_code == 201
    auth.post("/api/auth/reset_password/request", json={"email": "alice@example.com"})
    (reset,) = [m for m in mailbox.deliver() if m["Subject"] == SUBJECTS["reset_password"]]
    token = LINK_TOKEN.search(text_of(reset)).group(2)
    body = {"token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert auth.post("/api/auth/reset_password", json=body).status_code == 200
    assert auth.login(password=NEW_PASSWORD).status_code == 200
    body = {
        "current_password": NEW_PASSWORD,
        "password": CHANGED_PASSWORD,
        "confirm": CHANGED_PASSWORD,
    }
    assert auth.post("/api/auth/change_password", json=body).status_code == 200
    body = {"password": CHANGED_PASSWORD, "email": "alice.new@example.com"}
    assert auth.post("/api/auth/change_email", json=body).status_code == 202
    return mailbox.deliver(held=True)


def test_no_message_holds_a_password_or_any_token_but_its_own(auth, mailbox):
    messages = every_flow(auth, mailbox)
    # The reset confirmed the address; its notice, still waiting, took in the two changes
    # after it.
    assert sorted(m["Subject"] for m in messages) == sorted(
        [
            SUBJECTS["confirm_email"],
            SUBJECTS["reset_password"],
            SUBJECTS["change_email"],
            SUBJECTS["notices"],
        ]
    )
    tokens = [set(token for _path, token in LINK_TOKEN.findall(text_of(m))) for m in messages]
    everything = set().union(*tokens)
    for message, own in zip(messages, tokens, strict=True):
        raw = message.as_string()
        assert len(own) <= 1
        for password in (PASSWORD, NEW_PASSWORD, CHANGED_PASSWORD):
            assert password not in raw
        for token in everything - own:
            assert token not in raw


def test_every_message_has_a_text_and_an_html_part_with_the_same_link(auth, mailbox):
    for message in every_flow(auth, mailbox):
        assert message.get_content_type() == "multipart/alternative"
        links = LINK_TOKEN.findall(text_of(message))
        assert LINK_TOKEN.findall(html_of(message))[: len(links)] == links


def test_a_forged_host_never_reaches_a_message(client, mailbox, app):
    # Outside production any Host is answered; the links still come from PUBLIC_URL.
    forged = {"base_url": "http://evil.example", "headers": {"X-Forwarded-Host": "evil.example"}}
    token = client.get("/api/auth/csrf", **forged).get_json()["csrf_token"]
    headers = {**forged["headers"], "X-CSRFToken": token}
    response = client.post(
        "/api/auth/signup", json=SIGNUP_FIELDS, base_url=forged["base_url"], headers=headers
    )
    assert response.status_code == 201
    headers["X-CSRFToken"] = response.get_json()["csrf_token"]
    response = client.post(
        "/api/auth/reset_password/request",
        json={"email": "alice@example.com"},
        base_url=forged["base_url"],
        headers=headers,
    )
    assert response.status_code == 202, response.get_json()
    messages = mailbox.deliver()
    assert len(messages) == 2
    for message in messages:
        assert "evil.example" not in message.as_string()
        assert f"{app.config['PUBLIC_URL']}/" in text_of(message)


def test_the_html_part_escapes_what_it_shows(app):
    change = {"kind": "email_changing", "when": "now", "ip": None, "new_email": "a<b>&c@x.org"}
    with app.test_request_context():
        message = compose(
            "email_changing",
            "alice@example.com",
            template="notice",
            user_name="alice",
            changes=[change],
            more=0,
        )
    assert "a&lt;b&gt;&amp;c@x.org" in html_of(message)
    assert "a<b>&c@x.org" in text_of(message)


@pytest.mark.parametrize(
    ("chosen", "shown"),
    [
        ("My key", "My key"),
        ("two\nlines\r\n", "two\ufffdlines\ufffd\ufffd"),
        ("tab\there, nul\x00, bell\x07", "tab\ufffdhere, nul\ufffd, bell\ufffd"),
        ("line\u2028para\u2029", "line\ufffdpara\ufffd"),
        # Right-to-left override: "moc.live" would read "evil.com".
        ("\u202emoc.live", "\ufffdmoc.\u200blive"),
        ("https://evil.example/x", "https:\u200b/\u200b/\u200bevil.\u200bexample/\u200bx"),
        ("www.evil.example", "www.\u200bevil.\u200bexample"),
        ("admin@evil.example", "admin@\u200bevil.\u200bexample"),
        ("evil\u3002example", "evil\u3002\u200bexample"),
        ("Clé 🔑 2", "Clé 🔑 2"),
    ],
)
def test_what_a_user_chose_is_shown_on_one_line_and_never_as_a_link(chosen, shown):
    assert unlinked(chosen) == shown
