"""Browser fixtures: Debian's Chromium, driven by Playwright, against the app under gunicorn.

The server is reached as ``http://localhost:<port>``, its ``PUBLIC_URL``: browsers refuse
WebAuthn at an IP address ("This is an invalid domain"), so passkeys need a name. Every page
is served under the strict Content-Security-Policy, and every test that uses a page fails on
a page error, a dialog, a request to another host, a traceback in the server log, or a
console error other than a failed load that the test said it expects.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from devtools.processes import app_server
from tests.browser.chromium import enforce_csp, launch
from tests.browser.pages import ALICE
from tests.helpers import confirm_email
from tests.plugins.databases import make_app

# The name the browsers reach the live server by, and the host of its PUBLIC_URL.
PUBLIC_HOST = "localhost"

# Chromium's console line for a fetch that failed: an HTTP status, or a network error.
FAILED_LOAD = re.compile(
    r"^Failed to load resource: (?:the server responded with a status of (\d{3})|(net::\w+))"
)


class PageProblems:
    """What went wrong in the pages of one test, less the failed loads it expects."""

    def __init__(self, server):
        self.server = server
        self.pages = []
        self.events = []
        self.expected = set()

    def watch(self, page):
        self.pages.append(page)
        page.on("pageerror", lambda error: self.events.append(("page error", str(error), "")))
        page.on("console", self._on_console)
        page.on("dialog", self._on_dialog)
        page.on("request", self._on_request)

    def expect_failed_load(self, path, status):
        """Allow Chromium's "Failed to load resource" line for ``path`` answering ``status``.

        ``status`` is an HTTP status, or a network error name such as ``net::ERR_FAILED``.
        """
        self.expected.add((path, str(status)))

    def _on_console(self, message):
        if message.type == "error":
            url = message.location.get("url", "")
            self.events.append(("console error", message.text, url))

    def _on_dialog(self, dialog):
        self.events.append(("dialog", f"{dialog.type}: {dialog.message}", ""))
        dialog.dismiss()

    def _on_request(self, request):
        if not request.url.startswith((self.server.url + "/", "data:")):
            self.events.append(("request to another host", request.url, ""))

    def _is_expected(self, event):
        kind, text, url = event
        match = FAILED_LOAD.match(text)
        if kind != "console error" or not match:
            return False
        return (urlsplit(url).path, match.group(1) or match.group(2)) in self.expected

    def unexpected(self):
        """Every event the test did not expect, once the pages' pending events are in."""
        for page in self.pages:
            if not page.is_closed():
                # A round trip, so that every event the page sent before has been handled.
                page.evaluate("0")
        return [event for event in self.events if not self._is_expected(event)]

    def check(self):
        unexpected = self.unexpected()
        assert not unexpected, "unexpected in the browser: " + repr(unexpected)
        log = self.server.log()
        assert "Traceback" not in log, log


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself, not its teardown, on anything the browser reported."""
    result = yield
    watcher = item.funcargs.get("problems")
    if watcher is not None:
        watcher.check()
    return result


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def live_server(database_url, tmp_path, server_env):
    """The app under gunicorn on this test's database, as ``tests.plugins.servers`` serves
    it, but at ``http://localhost:<port>``."""
    server = app_server(
        database_url, tmp_path / "gunicorn.log", env=server_env, public_host=PUBLIC_HOST
    ).start()
    yield server
    server.stop()


@pytest.fixture
def problems(live_server):
    return PageProblems(live_server)


@pytest.fixture
def new_context(browser, live_server, problems):
    """Make browser contexts on the live server; each of their pages is watched."""
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        enforce_csp(context, live_server.url)
        context.on("page", problems.watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def alice(browser, live_server):
    """An account made through the API, as curl would make it, before the page opens."""
    client = browser.new_context(base_url=live_server.url)
    try:
        token = client.request.get("/api/auth/csrf").json()["csrf_token"]
        response = client.request.post(
            "/api/auth/signup", data=ALICE, headers={"X-CSRFToken": token}
        )
        assert response.status == 201, response.text()
    finally:
        client.close()
    return ALICE


@pytest.fixture
def confirmed_alice(alice, database_url):
    """Alice, her address confirmed as her link would: only then may she add a second factor
    or a passkey."""
    confirm_email(make_app(database_url))
    return alice


def pytest_itemcollected(item):
    """The page's tests run on SQLite only: what they test is the page, and the server's
    answers on PostgreSQL are the API tests' to check."""
    item.add_marker(pytest.mark.sqlite)
