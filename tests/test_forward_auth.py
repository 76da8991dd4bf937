"""The return addresses of forward auth (``app/forward_auth.py``): the page follows only an
address on a listed host, so that the login page is no open redirect."""

import pytest

from app.forward_auth import MAX_LEN, return_address

LISTED = "app.example.com,intranet.example.com:8443"
LONGEST = "https://app.example.com/" + "a" * (MAX_LEN - len("https://app.example.com/"))


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("https://app.example.com/private?x=1#top", id="https"),
        pytest.param("http://app.example.com/", id="http"),
        pytest.param("https://intranet.example.com:8443/wiki", id="listed-port"),
        pytest.param("https://APP.Example.COM/Private", id="uppercase-host"),
        pytest.param(LONGEST, id="2048-characters"),
    ],
)
def test_an_address_on_a_listed_host_is_followed_as_given(bare_config, address):
    bare_config(FORWARD_AUTH_ALLOWED_HOSTS=LISTED)
    assert return_address(address) == address


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("https://app.example.com:8443/", id="listed-host-other-port"),
        pytest.param("https://intranet.example.com/wiki", id="port-listed-host-without-port"),
        pytest.param("https://intranet.example.com:9443/wiki", id="port-listed-host-other-port"),
        pytest.param("https://evil.example/", id="other-host"),
        pytest.param("https://app.example.com.evil.example/", id="listed-host-as-a-prefix"),
        pytest.param("https://app.example.com./", id="trailing-dot"),
        pytest.param("//evil.example/", id="scheme-relative"),
        pytest.param("//app.example.com/", id="scheme-relative-listed-host"),
        pytest.param("\\\\evil.example", id="backslashes"),
        pytest.param("https://app.example.com\\@evil.example/", id="backslash-before-at"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("javascript://app.example.com/%0aalert(1)", id="javascript-listed-host"),
        pytest.param("ftp://app.example.com/", id="other-scheme"),
        pytest.param("https://app.example.com@evil.example/", id="listed-host-as-userinfo"),
        pytest.param("https://evil.example/?x=app.example.com", id="listed-host-in-query"),
        pytest.param("https://evil.example/#app.example.com", id="listed-host-in-fragment"),
        pytest.param("https://user:secret@app.example.com/", id="userinfo"),
        pytest.param("https://@app.example.com/", id="empty-userinfo"),
        pytest.param("https://app.example.com/a\tb", id="tab"),
        pytest.param("https://app.example.com/a\nb", id="newline"),
        pytest.param("https://app.exa\r\nmple.com/", id="newline-in-host"),
        pytest.param(" https://app.example.com/", id="leading-space"),
        pytest.param("https://app.example.com/ ", id="trailing-space"),
        pytest.param(LONGEST + "a", id="2049-characters"),
        pytest.param("https://app.example.com:99999/", id="port-out-of-range"),
        pytest.param("https://[::1/", id="unclosed-bracket"),
        pytest.param("/path", id="relative"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param(["https://app.example.com/"], id="not-text"),
    ],
)
def test_any_other_address_is_dropped(bare_config, address):
    bare_config(FORWARD_AUTH_ALLOWED_HOSTS=LISTED)
    assert return_address(address) is None


@pytest.mark.parametrize(
    "hosts",
    [
        pytest.param(" App.Example.com , ,intranet.example.com:8443", id="text-spaced-uppercase"),
        pytest.param(["app.example.com", "intranet.example.com:8443"], id="json-list"),
    ],
)
def test_the_list_is_read_as_text_or_a_list(bare_config, hosts):
    bare_config(FORWARD_AUTH_ALLOWED_HOSTS=hosts)
    assert return_address("https://app.example.com/") == "https://app.example.com/"
    assert return_address("https://intranet.example.com:8443/") is not None
    assert return_address("https://evil.example/") is None


@pytest.mark.parametrize("hosts", ["", None, " , "])
def test_no_address_is_followed_without_a_list(bare_config, hosts):
    bare_config(FORWARD_AUTH_ALLOWED_HOSTS=hosts)
    assert return_address("https://app.example.com/") is None
