"""Browser fixtures: Debian's Chromium, driven by Playwright, against the app under gunicorn.

The server is reached as ``http://localhost:<port>``, its ``PUBLIC_URL``: browsers refuse
WebAuthn at an IP address ("This is an invalid domain"), so passkeys need a name. Every page
is served under the strict Content-Security-Policy, and every test that uses a page fails on
a page error, a dialog, a request to another host, a traceback in the server log, or a
console error other than a failed load that the test said it expects.

The tests share their live servers: one per configuration (``server_env``) for the whole run
of a pytest-xdist worker, each on a copy of the migrated database of its own. So each test has
a person of its own (``person``: a user name and an address no other test has; ``alice``, her
account made straight in the database) and reads only what the server logged since it began
(``LiveServer.log``). A test that stops its server, or that needs an empty database, is marked
``own_server`` and gets one of its own, on its own database, as every test once did.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from app.config import ProductionConfig
from devtools.processes import app_server
from tests.browser.chromium import enforce_csp, launch
from tests.browser.pages import PASSWORD, new_person
from tests.helpers import confirm_email
from tests.plugins.accounts import ARGON2_KEYS, add_user
from tests.plugins.databases import dispose_apps, make_app

# The name the browsers reach the live server by, and the host of its PUBLIC_URL.
PUBLIC_HOST = "localhost"
# The limits per client IP that no test of the page tests, raised on the shared servers:
# every test's browser is 127.0.0.1, so the tests on one server would add up to them. The
# limits per account, per login string and per address stay as configured (each test has
# its own), and a test that sets a limit in its ``server_env`` keeps its own value.
SHARED_SERVER_LIMITS = {
    f"FLASK_{key}": "10000 per minute"
    for key in (
        "LOGIN_RATE_LIMIT",
        "SIGNUP_RATE_LIMIT",
        "RESET_RATE_LIMIT",
        "LINK_RATE_LIMIT",
        "MFA_VERIFY_RATE_LIMIT",
        "PASSKEY_LOGIN_RATE_LIMIT",
    )
}
# The accounts a test writes straight into the database are hashed as the live server hashes
# (production's argon2id parameters): its logins neither rehash nor pad them.
SERVER_HASHING = {key: getattr(ProductionConfig, key) for key in ARGON2_KEYS}

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
        self.origins = [server.url + "/", "data:"]

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

    def expect_origin(self, origin):
        """Allow requests to ``origin`` (``http://app.test``), which the test answers itself."""
        self.origins.append(origin + "/")

    def _on_console(self, message):
        if message.type == "error":
            url = message.location.get("url", "")
            self.events.append(("console error", message.text, url))

    def _on_dialog(self, dialog):
        self.events.append(("dialog", f"{dialog.type}: {dialog.message}", ""))
        dialog.dismiss()

    def _on_request(self, request):
        if not request.url.startswith(tuple(self.origins)):
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
        # What the server logged since this test began (the tests share it).
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


class LiveServer:
    """A live server as one test sees it: its address, its process and its database, and only
    the part of its log written since the test began."""

    def __init__(self, server, database_url):
        self.server, self.database_url = server, database_url
        self.log_start = server.log_size()

    @property
    def url(self):
        return self.server.url

    @property
    def process(self):
        return self.server.process

    def log(self):
        return self.server.log(since=self.log_start)


class SharedServers:
    """The live servers that tests share: one per configuration, each started when a test
    first asks for it, on a copy of the migrated database of its own, and stopped at the end."""

    def __init__(self, database_copies, folder):
        self.database_copies, self.folder = database_copies, folder
        self.started = {}

    def get(self, env):
        """``(server, database_url)`` of the configuration ``env``."""
        key = tuple(sorted(env.items()))
        if key not in self.started:
            database_url = self.database_copies()
            log_path = self.folder / f"gunicorn{len(self.started)}.log"
            server = app_server(
                database_url,
                log_path,
                env={**SHARED_SERVER_LIMITS, **env},
                public_host=PUBLIC_HOST,
            ).start()
            self.started[key] = server, database_url
        server, database_url = self.started[key]
        if server.process.poll() is not None:
            pytest.fail(
                f"the shared live server of {dict(key)} has stopped: a test that stops its "
                f"server must be marked own_server\n{server.log()}",
                pytrace=False,
            )
        return server, database_url

    def stop(self):
        for server, _ in self.started.values():
            server.stop()


@pytest.fixture(scope="session")
def shared_servers(database_copies, tmp_path_factory):
    servers = SharedServers(database_copies, tmp_path_factory.mktemp("servers"))
    yield servers
    servers.stop()


@pytest.fixture
def live_server(request, server_env, shared_servers):
    """The app under gunicorn, as ``tests.plugins.servers`` serves it, but at
    ``http://localhost:<port>``: the shared server of ``server_env``'s configuration, or for a
    test marked ``own_server`` one of its own on this test's database."""
    if request.node.get_closest_marker("own_server") is None:
        yield LiveServer(*shared_servers.get(server_env))
        # Close what the test's apps hold open on the shared database.
        dispose_apps()
        return
    database_url = request.getfixturevalue("database_url")
    log_path = request.getfixturevalue("tmp_path") / "gunicorn.log"
    server = app_server(database_url, log_path, env=server_env, public_host=PUBLIC_HOST)
    with server:
        yield LiveServer(server, database_url)


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
def server_app(live_server):
    """An app on the live server's database, hashing as the server does: to set up, or read
    back, what a test needs there."""
    return make_app(live_server.database_url, **SERVER_HASHING)


@pytest.fixture
def person():
    """This test's own sign-up fields: ``ALICE``'s, under a user name and an address that no
    other test has (``pages.new_person``); nobody has signed up with them yet."""
    return new_person()


@pytest.fixture
def alice(person, server_app):
    """The test's person with an account, made straight in the database before the page opens,
    her address not confirmed yet (as a sign-up leaves it); her sign-up fields."""
    add_user(server_app, person["user_name"], email=person["email"], password=PASSWORD)
    return person


def sign_up_through_the_api(browser, live_server, fields):
    """Sign ``fields`` up through the API, as curl would, in a browser context of its own."""
    client = browser.new_context(base_url=live_server.url)
    try:
        token = client.request.get("/api/auth/csrf").json()["csrf_token"]
        response = client.request.post(
            "/api/auth/signup", data=fields, headers={"X-CSRFToken": token}
        )
        assert response.status == 201, response.text()
    finally:
        client.close()
    return fields


@pytest.fixture
def confirmed_alice(alice, server_app):
    """Alice, her address confirmed as her link would: only then may she add a second factor
    or a passkey."""
    confirm_email(server_app, alice["user_name"])
    return alice


def pytest_itemcollected(item):
    """The page's tests run on SQLite only: what they test is the page, and the server's
    answers on PostgreSQL are the API tests' to check. A test on a live server reaches its
    database (a shared one, or ``database_url``): it is marked ``database``."""
    item.add_marker(pytest.mark.sqlite)
    if "live_server" in item.fixturenames:
        item.add_marker(pytest.mark.database)
