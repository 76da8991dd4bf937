"""A tiny HTTP client (one fresh connection per request), its cookie jar, and the login flows."""

import http.client
import json
import time
from http.cookies import SimpleCookie

from bench.settings import CSRF_PATH, LOGIN_PATH, PASSWORD, user_name
from devtools.processes import HOST


class Jar(dict):
    """A cookie jar for one host: name -> value."""

    def header(self) -> dict:
        return {"Cookie": self.cookie()} if self else {}

    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.items())

    def update_from(self, response) -> None:
        for line in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                if morsel.value and "1970" not in (morsel["expires"] or ""):
                    self[name] = morsel.value
                else:
                    self.pop(name, None)


def call(port, method, path, body=None, headers=None, jar=None):
    """One request on a fresh connection; returns (status, JSON body, seconds)."""
    headers = dict(headers or {})
    if jar is not None:
        headers.update(jar.header())
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    headers.setdefault("Accept", "application/json")
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        start = time.perf_counter()
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    if jar is not None:
        jar.update_from(response)
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw[:200]
    return response.status, payload, elapsed


def expect(status, wanted, what, payload):
    if status != wanted:
        raise RuntimeError(f"{what}: HTTP {status}, expected {wanted}: {payload!r}")


def csrf_token(port, jar) -> str:
    """The anonymous session's CSRF token (``data.csrf_token``); the jar gets its cookie."""
    status, payload, _ = call(port, "GET", CSRF_PATH, jar=jar)
    expect(status, 200, "csrf", payload)
    return payload["data"]["csrf_token"]


def ours_login(port, index, jar=None):
    """Log in as user ``index`` on a fresh jar; returns (jar, seconds of the login POST)."""
    jar = Jar() if jar is None else jar
    token = csrf_token(port, jar)
    status, payload, elapsed = call(
        port,
        "POST",
        LOGIN_PATH,
        body={"login": user_name(index), "password": PASSWORD},
        headers={"X-CSRFToken": token},
        jar=jar,
    )
    expect(status, 200, "login", payload)
    return jar, elapsed


def fst_login(port, address):
    jar = Jar()
    status, payload, elapsed = call(
        port, "POST", "/login", body={"email": address, "password": PASSWORD}, jar=jar
    )
    expect(status, 200, "FST login", payload)
    return jar, elapsed
