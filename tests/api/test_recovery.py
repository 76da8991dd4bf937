"""Password reset over mail: the request, the message, the new password, the sessions."""

from datetime import timedelta

import pytest
from flask import template_rendered
from sqlalchemy import select, update

from app.accounts import tokens
from app.accounts.recovery import RESET_JOB
from app.admin import actions
from app.common import messages
from app.common.time import as_utc, utcnow
from app.extensions import db
from app.mail.compose import SUBJECTS
from app.mail.outbox import OutboxMessage
from app.users.models import User
from tests.helpers import PASSWORD, AuthActions, assert_error, count_rows
from tests.plugins.accounts import add_user, log_in
from tests.plugins.mail import html_of, link_of, text_of, token_of

REQUEST = "/api/auth/reset_password/request"
RESET = "/api/auth/reset_password"
NEW_PASSWORD = "Tulip-Orbit-Canyon-71"
RESET_SUBJECT = SUBJECTS["reset_password"]


@pytest.fixture
def app(mail_app):
    return mail_app


def ask(auth, email="alice@example.com"):
    response = auth.post(REQUEST, json={"email": email})
    assert response.status_code == 202, response.get_json()
    assert response.get_json() == {"success": True, "message": messages.RESET_REQUESTED}
    return response


def reset_message(auth, mailbox, email="alice@example.com"):
    before = len(mailbox.deliver())
    ask(auth, email)
    delivered = mailbox.deliver()
    assert len(delivered) == before + 1
    return delivered[-1]


def reset(auth, token, password=NEW_PASSWORD, confirm=None):
    body = {"token": token, "password": password, "confirm": confirm or password}
    return auth.post(RESET, json=body)


def test_the_message_holds_a_link_from_public_url_with_the_token_in_its_fragment(
    auth, logged_in_client, mailbox, app
):
    message = reset_message(auth, mailbox)
    assert message["Subject"] == RESET_SUBJECT
    assert message["To"] == "alice@example.com"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@localhost>")
    path, token = link_of(message)
    assert path == "/reset"
    link = f"{app.config['PUBLIC_URL']}/reset#token={token}"
    assert link in text_of(message)
    assert link in html_of(message)
    assert "1 hour" in text_of(message)


@pytest.mark.parametrize(
    "typed",
    ["ALICE@EXAMPLE.COM", "Alice@Example.com", "  alice@example.com  ", "alice@EXAMPLE.com"],
)
def test_any_letter_case_finds_the_account_and_mails_the_stored_address(app, auth, mailbox, typed):
    # As a signup of "Alice@Example.com" stores it: the domain in lower case.
    log_in(auth, add_user(app, email="Alice@example.com"))
    message = reset_message(auth, mailbox, typed)
    assert message["To"] == "Alice@example.com"


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        # Django's CVE-2019-19844: dotless i upper-cases to "I", so matching by upper case
        # mixed them.
        ("mike@example.org", "m\u0131ke@example.org"),
        ("m\u0131ke@example.org", "mike@example.org"),
        # Case-folding would merge these two distinct mailboxes.
        ("strasse@example.org", "stra\u00dfe@example.org"),
    ],
)
def test_a_lookalike_address_is_not_the_account(app, auth, mailbox, stored, typed):
    log_in(auth, add_user(app, email=stored))
    delivered = len(mailbox.deliver())
    ask(auth, typed)
    assert len(mailbox.deliver()) == delivered


def test_an_unknown_address_answers_alike_and_sends_nothing(auth, logged_in_client, mailbox, app):
    known = ask(auth, "alice@example.com")
    unknown = ask(auth, "nobody@example.com")
    assert known.get_data() == unknown.get_data()
    per_request = {"X-Request-ID"}
    headers = [{(k, v) for k, v in r.headers if k not in per_request} for r in (known, unknown)]
    assert headers[0] == headers[1]
    assert known.headers.getlist("Set-Cookie") == unknown.headers.getlist("Set-Cookie") == []
    delivered = mailbox.deliver()
    assert [message["To"] for message in delivered] == ["alice@example.com"]
    assert [to for _sender, (to,) in mailbox.server.inbox.envelopes] == ["alice@example.com"]
    with app.app_context():
        recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    # The request's job is gone once done; nothing was ever addressed to nobody.
    assert "nobody@example.com" not in recipients


def rendered_while_delivering(app, mailbox):
    """The templates the sender renders while it delivers what is due, in order."""
    names = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    with template_rendered.connected_to(record, app):
        mailbox.deliver()
    return names


def test_the_job_renders_the_same_message_for_an_unknown_address(
    auth, logged_in_client, mailbox, app
):
    ask(auth, "alice@example.com")
    known = rendered_while_delivering(app, mailbox)
    ask(auth, "nobody@example.com")
    unknown = rendered_while_delivering(app, mailbox)
    assert known == unknown
    assert "mail/reset_password.html" in known


def test_the_job_waits_a_random_delay_and_wakes_no_sender(auth, logged_in_client, mailbox, app):
    app.config["RESET_JOB_DELAY"] = 60
    sender = app.extensions["mail_sender"]
    sender.wakeup.clear()
    before = utcnow()
    for number in range(3):
        ask(auth, f"someone{number}@example.com")
    ask(auth)
    # No sender woke: the job runs at a sender's next look, not right after the answer.
    assert not sender.wakeup.is_set()
    with app.app_context():
        due = db.session.scalars(
            select(OutboxMessage.send_after).where(OutboxMessage.kind == RESET_JOB)
        ).all()
    assert len(due) == 4
    assert all(before <= as_utc(when) <= utcnow() + timedelta(seconds=60) for when in due)
    assert len(set(due)) == 4
    delivered = len(mailbox.deliver())
    with app.app_context():
        db.session.execute(update(OutboxMessage).values(send_after=utcnow()))
        db.session.commit()
    assert len(mailbox.deliver()) == delivered + 1


def test_asking_writes_one_row_whether_or_not_the_address_is_known(
    auth, logged_in_client, mailbox, app
):
    mailbox.deliver()
    for email in ("alice@example.com", "nobody@example.com"):
        before = count_rows(app, OutboxMessage)
        ask(auth, email)
        assert count_rows(app, OutboxMessage) == before + 1


def disable(app):
    with app.app_context():
        actions.disable(User.find_by_login("alice"))


def test_a_disabled_account_is_answered_alike_and_gets_no_link(
    auth, logged_in_client, mailbox, app
):
    disable(app)
    delivered = len(mailbox.deliver())
    known = ask(auth, "alice@example.com")
    unknown = ask(auth, "nobody@example.com")
    assert known.get_data() == unknown.get_data()
    assert len(mailbox.deliver()) == delivered
    with app.app_context():
        assert count_rows(app, tokens.AccountToken) == 0
        assert db.session.scalars(select(OutboxMessage.kind)).all() == []


def test_a_disabled_account_s_reset_token_changes_nothing(auth, logged_in_client, mailbox, app):
    disable(app)
    with app.app_context():
        # As a link mailed while the account was disabled, before this fix.
        token, _expires_at = tokens.issue(
            User.find_by_login("alice"), tokens.RESET_PASSWORD, "alice@example.com"
        )
        db.session.commit()
        hash_before = db.session.scalar(select(User._password))
    assert_error(reset(AuthActions(app.test_client()), token), 400, messages.INVALID_TOKEN)
    with app.app_context():
        assert db.session.scalar(select(User._password)) == hash_before
        (used_at,) = db.session.scalars(
            select(tokens.AccountToken.used_at).where(
                tokens.AccountToken.purpose == tokens.RESET_PASSWORD
            )
        ).all()
    assert used_at is None
    # Once enabled again, the link works.
    with app.app_context():
        actions.enable(User.find_by_login("alice"))
    assert reset(AuthActions(app.test_client()), token).status_code == 200


def test_reset_sets_the_password_ends_every_session_and_logs_nobody_in(
    auth, logged_in_client, mailbox, app
):
    other = AuthActions(app.test_client())
    assert other.login().status_code == 200
    token = token_of(reset_message(auth, mailbox))
    response = reset(AuthActions(app.test_client()), token)
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "message": messages.PASSWORD_RESET}
    for client in (auth, other):
        assert_error(client._client.get("/api/auth/verify_auth"), 401, messages.NOT_LOGGED_IN)
    fresh = AuthActions(app.test_client())
    assert_error(fresh.login(password=PASSWORD), 401, messages.INVALID_CREDENTIALS)
    assert fresh.login(password=NEW_PASSWORD).status_code == 200


def test_reset_sends_a_notice_with_time_and_address_and_no_secret(
    auth, logged_in_client, mailbox, app
):
    token = token_of(reset_message(auth, mailbox))
    assert reset(auth, token).status_code == 200
    notice = mailbox.last()
    assert notice["Subject"] == SUBJECTS["password_changed"]
    assert notice["To"] == "alice@example.com"
    text = text_of(notice)
    assert "UTC" in text
    assert "127.0.0.1" in text
    assert f"{app.config['PUBLIC_URL']}/forgot" in text
    assert "Every session of the account was logged out." in text
    for secret in (token, NEW_PASSWORD, PASSWORD, "#token="):
        assert secret not in notice.as_string()


def test_reset_confirms_the_address(auth, logged_in_client, mailbox, app):
    token = token_of(reset_message(auth, mailbox))
    assert reset(auth, token).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.email_confirmed_at)) is not None


def test_reset_from_a_logged_in_browser_of_the_same_account_ends_that_session(
    auth, logged_in_client, mailbox
):
    token = token_of(reset_message(auth, mailbox))
    assert reset(auth, token).status_code == 200
    assert auth._client.get("/api/auth/verify_auth").status_code == 401


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [
        ("password1", None, "password"),
        ("Liddell-Zebra-Quartz-88", None, "password"),
        ("short", None, "password"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "confirm"),
    ],
    ids=["weak", "personal", "short", "mismatch"],
)
def test_a_refused_password_leaves_the_token_good(
    auth, logged_in_client, mailbox, password, confirm, field
):
    token = token_of(reset_message(auth, mailbox))
    response = reset(auth, token, password, confirm)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["fields"]) == {field}
    assert reset(auth, token).status_code == 200


def test_the_token_field_is_required(auth, logged_in_client):
    response = auth.post(RESET, json={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert_error(
        response,
        422,
        messages.VALIDATION_FAILED,
        fields={"token": [messages.FIELD_REQUIRED]},
    )


@pytest.mark.parametrize("body", [{}, {"email": "not an address"}, {"email": 7}])
def test_a_bad_request_body_is_a_field_error_and_sends_nothing(
    auth, logged_in_client, mailbox, app, body
):
    response = auth.post(REQUEST, json=body)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["fields"]) == {"email"}
    with app.app_context():
        assert count_rows(app, OutboxMessage) == 0


def test_requests_are_throttled_per_address_alike_for_known_and_unknown(auth, logged_in_client):
    for email in ("alice@example.com", "nobody@example.com"):
        for _ in range(3):
            ask(auth, email)
        response = auth.post(REQUEST, json={"email": email.upper()})
        assert_error(response, 429, messages.TOO_MANY_REQUESTS)
        assert int(response.headers["Retry-After"]) > 0


def test_requests_are_throttled_per_client(auth, logged_in_client, app):
    app.config["RESET_ADDRESS_LIMIT"] = "100 per hour"
    for number in range(10):
        ask(auth, f"someone{number}@example.com")
    assert_error(
        auth.post(REQUEST, json={"email": "x@example.com"}), 429, messages.TOO_MANY_REQUESTS
    )
