"""The page: served for ``/`` and every path outside ``/api/``, never for an API path."""

import html
import re

import pytest

from app import create_app
from tests.helpers import CSRF_META, RETURN_META, assert_error
from tests.plugins.databases import make_app

NOT_FOUND = (
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again."
)
PAYLOAD = '"><script>alert(1)</script>'


@pytest.mark.parametrize(
    "path",
    ["/", "/login", "/some/deep/path", "/some/deep/path/", "/apiary", "/api-docs", "/x/api/y"],
)
def test_page_is_served_outside_the_api(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert CSRF_META.search(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "path", ["/api", "/api/", "/api/nope", "/api/auth", "/api/auth/nope", "/api/a/b/c"]
)
def test_page_is_never_served_under_the_api(client, path):
    response = client.get(path)
    assert_error(response, 404, NOT_FOUND)
    assert "<meta" not in response.get_data(as_text=True)


def test_api_route_with_wrong_method_is_not_the_page(client):
    response = client.get("/api/auth/login")
    assert response.status_code == 405
    assert response.is_json


def test_page_csrf_token_is_accepted_by_the_api(auth):
    token = auth.fetch_token()
    assert token
    assert auth.signup().status_code == 201


def test_page_token_belongs_to_the_session(client):
    first = CSRF_META.search(client.get("/").get_data(as_text=True)).group(1)
    second = CSRF_META.search(client.get("/anything").get_data(as_text=True)).group(1)
    # Signed with a timestamp, so the strings may differ; the session's raw token is one.
    assert first.split(".")[0] == second.split(".")[0]


def test_page_names_the_public_address(database_url):
    """PUBLIC_URL, where passkeys work: the page names it to a browser that came by another
    address (an IP, for one), whatever address this request came by."""
    app = make_app(database_url, PUBLIC_URL="https://auth.example.com")
    page = app.test_client().get("/", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert '<meta name="public-url" content="https://auth.example.com">' in page


def test_page_sets_a_session_cookie_with_the_token(app, client):
    response = client.get("/")
    header = next(
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    )
    assert "HttpOnly" in header


@pytest.mark.parametrize("path", ["/", "/login", "/some/deep/path"])
def test_page_is_never_cached(client, path):
    """It carries the session's CSRF token, and sets the cookie."""
    assert client.get(path).headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "path",
    ["/static//js/api.js", "/static/nope.js", "/static/", "/static", "/static//vendor/x.css"],
)
def test_a_static_path_that_names_no_file_is_a_404_not_the_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert not CSRF_META.search(response.get_data(as_text=True))


def test_static_files_are_still_served(client):
    with client.get("/static/js/api.js") as response:
        assert response.status_code == 200
        assert "javascript" in response.mimetype


@pytest.mark.parametrize("path", ["/reset", "/confirm", "/change-email"])
def test_pages_that_mailed_links_open_send_no_referrer(client, path):
    response = client.get(path)
    assert response.status_code == 200
    # One header: the view's, not the app-wide default beside it.
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/forgot", "/reset/more", "/confirmed"])
def test_other_pages_keep_the_default_referrer_policy(client, path):
    assert client.get(path).headers.getlist("Referrer-Policy") == ["same-origin"]


@pytest.mark.parametrize("minimum", [15, 20])
def test_every_new_password_hint_states_the_app_s_minimum(database_url, minimum):
    """The hints under the new-password fields (signup, reset, change) follow the setting."""
    app = make_app(database_url, PASSWORD_MIN_LENGTH=minimum)
    page = app.test_client().get("/").get_data(as_text=True)
    hints = re.findall(r'id="(\w+)-password-hint"[^>]*>([^<]*)<', page)
    assert sorted(prefix for prefix, _ in hints) == ["account", "reset", "signup"]
    for _prefix, hint in hints:
        assert hint.startswith(f"{minimum} to 128 characters.")


@pytest.fixture(scope="module")
def forward_app():
    """One app that lists ``app.example.com`` for forward auth. Its in-memory database is never
    opened: the page reads the query string, never the database."""
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "FORWARD_AUTH_ALLOWED_HOSTS": "app.example.com"}
    )


@pytest.mark.parametrize(
    ("path", "address", "markup"),
    [
        ("/", "https://app.example.com/private", "https://app.example.com/private"),
        ("/login", "http://app.example.com/a?b=1&c=2", "http://app.example.com/a?b=1&amp;c=2"),
        (
            "/",
            "https://app.example.com/" + PAYLOAD,
            "https://app.example.com/&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
        ),
    ],
    ids=["plain", "query", "markup"],
)
def test_page_names_an_allowed_return_address_escaped(forward_app, path, address, markup):
    response = forward_app.test_client().get(path, query_string={"next": address})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<meta name="return-to" content="{markup}">' in page
    assert [html.unescape(found) for found in RETURN_META.findall(page)] == [address]
    assert PAYLOAD not in page


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"next": ""},
        {"next": "https://evil.example/private"},
        {"next": "https://evil.example/" + PAYLOAD},
        {"next": PAYLOAD},
        {"next": "//app.example.com/"},
        {"next": "javascript:alert(1)"},
    ],
    ids=["none", "empty", "foreign", "foreign-markup", "markup", "scheme-relative", "javascript"],
)
def test_page_names_no_other_return_address(forward_app, query):
    response = forward_app.test_client().get("/", query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert CSRF_META.search(page)
    assert 'name="return-to"' not in page
    assert "<script>alert(1)" not in page
