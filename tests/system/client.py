"""A client for the live servers: real HTTP, a cookie jar, the CSRF token, and the contract.

Every answer it receives is held to openapi.yaml (``tests.contract``), like the test client's.
"""

import http.cookiejar
import json
import urllib.error
import urllib.request

from tests.contract import check_answer
from tests.helpers import PASSWORD

TIMEOUT = 60


class Client:
    """One HTTP client with its own cookie jar and CSRF token, as a separate user agent."""

    def __init__(self, base_url):
        self.base_url = base_url
        jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        self.opener = urllib.request.build_opener(jar)
        self.token = None

    def call(self, method, path, body=None, headers=None):
        """``(status, json)``; a successful answer's new CSRF token is kept for the next one."""
        headers = {**({"X-CSRFToken": self.token} if self.token else {}), **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                status, answer_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            with error:
                status, answer_headers, raw = error.code, error.headers, error.read()
        check_answer(method, path, status, answer_headers, raw)
        answer = json.loads(raw)
        self.token = answer.get("csrf_token") or self.token
        return status, answer

    def fetch_token(self):
        assert self.call("GET", "/api/auth/csrf")[0] == 200
        return self


def signup_body(user_name, email):
    return {
        "user_name": user_name,
        "first_name": "Race",
        "last_name": "Runner",
        "email": email,
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
