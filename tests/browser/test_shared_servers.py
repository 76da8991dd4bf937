"""The rules that let the page's tests share a live server: each reads only what the server
logged since it began, and each has a person no other test has."""

import pytest

from devtools.processes import Server
from tests.browser.conftest import LiveServer, PageProblems
from tests.browser.pages import mail_domain, new_person

EARLIER = "Traceback (most recent call last): an earlier test's\n"
NOW = "Traceback (most recent call last): this test's\n"


def test_a_test_reads_only_what_its_server_logged_since_it_began(tmp_path):
    log_path = tmp_path / "gunicorn.log"
    log_path.write_text(EARLIER)
    seen = LiveServer(Server([], 0, {}, log_path), "sqlite://")
    assert seen.log() == ""
    PageProblems(seen).check()

    with log_path.open("a") as log:
        log.write(NOW)
    assert seen.log() == NOW
    assert seen.server.log() == EARLIER + NOW
    with pytest.raises(AssertionError, match="this test's"):
        PageProblems(seen).check()


def test_no_two_people_share_a_name_an_address_or_a_mail_domain():
    people = [new_person() for _ in range(3)] + [new_person("bob")]
    for key in ("user_name", "email"):
        assert len({person[key].lower() for person in people}) == len(people)
    assert len({mail_domain(person) for person in people}) == len(people)
